"""What every page shares: the run it shows, paging, and links that carry the run."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from watchkeeper.errors import UserError
from watchkeeper.serve.store import RunInfo

__all__ = ["BadRequest", "Paging", "int_param", "link", "paginate"]

PAGE_SIZE = 50


class BadRequest(UserError):
    """A query parameter that cannot be used (HTTP 400)."""


def int_param(value: str | None, name: str, *, minimum: int = 0) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except ValueError:
        raise BadRequest(f"{name} must be a whole number, not {value!r}") from None
    if number < minimum:
        raise BadRequest(f"{name} must be at least {minimum}")
    return number


def link(path: str, **params: object) -> str:
    """``path`` with the given parameters (None and "" left out), in a stable order."""
    kept = {k: str(v) for k, v in params.items() if v is not None and v != ""}
    return f"{path}?{urlencode(kept)}" if kept else path


def run_params(info: RunInfo, pinned: bool) -> dict[str, object]:
    """A page of the latest run links by benchmark; one of a chosen run, by its id too."""
    return {"benchmark": info.benchmark, "run": info.run_id if pinned else None}


@dataclass(frozen=True)
class Paging:
    page: int  # 1-based
    pages: int
    total: int
    first: int  # 1-based index of the first item shown (0 when none)
    last: int

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def paginate(total: int, page: int | None, size: int = PAGE_SIZE) -> tuple[Paging, slice]:
    pages = max(1, -(-total // size))
    current = min(max(page or 1, 1), pages)
    start = (current - 1) * size
    stop = min(start + size, total)
    return Paging(current, pages, total, start + 1 if total else 0, stop), slice(start, stop)
