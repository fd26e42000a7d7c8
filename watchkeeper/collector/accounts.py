"""Who we are and where to look: caller identity, organization accounts, account alias and
organization id, and the regions enabled for an account."""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass
from typing import Any

import botocore.exceptions
from botocore.session import Session as BotocoreSession

from watchkeeper.collector.aws import CollectorSetupError, Scope, error_code, paginate
from watchkeeper.collector.clients import Clients
from watchkeeper.store.model import Row


@dataclass(frozen=True)
class Caller:
    account_id: str
    arn: str
    partition: str


@dataclass(frozen=True)
class RegionChoice:
    name: str
    opt_in_status: str | None
    collect: bool
    skip_reason: str | None


def caller_identity(clients: Clients, region: str) -> Caller:
    try:
        ident = clients.get("sts", region).get_caller_identity()
    except botocore.exceptions.NoCredentialsError:
        raise CollectorSetupError(
            "no AWS credentials found: set --profile/AWS_PROFILE, or AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY, or run where an instance or task role is available"
        ) from None
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        code, message = error_code(exc)
        raise CollectorSetupError(f"AWS rejected the credentials ({code}): {message}") from None
    arn = ident["Arn"]
    return Caller(account_id=ident["Account"], arn=arn, partition=arn.split(":")[1])


def organization_accounts(clients: Clients, region: str) -> list[str]:
    """Active accounts of the caller's organization (management or delegated admin)."""
    return active_account_ids(organization_listing(clients, region))


def organization_listing(clients: Clients, region: str) -> list[dict[str, Any]]:
    """Every account of the caller's organization as ListAccounts returns it."""
    try:
        accounts = paginate(clients.get("organizations", region), "list_accounts", "Accounts")
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        code, message = error_code(exc)
        raise CollectorSetupError(
            f"--organization: cannot list the organization's accounts ({code}): {message}; "
            "run from the management account or a delegated administrator"
        ) from None
    return accounts


def active_account_ids(listing: list[dict[str, Any]]) -> list[str]:
    # 'State' replaces 'Status' in newer API versions; accept either.
    active = [a["Id"] for a in listing if (a.get("State") or a.get("Status")) in ("ACTIVE", None)]
    return sorted(active)


def identity_row(
    scope: Scope,
    caller_arn: str | None,
    access_method: str,
    role_arn: str | None,
    status: str,
) -> Row:
    """The aws_account row: alias and organization, each call allowed to fail on its own."""
    aliases: list[str] | None = None
    org: dict[str, Any] | None = None
    if status != "failed":
        iam = scope.client("iam")
        aliases = scope.attempt(
            "iam",
            "ListAccountAliases",
            lambda: paginate(iam, "list_account_aliases", "AccountAliases"),
        )
        org = scope.attempt("organizations", "DescribeOrganization", lambda: _organization(scope))
    o = (org or {}).get("Organization") or {}
    return {
        "account_id": scope.account_id,
        "region": scope.region,
        "partition": scope.partition,
        "arn": f"arn:{scope.partition}:::{scope.account_id}",
        "caller_arn": caller_arn,
        "access_method": access_method,
        "collection_status": status,
        "role_arn": role_arn,
        "account_aliases": aliases,
        "organization_id": o.get("Id"),
        "organization_arn": o.get("Arn"),
        "organization_master_account_id": o.get("MasterAccountId"),
        "is_organization_management": (o.get("MasterAccountId") == scope.account_id if o else None),
        "raw": {"Organization": o or None, "AccountAliases": aliases},
    }


def _organization(scope: Scope) -> dict[str, Any]:
    try:
        result: dict[str, Any] = scope.client("organizations").describe_organization()
    except botocore.exceptions.ClientError as exc:
        # Not being in an organization is a fact about the account, not an error.
        if exc.response.get("Error", {}).get("Code") == "AWSOrganizationsNotInUseException":
            return {}
        raise
    return result


_PARTITION_LOCK = threading.Lock()


@functools.cache
def _botocore_session() -> BotocoreSession:
    return BotocoreSession()


@functools.cache
def _partition_of(region: str) -> str | None:
    """The region's partition; None when this botocore does not know the region. Asked of
    one botocore session per process: building one reads botocore's endpoint data, some
    80 ms — per region and account, that was 1.7 s of CPU for every account."""
    with _PARTITION_LOCK:  # botocore builds its endpoint resolver lazily, unguarded
        try:
            return str(_botocore_session().get_partition_for_region(region))
        except Exception:  # unknown to this botocore: judge by the endpoint instead
            return None


def enabled_regions(scope: Scope) -> list[RegionChoice] | None:
    """Every region of the account's partition with its opt-in status, asked of the account.

    None when the account could not be asked (the error is recorded by ``attempt``).
    """
    regions = scope.attempt(
        "ec2",
        "DescribeRegions",
        lambda: scope.client("ec2").describe_regions(AllRegions=True)["Regions"],
    )
    if regions is None:
        return None
    out: list[RegionChoice] = []
    for r in sorted(regions, key=lambda r: r["RegionName"]):
        name = r["RegionName"]
        partition = _partition_of(name)
        if partition is not None and partition != scope.partition:
            continue
        status = r.get("OptInStatus")
        if status == "not-opted-in":
            out.append(RegionChoice(name, status, False, "opt-in region not enabled"))
        else:
            out.append(RegionChoice(name, status, True, None))
    return out


def region_rows(scope: Scope, choices: list[RegionChoice]) -> list[Row]:
    return [
        {
            "account_id": scope.account_id,
            "region": c.name,
            "name": c.name,
            "opt_in_status": c.opt_in_status,
            "collected": c.collect,
            "skip_reason": c.skip_reason,
            "raw": {"RegionName": c.name, "OptInStatus": c.opt_in_status},
        }
        for c in choices
    ]
