"""What the table docs are made of: a documented column, and the AWS API sources
(operation and response path) the column docs cite. Shared by catalog_tables and
catalog_steampipe."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    meaning: str
    source: str  # "cloudtrail:DescribeTrails trailList[].Name", "derived: …" or "watchkeeper"
    # Computed by the plain view (store/views.sql) for Steampipe's queries; not in history.*
    view_only: bool = False


CT = "cloudtrail:DescribeTrails trailList[]"
CTS = "cloudtrail:GetTrailStatus"
CTE = "cloudtrail:GetEventSelectors"
LG = "logs:DescribeLogGroups logGroups[]"
MF = "logs:DescribeMetricFilters metricFilters[]"
MT = f"{MF}.metricTransformations[0]"
AL = "cloudwatch:DescribeAlarms MetricAlarms[]"
CA = "cloudwatch:DescribeAlarms CompositeAlarms[]"
TA = "sns:GetTopicAttributes Attributes"
SU = "sns:ListSubscriptionsByTopic Subscriptions[]"
HUB = "securityhub:DescribeHub"
ORG = "organizations:DescribeOrganization Organization"
ROOT = "organizations:ListRoots Roots[]"
OU = "organizations:ListOrganizationalUnitsForParent OrganizationalUnits[]"
ACC = "organizations:ListAccountsForParent Accounts[]"
