"""Scenario builders: accounts with trails, log groups, filters, alarms, topics and
subscriptions, created through real boto3 calls against the moto server."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import boto3

DEFAULT_ACCOUNT = "123456789012"
CIS_4_5 = (
    "{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || "
    "($.eventName = DeleteTrail) || ($.eventName = StartLogging) || "
    "($.eventName = StopLogging) }"
)


class Estate:
    """The emulated AWS: one moto server, many accounts."""

    def __init__(self, endpoint: str, proxy_endpoint: str | None = None):
        self.endpoint = endpoint
        # What moto cannot store (composite alarms) is seeded through the fault proxy.
        self.proxy_endpoint = proxy_endpoint
        self._accounts: dict[str, Account] = {}

    def session(self, account_id: str = DEFAULT_ACCOUNT) -> boto3.Session:
        base = boto3.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
        )
        if account_id == DEFAULT_ACCOUNT:
            return base
        sts = base.client("sts", endpoint_url=self.endpoint)
        creds = sts.assume_role(
            RoleArn=f"arn:aws:iam::{account_id}:role/scenario-builder", RoleSessionName="seed"
        )["Credentials"]
        return boto3.Session(
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
            region_name="us-east-1",
        )

    def account(self, account_id: str = DEFAULT_ACCOUNT) -> Account:
        if account_id not in self._accounts:
            self._accounts[account_id] = Account(self, account_id, self.session(account_id))
        return self._accounts[account_id]

    def organization(self, member_names: list[str]) -> list[str]:
        """Create an organization in the default account; returns the member account ids."""
        org = self.account().client("organizations")
        org.create_organization(FeatureSet="ALL")
        ids = []
        for name in member_names:
            status = org.create_account(Email=f"{name}@example.com", AccountName=name)
            ids.append(status["CreateAccountStatus"]["AccountId"])
        return ids

    def root_id(self) -> str:
        root: str = self.account().client("organizations").list_roots()["Roots"][0]["Id"]
        return root

    def organizational_unit(self, name: str, parent_id: str | None = None) -> str:
        """Create an OU under ``parent_id`` (default: the root); returns its id."""
        org = self.account().client("organizations")
        unit = org.create_organizational_unit(ParentId=parent_id or self.root_id(), Name=name)
        ou_id: str = unit["OrganizationalUnit"]["Id"]
        return ou_id

    def move_account(self, account_id: str, ou_id: str) -> None:
        org = self.account().client("organizations")
        (parent,) = org.list_parents(ChildId=account_id)["Parents"]
        org.move_account(
            AccountId=account_id, SourceParentId=parent["Id"], DestinationParentId=ou_id
        )


@dataclass
class Chain:
    trail_arn: str
    log_group: str
    filter_name: str
    metric: str
    namespace: str
    alarm: str
    topic_arn: str
    subscription_arns: list[str] = field(default_factory=list)


class Account:
    def __init__(self, estate: Estate, account_id: str, session: boto3.Session):
        self.estate = estate
        self.account_id = account_id
        self.session = session
        self._clients: dict[tuple[str, str], Any] = {}
        self._bucket: str | None = None

    def client(self, service: str, region: str = "us-east-1") -> Any:
        key = (service, region)
        if key not in self._clients:
            self._clients[key] = self.session.client(
                service,  # type: ignore[call-overload]
                region_name=region,
                endpoint_url=self.estate.endpoint,
            )
        return self._clients[key]

    def bucket(self) -> str:
        if self._bucket is None:
            self._bucket = f"trail-logs-{self.account_id}"
            self.client("s3").create_bucket(Bucket=self._bucket)
        return self._bucket

    def log_group_arn(self, name: str, region: str) -> str:
        return f"arn:aws:logs:{region}:{self.account_id}:log-group:{name}:*"

    def log_group(self, name: str, region: str = "us-east-1") -> str:
        self.client("logs", region).create_log_group(logGroupName=name)
        return self.log_group_arn(name, region)

    def trail(
        self,
        name: str,
        region: str = "us-east-1",
        *,
        log_group: str | None = None,
        log_group_region: str | None = None,
        multi_region: bool = True,
        logging: bool = True,
        organization: bool = False,
        event_selectors: list[dict[str, Any]] | None = None,
        advanced_selectors: list[dict[str, Any]] | None = None,
    ) -> str:
        ct = self.client("cloudtrail", region)
        kwargs: dict[str, Any] = {
            "Name": name,
            "S3BucketName": self.bucket(),
            "IsMultiRegionTrail": multi_region,
            "IsOrganizationTrail": organization,
        }
        if log_group:
            kwargs["CloudWatchLogsLogGroupArn"] = self.log_group_arn(
                log_group, log_group_region or region
            )
            kwargs["CloudWatchLogsRoleArn"] = f"arn:aws:iam::{self.account_id}:role/ct-to-cwl"
        arn: str = ct.create_trail(**kwargs)["TrailARN"]
        if logging:
            ct.start_logging(Name=name)
        if event_selectors is not None:
            ct.put_event_selectors(TrailName=name, EventSelectors=event_selectors)
        if advanced_selectors is not None:
            ct.put_event_selectors(TrailName=name, AdvancedEventSelectors=advanced_selectors)
        return arn

    def metric_filter(
        self,
        log_group: str,
        name: str,
        pattern: str,
        metric: str,
        namespace: str = "CISBenchmark",
        region: str = "us-east-1",
        *,
        value: str = "1",
        default_value: float | None = None,
        dimensions: dict[str, str] | None = None,
        unit: str | None = None,
    ) -> None:
        t: dict[str, Any] = {
            "metricName": metric,
            "metricNamespace": namespace,
            "metricValue": value,
        }
        if default_value is not None:
            t["defaultValue"] = default_value
        if dimensions:
            t["dimensions"] = dimensions
        if unit:
            t["unit"] = unit
        self.client("logs", region).put_metric_filter(
            logGroupName=log_group,
            filterName=name,
            filterPattern=pattern,
            metricTransformations=[t],
        )

    def topic(self, name: str, region: str = "us-east-1") -> str:
        arn: str = self.client("sns", region).create_topic(Name=name)["TopicArn"]
        return arn

    def kms_key(self, region: str = "us-east-1") -> dict[str, Any]:
        """A customer-managed KMS key; its KeyMetadata (KeyId, Arn, KeyManager)."""
        meta: dict[str, Any] = self.client("kms", region).create_key()["KeyMetadata"]
        return meta

    def encrypt_topic(self, topic_arn: str, key: str) -> None:
        """Set the topic's KmsMasterKeyId (an alias, key id or key ARN)."""
        region = topic_arn.split(":")[3]
        self.client("sns", region).set_topic_attributes(
            TopicArn=topic_arn, AttributeName="KmsMasterKeyId", AttributeValue=key
        )

    def subscribe(self, topic_arn: str, endpoint: str, protocol: str = "email") -> str:
        region = topic_arn.split(":")[3]
        arn: str = self.client("sns", region).subscribe(
            TopicArn=topic_arn, Protocol=protocol, Endpoint=endpoint, ReturnSubscriptionArn=True
        )["SubscriptionArn"]
        return arn

    def alarm(
        self,
        name: str,
        metric: str,
        namespace: str,
        actions: list[str],
        region: str = "us-east-1",
        *,
        statistic: str = "Sum",
        threshold: float = 1.0,
        comparison: str = "GreaterThanOrEqualToThreshold",
        period: int = 300,
        evaluation_periods: int = 1,
        datapoints_to_alarm: int | None = None,
        actions_enabled: bool = True,
        dimensions: list[dict[str, str]] | None = None,
    ) -> None:
        kwargs: dict[str, Any] = {
            "AlarmName": name,
            "MetricName": metric,
            "Namespace": namespace,
            "Statistic": statistic,
            "Period": period,
            "EvaluationPeriods": evaluation_periods,
            "Threshold": threshold,
            "ComparisonOperator": comparison,
            "AlarmActions": actions,
            "ActionsEnabled": actions_enabled,
            "TreatMissingData": "notBreaching",
        }
        if datapoints_to_alarm is not None:
            kwargs["DatapointsToAlarm"] = datapoints_to_alarm
        if dimensions:
            kwargs["Dimensions"] = dimensions
        self.client("cloudwatch", region).put_metric_alarm(**kwargs)

    def metric_math_alarm(
        self,
        name: str,
        metric: str,
        namespace: str,
        actions: list[str],
        region: str = "us-east-1",
        *,
        dimensions: list[dict[str, str]] | None = None,
        stat: str = "Sum",
        threshold: float = 1.0,
    ) -> None:
        """An alarm on a one-metric ``Metrics`` list (no top-level MetricName/Namespace)."""
        watched: dict[str, Any] = {"Namespace": namespace, "MetricName": metric}
        if dimensions:
            watched["Dimensions"] = dimensions
        self.client("cloudwatch", region).put_metric_alarm(
            AlarmName=name,
            Metrics=[
                {
                    "Id": "m1",
                    "MetricStat": {"Metric": watched, "Period": 300, "Stat": stat},
                    "ReturnData": True,
                }
            ],
            EvaluationPeriods=1,
            Threshold=threshold,
            ComparisonOperator="GreaterThanOrEqualToThreshold",
            AlarmActions=actions,
            TreatMissingData="notBreaching",
        )

    def composite_alarm(
        self,
        name: str,
        rule: str,
        actions: list[str],
        region: str = "us-east-1",
        *,
        actions_enabled: bool = True,
        suppressor: str | None = None,
    ) -> str:
        """A composite alarm (kept by the fault proxy: moto has none); returns its ARN."""
        if self.estate.proxy_endpoint is None:
            raise RuntimeError("composite alarms need the fault proxy: Estate(…, proxy_endpoint)")
        kwargs: dict[str, Any] = {
            "AlarmName": name,
            "AlarmRule": rule,
            "AlarmActions": actions,
            "ActionsEnabled": actions_enabled,
        }
        if suppressor is not None:
            kwargs.update(
                ActionsSuppressor=suppressor,
                ActionsSuppressorWaitPeriod=60,
                ActionsSuppressorExtensionPeriod=300,
            )
        cw = self.session.client(
            "cloudwatch",  # type: ignore[call-overload]
            region_name=region,
            endpoint_url=self.estate.proxy_endpoint,
        )
        cw.put_composite_alarm(**kwargs)
        return f"arn:aws:cloudwatch:{region}:{self.account_id}:alarm:{name}"

    def enable_security_hub(self, region: str = "us-east-1") -> None:
        self.client("securityhub", region).enable_security_hub(EnableDefaultStandards=False)

    def chain(
        self,
        prefix: str = "cis-4-5",
        pattern: str = CIS_4_5,
        region: str = "us-east-1",
        *,
        trail: bool = True,
        subscriber: str | None = "secops@example.com",
    ) -> Chain:
        """A complete trail → log group → filter → alarm → topic → subscriber chain."""
        log_group = f"{prefix}-trail-logs"
        self.log_group(log_group, region)
        trail_arn = self.trail(f"{prefix}-trail", region, log_group=log_group) if trail else ""
        metric = f"{prefix}-metric"
        self.metric_filter(log_group, f"{prefix}-filter", pattern, metric, region=region)
        topic = self.topic(f"{prefix}-alerts", region)
        subs = [self.subscribe(topic, subscriber)] if subscriber else []
        self.alarm(f"{prefix}-alarm", metric, "CISBenchmark", [topic], region)
        return Chain(
            trail_arn,
            log_group,
            f"{prefix}-filter",
            metric,
            "CISBenchmark",
            f"{prefix}-alarm",
            topic,
            subs,
        )
