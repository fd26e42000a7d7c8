"""The per-control sections: the benchmark text, then one verdict per account with its
chain, pattern coverage, remediation, attestation and collection errors."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from watchkeeper.queries.catalog import Control
from watchkeeper.queries.check import control_sql
from watchkeeper.queries.evidence import CollectionErrorRow, PatternCoverage
from watchkeeper.queries.results import STATUS_ORDER, STATUSES, CheckRun, Result
from watchkeeper.reports.model.chain import chain_boxes
from watchkeeper.reports.model.display import anchor, pretty_json
from watchkeeper.reports.model.raw import RawIndex
from watchkeeper.reports.model.remediation import remediation_commands
from watchkeeper.reports.model.types import (
    AccountInfo,
    AccountVerdict,
    AttestationInfo,
    ControlSection,
    Coverage,
    ErrorRow,
    HubInfo,
)
from watchkeeper.reports.redact import Redactor

__all__ = ["control_sections", "error_rows"]

# (control, filter pattern, counterexample) → (anchor, account) of the verdict showing it.
_Shown = dict[tuple[str, ...], tuple[str, str]]


def error_rows(rows: Iterable[CollectionErrorRow], redactor: Redactor | None) -> list[ErrorRow]:
    return [
        ErrorRow(
            e["account_id"],
            e["region"],
            e["service"],
            e["operation"],
            e["error_code"],
            redactor.text(e["message"]) if redactor else e["message"],
        )
        for e in rows
    ]


def _coverage(
    pc: PatternCoverage, control_id: str, here: str, account: str, shown: _Shown
) -> Coverage:
    ce = pc["counterexample"]
    text = pretty_json(ce) if ce is not None else None
    same_as = same_account = None
    if text is not None:
        key = (control_id, str(pc["filter_pattern"]), text)
        if key in shown:
            same_as, same_account = shown[key]
        else:
            shown[key] = (here, account)
    return Coverage(
        pc["required_pattern"],
        pc["filter_pattern"],
        pc["covered"],
        pc["reason"],
        text,
        pc.get("test_command"),
        same_as,
        same_account,
    )


def _verdict(
    control: Control,
    r: Result,
    account: AccountInfo,
    raw: RawIndex,
    redactor: Redactor | None,
    shown: _Shown,
) -> AccountVerdict:
    ev = r.evidence
    snap = ev["snapshot_id"]
    here = anchor("v", control.control_id, r.account_id)
    if "enabled_regions" in ev:  # Security Hub: regions, no chain
        return AccountVerdict(
            anchor=here,
            control_id=control.control_id,
            account=account,
            status=r.status,
            reason=r.reason,
            region=r.region,
            resource=r.resource,
            profile="full",
            failed_link=None,
            candidates=None,
            boxes=[],
            coverage=None,
            commands=remediation_commands(control, r),
            attestation=None,
            hub=HubInfo(
                list(ev["enabled_regions"]),
                list(ev["disabled_regions"]),
                list(ev["unknown_regions"]),
                list(ev["hub_arns"]),
            ),
            errors=error_rows(ev["collection_errors"], redactor),
            raw=raw.for_hub(int(snap), r.account_id) if snap is not None else [],
        )
    profile = ev["profile"]
    chain = ev.get("chain")
    pc = ev.get("pattern_coverage")
    att = ev.get("attestation")
    return AccountVerdict(
        anchor=here,
        control_id=control.control_id,
        account=account,
        status=r.status,
        reason=r.reason,
        region=r.region,
        resource=r.resource,
        profile=profile,
        failed_link=ev.get("failed_link"),
        candidates=ev["candidates"],
        boxes=chain_boxes(chain, ev.get("links") or [], profile) if chain else [],
        coverage=_coverage(pc, control.control_id, here, r.account_id, shown) if pc else None,
        commands=remediation_commands(control, r),
        attestation=AttestationInfo(
            att["justification"],
            att["evidence"],
            att["approver"],
            att["expires"],
            att["source"],
            att["active"],
        )
        if att
        else None,
        hub=None,
        errors=error_rows(ev["collection_errors"], redactor),
        raw=raw.for_chain(int(snap), chain) if snap is not None and chain else [],
    )


def control_sections(
    run: CheckRun,
    judged: list[str],
    controls: dict[str, Control],
    accounts: dict[str, AccountInfo],
    raw: RawIndex,
    redactor: Redactor | None,
    shown: Callable[[Result], bool] = lambda r: True,
) -> list[ControlSection]:
    """One section per judged control, in catalog order; failing accounts first in each.

    Counts cover every result of the run; ``shown`` picks the results drawn as verdicts
    (the main report: the exceptions; a pack: one account's)."""
    seen: _Shown = {}
    by_control: dict[str, list[Result]] = {}
    for r in sorted(run.results, key=lambda r: (STATUS_ORDER[r.status], r.account_id)):
        by_control.setdefault(r.control_id, []).append(r)
    sections: list[ControlSection] = []
    for cid in judged:
        c = controls[cid]
        results = by_control[cid]
        verdicts = [
            _verdict(c, r, accounts[r.account_id], raw, redactor, seen) for r in results if shown(r)
        ]
        sections.append(
            ControlSection(
                anchor=anchor("c", cid),
                control_id=cid,
                title=c.title,
                kind=c.kind,
                level=c.level,
                assessment=c.assessment,
                security_hub_id=c.security_hub_id,
                description=c.description,
                rationale=c.rationale,
                impact=c.impact,
                audit=c.audit,
                remediation=c.remediation,
                required_patterns=list(c.required_patterns),
                metric_name=c.metric_name,
                metric_namespace=c.metric_namespace,
                notes=c.notes,
                sql_path=results[0].evidence["sql"] if results else "",
                sql=control_sql(c),
                counts={st: sum(1 for r in results if r.status == st) for st in STATUSES},
                verdicts=verdicts,
            )
        )
    return sections
