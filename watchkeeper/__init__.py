"""watchkeeper: evidence that CloudTrail monitoring pages a human."""

__version__ = "0.1.0"
