"""`fix --apply`: run a plan through the fixer's clients, then prove it.

Step by step, in plan order: read whether the step's state already holds (then no write),
else make the one write. A failing step stops the chains it serves, with its error; other
chains go on. Nothing is deleted. Afterwards only the accounts and regions written to are
collected again (the collector, read-only as always), the chains' controls re-checked, and
each chain's verdict shown before → after. The run is stored (remediation_run).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from watchkeeper.collector import CollectRequest, collect
from watchkeeper.collector.aws import AwsOptions, error_code
from watchkeeper.fix import probes
from watchkeeper.fix.clients import FixerClients
from watchkeeper.fix.plan import PlanRequest, build_plan
from watchkeeper.fix.runs import complete_run, record_run
from watchkeeper.fix.steps import ChainPlan, Plan, Step
from watchkeeper.notify.runs import load_run
from watchkeeper.queries.check import CheckRequest, check
from watchkeeper.queries.results import Result

__all__ = ["ApplyOutcome", "ApplyRequest", "ChainOutcome", "StepLog", "apply_fix", "apply_plan"]

StepStatus = Literal["applied", "unchanged", "failed", "skipped"]


@dataclass(frozen=True)
class ApplyRequest:
    plan: PlanRequest
    aws: AwsOptions = field(default_factory=AwsOptions)
    role_name: str | None = None  # the fixer role, assumed in each account written to
    external_id: str | None = None
    # The role the re-collection reads through in other accounts (the reader role).
    collect_role_name: str | None = None


@dataclass(frozen=True)
class StepLog:
    step: int
    account_id: str
    region: str
    api_call: str
    params: dict[str, Any]
    status: StepStatus
    message: str

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class ChainOutcome:
    control_id: str
    account_id: str
    before: str
    after: str | None  # None: not re-checked (nothing was written for it)
    note: str

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class ApplyOutcome:
    plan: Plan
    log: list[StepLog]
    outcomes: list[ChainOutcome] = field(default_factory=list)
    remediation_id: int | None = None
    snapshot_after: int | None = None
    check_run_after: int | None = None
    applied_by: str = ""
    writes: list[str] = field(default_factory=list)  # write calls sent, service:Operation

    @property
    def failed(self) -> bool:
        return any(s.status == "failed" for s in self.log)


def _status(log: list[StepLog]) -> str:
    kinds = {s.status for s in log}
    if not log:
        return "nothing"
    if "failed" in kinds:
        return "partial" if "applied" in kinds or "unchanged" in kinds else "failed"
    return "applied" if "applied" in kinds else "unchanged"


def _run_step(step: Step, clients: FixerClients) -> tuple[StepStatus, str]:
    client = clients.get(step.account_id, step.service, step.region)
    why, params = probes.write_params(step, client)
    if why is not None:
        return "unchanged", why
    method = getattr(client, _snake(step.operation))
    answer = method(**params)
    detail = answer.get("TopicArn") or answer.get("SubscriptionArn") or "ok"
    return "applied", str(detail)


def _snake(operation: str) -> str:
    from botocore import xform_name

    return str(xform_name(operation))


def apply_plan(plan: Plan, clients: FixerClients) -> list[StepLog]:
    """Run the steps in order; a failure stops the chains of that step only."""
    stopped: dict[tuple[str, str], str] = {}
    log: list[StepLog] = []
    for step in plan.steps:
        chains = [(step.account_id, c) for c in step.controls]
        call = f"{step.service}:{step.operation}"
        if all(ch in stopped for ch in chains):
            why = stopped[chains[0]]
            log.append(
                StepLog(
                    step.id,
                    step.account_id,
                    step.region,
                    call,
                    step.params,
                    "skipped",
                    f"chain stopped: {why}",
                )
            )
            continue
        try:
            status, message = _run_step(step, clients)
        except Exception as exc:  # any failure of the call stops its chains, not the run
            code, text = error_code(exc)
            status, message = "failed", f"{code}: {text}"
            for ch in chains:
                stopped.setdefault(ch, f"step {step.id} ({call}) failed: {code}")
        log.append(
            StepLog(step.id, step.account_id, step.region, call, step.params, status, message)
        )
    return log


def _outcomes(
    plan: Plan, log: list[StepLog], after: dict[tuple[str, str], Result]
) -> list[ChainOutcome]:
    by_step = {s.step: s for s in log}
    out = []
    for chain in plan.chains:
        key = (chain.control_id, chain.account_id)
        out.append(
            ChainOutcome(
                chain.control_id,
                chain.account_id,
                chain.status,
                after[key].status if key in after else None,
                _note(plan, chain, by_step, after.get(key)),
            )
        )
    return out


def _note(plan: Plan, chain: ChainPlan, by_step: dict[int, StepLog], after: Result | None) -> str:
    failed = [by_step[i] for i in chain.steps if by_step[i].status in ("failed", "skipped")]
    if failed:
        return f"stopped: step {failed[0].step} {failed[0].api_call}: {failed[0].message}"
    if after is None:
        return "not re-checked: " + ("; ".join(chain.manual) or "no step was planned")
    if after.status == "pass":
        return "mended"
    link = None if "enabled_regions" in after.evidence else after.evidence.get("failed_link")
    pending = [
        plan.step(i).resource
        for i in chain.steps
        if plan.step(i).action == "subscribe"
        and plan.step(i).params["Protocol"] in ("email", "email-json", "http", "https")
    ]
    if pending and link == "subscriber_confirmed":
        return (
            f"cannot be confirmed yet: {', '.join(pending)} stays PendingConfirmation until a "
            "person confirms it from the message AWS sent"
        )
    if chain.manual:
        return "a person must: " + "; ".join(chain.manual)
    return f"still {after.status} after the steps: {after.reason}"


def _recollect(request: ApplyRequest, touched: list[tuple[str, str]]) -> int:
    """Collect only the accounts and regions written to: accounts that share the same
    regions in one collection each (a collection takes one region list for all its
    accounts). Returns the last snapshot's id; the re-check reads each account's latest."""
    regions_of: dict[str, list[str]] = {}
    for account, region in touched:
        regions_of.setdefault(account, []).append(region)
    groups: dict[tuple[str, ...], list[str]] = {}
    for account, found in regions_of.items():
        groups.setdefault(tuple(sorted(set(found))), []).append(account)
    snapshot = 0
    for regions, accounts in groups.items():
        collected = collect(
            CollectRequest(
                db=request.plan.db,
                accounts=tuple(accounts),
                regions=regions,
                role_name=request.collect_role_name,
                external_id=request.external_id,
                aws=request.aws,
            )
        )
        snapshot = collected.snapshot.snapshot_id
    return snapshot


def apply_fix(
    request: ApplyRequest, plan: Plan | None = None, clients: FixerClients | None = None
) -> ApplyOutcome:
    """Apply ``plan`` (default: the plan ``request.plan`` asks for), store the run,
    re-collect what was touched, re-check, and store the outcome."""
    started = datetime.now(UTC)
    plan = plan or build_plan(request.plan)
    clients = clients or FixerClients(request.aws, request.role_name, request.external_id)
    log = apply_plan(plan, clients)
    outcome = ApplyOutcome(plan, log, applied_by=clients.caller_arn, writes=clients.calls.writes())
    db = request.plan.db
    outcome.remediation_id = record_run(
        db,
        started_at=started,
        applied_by=clients.caller_arn,
        role_arns=clients.role_arns,
        benchmark=plan.benchmark,
        check_run_before=plan.check_run_id,
        snapshots_before=plan.snapshot_ids,
        status=_status(log),
        plan=plan.to_json(),
        steps=[s.to_json() for s in log],
    )
    touched = plan.recheck_targets()
    after: dict[tuple[str, str], Result] = {}
    if touched:
        accounts = tuple(dict.fromkeys(a for a, _ in touched))
        outcome.snapshot_after = _recollect(request, touched)
        before = load_run(db, run_id=plan.check_run_id)
        rechecked = check(
            CheckRequest(
                db=db,
                benchmark=plan.benchmark,
                controls=tuple(dict.fromkeys(c.control_id for c in plan.chains)),
                accounts=accounts,
                profile=before.profile,
            )
        )
        outcome.check_run_after = rechecked.run_id
        after = {(r.control_id, r.account_id): r for r in rechecked.results}
    outcome.outcomes = _outcomes(plan, log, after)
    complete_run(
        db,
        outcome.remediation_id,
        snapshot_after=outcome.snapshot_after,
        check_run_after=outcome.check_run_after,
        outcome=[o.to_json() for o in outcome.outcomes],
    )
    return outcome
