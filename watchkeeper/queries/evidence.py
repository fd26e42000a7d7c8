"""The evidence JSON of a verdict, as types: what `verdicts` writes and every reader reads.

A verdict's evidence is stored as JSON (``control_result.evidence``), printed by the machine
formats and hashed into ``results_sha256``. These TypedDicts are plain dicts at run time, so
typing it changes no byte of that output; they let mypy check every key a reader looks up.

Keys that are always written are required (read them with ``ev["key"]``); keys written only
in some cases are ``NotRequired`` (read them with ``.get``). The two kinds of evidence are
told apart by their keys (``"chain" in ev``, ``"enabled_regions" in ev``): both classes are
``@final``, which is what lets mypy narrow the union on such a test.
"""

# No `from __future__ import annotations` here: with string annotations Python 3.11 cannot
# see NotRequired, and __required_keys__ would claim every key is always written.
from typing import Any, NotRequired, TypedDict, final

__all__ = [
    "AlarmObject",
    "Attestation",
    "ChainObjects",
    "CollectionErrorRow",
    "CompositeObject",
    "Evidence",
    "LinkVerdict",
    "LogGroupObject",
    "MetricFilterEvidence",
    "MetricFilterObject",
    "PatternCoverage",
    "SecurityHubEvidence",
    "Subscription",
    "TopicObject",
    "TrailObject",
    "chain_of",
    "failed_link_of",
]


class CollectionErrorRow(TypedDict):
    """One ``collection_error`` row: an API call that failed while collecting."""

    snapshot_id: int
    account_id: str | None  # None: an error of the whole collection (e.g. listing accounts)
    region: str | None
    service: str
    operation: str
    error_code: str
    message: str


class TrailObject(TypedDict):
    name: str
    arn: str
    owner_account_id: str
    home_region: str
    is_organization_trail: bool
    is_multi_region_trail: bool
    is_logging: bool | None  # None: GetTrailStatus was not collected
    event_selectors: Any  # the API's JSON, as collected
    advanced_event_selectors: Any
    excluded_sources: list[str]
    cloudwatch_logs_log_group_arn: str | None
    latest_cloudwatch_logs_delivery_time: str | None
    latest_cloudwatch_logs_delivery_error: str | None
    start_logging_time: str | None


class LogGroupObject(TypedDict):
    """The log group the trail names (from its ARN), whether or not it exists."""

    name: str | None
    account_id: str | None
    region: str | None
    arn: str | None  # None: no such log group was collected
    exists: bool


class MetricFilterObject(TypedDict):
    name: str
    pattern: str
    metric_name: str
    metric_namespace: str
    metric_value: str
    default_value: float | None
    dimensions: Any  # the API's JSON, as collected


class AlarmObject(TypedDict):
    name: str
    arn: str
    region: str
    namespace: str | None
    statistic: str | None
    threshold: float | None
    comparison_operator: str | None
    period: int | None
    evaluation_periods: int | None
    datapoints_to_alarm: int | None
    actions_enabled: bool | None  # of the alarm that notifies (itself or its composite)
    sns_actions: list[str] | None  # the same
    composite: "CompositeObject | None"  # None: the alarm notifies by its own actions


class CompositeObject(TypedDict):
    """A composite alarm the metric alarm notifies through."""

    name: str
    arn: str
    alarm_rule: str
    fires_alone: bool | None  # the rule goes to ALARM on this alarm alone
    actions_suppressor: str | None
    actions_suppressed_by: str | None


class TopicObject(TypedDict):
    arn: str
    name: str
    kms_master_key_id: str | None
    kms_key_manager: str | None  # AWS or CUSTOMER; None: no key, or not known
    subscriptions_listed: bool | None  # False: ListSubscriptionsByTopic failed
    confirmed_subscriptions: int
    pending_subscriptions: int


class Subscription(TypedDict):
    arn: str
    protocol: str | None
    endpoint: str | None
    confirmed: bool | None


class ChainObjects(TypedDict):
    """The objects of one candidate chain, by link, with real names and ARNs.

    The trail and the log group it names are always there; later objects are None when
    the chain stops before them.
    """

    trail: TrailObject
    log_group: LogGroupObject
    metric_filter: MetricFilterObject | None
    alarm: AlarmObject | None
    topic: TopicObject | None
    subscriptions: list[Subscription]


class LinkVerdict(TypedDict):
    """One link of the chain as the SQL judged it (see `queries.links`)."""

    link: str
    literal: bool  # the benchmark's own audit procedure asks for it
    held: bool | None  # None: could not be judged (inputs not collected)


class PatternCoverage(TypedDict):
    required_pattern: str
    filter_pattern: str | None
    covered: bool | None
    decided: bool | None
    reason: str | None
    counterexample: Any  # a CloudTrail record (JSON object) the filter misses, or None
    test_command: NotRequired[str]  # only with a counterexample and a filter pattern


class Attestation(TypedDict):
    """An attestation that the failing control is monitored elsewhere (`--attestations`)."""

    justification: str
    evidence: str
    approver: str
    expires: str  # ISO date
    source: str  # the attestations file
    active: bool


@final
class MetricFilterEvidence(TypedDict):
    """Evidence of a metric-filter control (CIS 4.1–4.15)."""

    profile: str
    snapshot_id: int | None
    candidates: int
    collection_errors: list[CollectionErrorRow]
    sql: str
    # The nearest candidate chain; absent when the account has no trail at all.
    chain: NotRequired[ChainObjects]
    links: NotRequired[list[LinkVerdict]]
    failed_link: NotRequired[str | None]
    pattern_coverage: NotRequired[PatternCoverage]
    attestation: NotRequired[Attestation]


@final
class SecurityHubEvidence(TypedDict):
    """Evidence of the Security Hub control (CIS 4.16)."""

    snapshot_id: int | None
    enabled_regions: list[str]
    disabled_regions: list[str]
    unknown_regions: list[str]
    hub_arns: list[str]
    collection_errors: list[CollectionErrorRow]
    sql: str


Evidence = MetricFilterEvidence | SecurityHubEvidence


def chain_of(ev: Evidence) -> ChainObjects | None:
    """The nearest candidate chain; None for Security Hub and for an account without trail."""
    return None if "enabled_regions" in ev else ev.get("chain")


def failed_link_of(ev: Evidence) -> str | None:
    """The first broken link of the chain; None when every link holds or there is no chain."""
    return None if "enabled_regions" in ev else ev.get("failed_link")
