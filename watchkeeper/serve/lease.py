"""A database handle the dashboard holds only while requests need it.

DuckDB lets one process write a file only while no other process has it open, so a
dashboard that kept its connection for its whole life would make every scheduled
`collect` or `check` fail. A Lease opens the handle on first use, shares it between the
requests in flight (opening costs tens of milliseconds: the file's catalog is read), and
closes it ``linger`` seconds after the last one ends — so a burst of requests (a page and
its static files) pays one open, and a writer waiting for the lock (it retries every
0.2 s) gets it soon after the dashboard goes quiet.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

from watchkeeper.store import StoreLockedError

__all__ = ["DEFAULT_LINGER", "DEFAULT_LOCK_WAIT", "Lease"]

T = TypeVar("T")

DEFAULT_LINGER = 0.5  # seconds a handle stays open after the last request
DEFAULT_LOCK_WAIT = 30.0  # seconds a request waits while a writer holds the file
_RETRY = 0.2


class Lease(Generic[T]):
    def __init__(
        self,
        opener: Callable[[], T],
        closer: Callable[[T], None],
        *,
        linger: float = DEFAULT_LINGER,
        lock_wait: float = DEFAULT_LOCK_WAIT,
    ):
        self._opener = opener
        self._closer = closer
        self.linger = linger
        self.lock_wait = lock_wait
        self._lock = threading.Lock()
        self._handle: T | None = None
        self._users = 0
        self._timer: threading.Timer | None = None
        self.opens = 0  # how many times the file was opened (the tests and bench read it)

    def _open(self) -> T:
        deadline = time.monotonic() + self.lock_wait
        while True:
            try:
                return self._opener()
            except StoreLockedError:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(_RETRY)

    @contextmanager
    def hold(self) -> Iterator[T]:
        """The open handle, for as long as the ``with`` block runs."""
        with self._lock:  # requests arriving while a writer holds the file all wait here
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            if self._handle is None:
                self._handle = self._open()
                self.opens += 1
            self._users += 1
            handle = self._handle
        try:
            yield handle
        finally:
            with self._lock:
                self._users -= 1
                if self._users == 0:
                    if self.linger <= 0:
                        self._drop()
                    else:
                        self._timer = threading.Timer(self.linger, self._expire)
                        self._timer.daemon = True
                        self._timer.start()

    @property
    def is_open(self) -> bool:
        return self._handle is not None

    def _expire(self) -> None:
        with self._lock:
            if self._users == 0:
                self._drop()

    def _drop(self) -> None:
        if self._handle is not None:
            handle, self._handle = self._handle, None
            self._closer(handle)

    def close(self) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            self._drop()
