"""A database handle the dashboard holds only while requests need it.

DuckDB lets one process write a file only while no other process has it open, so a
dashboard that kept its connection for its whole life would make every scheduled
`collect` or `check` fail. A Lease opens the handle on first use, shares it between the
requests in flight (opening costs tens of milliseconds: the file's catalog is read), and
closes it ``linger`` seconds after the last one ends — so a burst of requests (a page and
its static files) pays one open, and a writer waiting for the lock (it retries every
0.2 s) gets it soon after the dashboard goes quiet. A dashboard that never goes quiet
(a monitor polling it) would starve the writer, so a handle open for ``max_hold`` seconds
is closed once the requests in flight end, and the file left alone for ``gap`` seconds
before the next request opens it again. A dependent lease (the SQL console's sandbox,
which attaches the same file) is closed together with the one it depends on.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from watchkeeper.store import StoreLockedError

__all__ = ["DEFAULT_LINGER", "DEFAULT_LOCK_WAIT", "Lease", "LeaseTimes"]

T = TypeVar("T")

DEFAULT_LINGER = 0.5  # seconds a handle stays open after the last request
DEFAULT_LOCK_WAIT = 30.0  # seconds a request waits while a writer holds the file
_RETRY = 0.2  # as store.connect's writers retry


@dataclass(frozen=True)
class LeaseTimes:
    """Seconds: ``linger`` after the last request (None: only with the lease depended on),
    ``lock_wait`` for a writer to finish, ``max_hold`` open at a stretch, then ``gap``
    closed (longer than a writer's retry interval, so a waiting writer gets its turn)."""

    linger: float | None = DEFAULT_LINGER
    lock_wait: float = DEFAULT_LOCK_WAIT
    max_hold: float = 2.0
    gap: float = 0.3


class Lease(Generic[T]):
    def __init__(
        self,
        opener: Callable[[], T],
        closer: Callable[[T], None],
        times: LeaseTimes | None = None,
    ):
        self._opener = opener
        self._closer = closer
        self.times = times or LeaseTimes()
        self._cond = threading.Condition()
        self._handle: T | None = None
        self._opened_at = 0.0
        self._draining = False
        self._users = 0
        self._timer: threading.Timer | None = None
        self.dependents: list[Lease[Any]] = []
        self._local = threading.local()  # how deep this thread already holds the lease
        self.opens = 0  # how many times the file was opened (the tests and bench read it)

    @property
    def lock_wait(self) -> float:
        return self.times.lock_wait

    def _open(self) -> T:
        deadline = time.monotonic() + self.times.lock_wait
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
        times = self.times
        depth: int = getattr(self._local, "depth", 0)
        if depth:  # held further up this thread's stack: the handle is open, never drained
            self._local.depth = depth + 1
            with self._cond:
                self._users += 1
                handle = self._handle
            assert handle is not None
            try:
                yield handle
            finally:
                self._local.depth = depth
                with self._cond:
                    self._users -= 1
            return
        with self._cond:  # requests arriving while a writer holds the file all wait here
            while self._draining:
                self._cond.wait()
            if self._handle is not None and time.monotonic() - self._opened_at > times.max_hold:
                self._draining = True  # newcomers wait; the requests in flight finish
                try:
                    while self._users > 0:
                        self._cond.wait()
                    self._drop()
                    time.sleep(times.gap)
                finally:
                    self._draining = False
                    self._cond.notify_all()
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            if self._handle is None:
                self._handle = self._open()
                self._opened_at = time.monotonic()
                self.opens += 1
            self._users += 1
            handle = self._handle
        self._local.depth = 1
        try:
            yield handle
        finally:
            self._local.depth = 0
            with self._cond:
                self._users -= 1
                self._cond.notify_all()
                if self._users == 0 and times.linger is not None:
                    if times.linger <= 0:
                        self._drop()
                    else:
                        self._timer = threading.Timer(times.linger, self._expire)
                        self._timer.daemon = True
                        self._timer.start()

    @property
    def is_open(self) -> bool:
        return self._handle is not None

    def _expire(self) -> None:
        with self._cond:
            if self._users == 0:
                self._drop()

    def _drop(self) -> None:
        for lease in self.dependents:  # only ever held inside this one: idle now
            lease.close()
        if self._handle is not None:
            handle, self._handle = self._handle, None
            self._closer(handle)

    def close(self) -> None:
        with self._cond:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            self._drop()
