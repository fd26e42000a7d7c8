"""watchkeeper: evidence that CloudTrail monitoring pages a human."""

from typing import TYPE_CHECKING

__version__ = "0.1.0"

if TYPE_CHECKING:
    from watchkeeper.api import connect


def __getattr__(name: str) -> object:
    # `watchkeeper.connect` loads the analyst API (DuckDB, patterns) on first use, so that
    # every `watchkeeper.<module>` import, and so every CLI command, does not pay for it.
    if name == "connect":
        from watchkeeper.api import connect

        return connect
    raise AttributeError(f"module 'watchkeeper' has no attribute {name!r}")


__all__ = ["__version__", "connect"]
