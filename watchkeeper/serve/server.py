"""Starting the dashboard: settings checked before anything listens, then uvicorn."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from watchkeeper.errors import UserError
from watchkeeper.serve.console import ConsoleLimits

__all__ = ["TOKEN_ENV", "ServeError", "ServeSettings", "check_settings", "serve"]

TOKEN_ENV = "WATCHKEEPER_TOKEN"
MIN_TOKEN_LENGTH = 16


class ServeError(UserError):
    """Settings the dashboard refuses to start with (printed as one line)."""


@dataclass(frozen=True)
class ServeSettings:
    db: Path
    host: str = "127.0.0.1"
    port: int = 8765
    token: str | None = None
    limits: ConsoleLimits = field(default_factory=ConsoleLimits)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_settings(settings: ServeSettings) -> ServeSettings:
    """The settings with the token from WATCHKEEPER_TOKEN when none was given; a
    ServeError for an address other than loopback without a token, or a short token."""
    token = settings.token or os.environ.get(TOKEN_ENV) or None
    if not _loopback(settings.host) and token is None:
        raise ServeError(
            f"refusing to serve on {settings.host} without a token: anyone who can reach it "
            f"would read the evidence; give --token or {TOKEN_ENV}, or bind 127.0.0.1"
        )
    if token is not None and len(token) < MIN_TOKEN_LENGTH:
        raise ServeError(f"the token must be at least {MIN_TOKEN_LENGTH} characters long")
    if not 0 <= settings.port <= 65535:
        raise ServeError(f"port {settings.port} is not between 0 and 65535")
    if settings.limits.max_rows < 1 or settings.limits.timeout <= 0:
        raise ServeError("the row limit and the statement timeout must be positive")
    if not settings.db.is_file():
        raise ServeError(
            f"no watchkeeper database at {settings.db} (run `watchkeeper collect` first)"
        )
    return replace(settings, token=token)


def serve(settings: ServeSettings, announce: Callable[[str], None] = print) -> None:
    """Check the settings, open the store read-only, and serve until interrupted."""
    import uvicorn

    from watchkeeper.serve.app import create_app

    checked = check_settings(settings)
    app = create_app(checked.db, token=checked.token, limits=checked.limits)
    host = f"[{checked.host}]" if ":" in checked.host else checked.host
    announce(f"watchkeeper dashboard on http://{host}:{checked.port}/ (Ctrl-C to stop)")
    if checked.token is not None:
        announce(f"open http://{host}:{checked.port}/?token=… once; the browser keeps a cookie")
    try:
        uvicorn.run(
            app, host=checked.host, port=checked.port, log_level="warning", access_log=False
        )
    finally:
        app.state.dashboard.close()
