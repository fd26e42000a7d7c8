"""boto3 → rows: the collector knows AWS APIs and the store's row shapes, nothing of controls."""

from watchkeeper.collector.aws import AwsOptions, CollectorSetupError, Telemetry, is_read_only
from watchkeeper.collector.run import (
    CollectOutcome,
    CollectRequest,
    Reporter,
    SilentReporter,
    UnitSummary,
    collect,
)

__all__ = [
    "AwsOptions",
    "CollectOutcome",
    "CollectRequest",
    "CollectorSetupError",
    "Reporter",
    "SilentReporter",
    "Telemetry",
    "UnitSummary",
    "collect",
    "is_read_only",
]
