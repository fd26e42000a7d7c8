"""Settings: command-line flags win over WATCHKEEPER_* environment variables, which win over
an optional watchkeeper.toml (``--config``, WATCHKEEPER_CONFIG, or ./watchkeeper.toml)."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from watchkeeper.errors import UserError

DEFAULT_DB = "watchkeeper.duckdb"

# Keys renamed in watchkeeper.toml: (section, new name) → old name. The old name is still
# read, so existing files keep working; the CLI notes that it is deprecated.
RENAMED_KEYS: dict[tuple[str, str], str] = {("check", "strictness"): "profile"}


class ConfigError(UserError):
    """An unreadable or malformed configuration file (printed as one line)."""


@dataclass(frozen=True)
class FileConfig:
    path: Path | None
    data: dict[str, Any] = field(default_factory=dict)

    def get(self, section: str, key: str) -> Any:
        sec = self._section(section)
        old = RENAMED_KEYS.get((section, key))
        if old is not None and old in sec:
            if key in sec:
                raise ConfigError(
                    f"{self.path}: [{section}] {old} is the old name of {key}; keep only {key}"
                )
            return sec[old]
        return sec.get(key)

    def renamed_keys_used(self, section: str) -> list[tuple[str, str]]:
        """(old, new) for each key of ``section`` this file still spells the old way (only;
        both spellings are an error, raised by :meth:`get`)."""
        sec = self._section(section)
        return [
            (old, new)
            for (s, new), old in RENAMED_KEYS.items()
            if s == section and old in sec and new not in sec
        ]

    def _section(self, section: str) -> dict[str, Any]:
        sec = self.data.get(section, {})
        if not isinstance(sec, dict):
            raise ConfigError(f"{self.path}: [{section}] must be a table")
        return sec


def load_file(explicit: str | Path | None = None) -> FileConfig:
    candidate = explicit or os.environ.get("WATCHKEEPER_CONFIG")
    path = Path(candidate) if candidate else Path("watchkeeper.toml")
    if not path.exists():
        if candidate:
            raise ConfigError(f"config file {path} does not exist")
        return FileConfig(None)
    try:
        with path.open("rb") as fh:
            return FileConfig(path, tomllib.load(fh))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None


def pick(flag: Any, env: str | None, file_value: Any, default: Any = None) -> Any:
    """The first of flag, environment variable, file value and default that is set."""
    if flag not in (None, (), []):
        return flag
    if env and os.environ.get(env):
        return os.environ[env]
    if file_value not in (None, (), []):
        return file_value
    return default


def resolve_db(flag: str | None, cfg: FileConfig) -> Path:
    return Path(pick(flag, "WATCHKEEPER_DB", cfg.get("store", "db"), DEFAULT_DB))
