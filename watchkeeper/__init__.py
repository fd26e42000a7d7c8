"""watchkeeper: evidence that CloudTrail monitoring pages a human."""

__version__ = "0.1.0"

from watchkeeper.api import connect

__all__ = ["__version__", "connect"]
