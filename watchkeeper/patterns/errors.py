"""The one exception type the pattern language raises for bad input."""

from __future__ import annotations


class FilterPatternError(ValueError):
    """A filter pattern AWS would reject; ``position`` is the 1-based column."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"column {position}: {message}")
        self.message = message
        self.position = position
