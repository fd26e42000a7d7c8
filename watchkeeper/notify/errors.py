"""The one error of e-mail composing and delivery."""

from __future__ import annotations

from watchkeeper.errors import UserError


class EmailError(UserError):
    """The message could not be composed or delivered (printed as one line)."""
