"""An AWS emulator (moto in server mode) on 127.0.0.1, for `watchkeeper demo` and the tests.

The server runs as a separate process so that it does not share the GIL with the
collector; it is reached over real HTTP by ordinary boto3 clients.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from types import TracebackType

from watchkeeper.errors import UserError


class EmulatorError(UserError):
    """The emulator could not be started (printed as one line)."""


class _Exited(EmulatorError):
    """moto exited while starting (e.g. its port was taken)."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class MotoServer:
    def __init__(self, port: int | None = None):
        self._chosen = port is None  # ours to choose again if another process takes it
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> MotoServer:
        try:
            import moto.server  # noqa: F401  (fail early with a clear message)
        except ImportError:
            raise EmulatorError(
                "the AWS emulator needs moto[server]; run `make demo` or "
                "`pip install 'moto[server]'`"
            ) from None
        # The free port is chosen before moto binds it: with several emulators starting at
        # once (the test workers), another can take it in between, and moto then exits.
        for _ in range(2 if self._chosen else 0):
            try:
                return self._launch(timeout)
            except _Exited:
                self.port = free_port()
                self.url = f"http://127.0.0.1:{self.port}"
        return self._launch(timeout)

    def _launch(self, timeout: float) -> MotoServer:
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise _Exited(f"moto server exited with code {self._proc.returncode}")
            try:
                with urllib.request.urlopen(f"{self.url}/moto-api/", timeout=1):
                    return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.1)
        self.stop()
        raise EmulatorError(f"moto server did not answer on {self.url} within {timeout:.0f}s")

    def reset(self) -> None:
        req = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(req, timeout=30):
            pass

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc = None

    def __enter__(self) -> MotoServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
