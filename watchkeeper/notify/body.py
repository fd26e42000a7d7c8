"""The e-mail body (plain text and HTML), bounded: its size does not grow with the estate.

At 1,000 accounts a body listing every account and failing result would be megabytes that
no one reads and that relays refuse. It holds the counts, what changed since the previous run
(the first :data:`CHANGE_LIMIT` changes), the accounts with the most failures (the first
:data:`ACCOUNT_LIMIT`), above that many accounts the pass counts per OU (the first
:data:`OU_LIMIT`) or per control, and the failing items grouped one line per account and
reason across controls (at most :data:`GROUP_LIMIT`, of which error groups keep
:data:`ERROR_GROUP_SHARE` however many accounts fail); each list ends with how many more the
attachment or the report folder holds. Free text (reasons, titles) is clipped to :data:`TEXT_LIMIT`.
"""

from __future__ import annotations

import functools
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path

import jinja2

from watchkeeper import __version__
from watchkeeper.notify.attachments import AttachmentPlan
from watchkeeper.notify.runs import Change, RunDiff
from watchkeeper.queries.results import STATUSES, CheckRun
from watchkeeper.queries.summary import FAILING, FailureGroup, Matrix, failure_groups, matrix
from watchkeeper.reports.html import jinja_environment

GROUP_LIMIT = 25
# Of GROUP_LIMIT, the lines kept for error groups (when there are that many): at 1,000
# accounts the fail groups alone would fill the body, and an error (a region or account that
# could not be read) must not vanish behind them. Either status takes the other's unused lines.
ERROR_GROUP_SHARE = 10
ACCOUNT_LIMIT = 20
OU_LIMIT = 20
CHANGE_LIMIT = 25
# One reason can quote a whole CloudTrail record; the attachment has it verbatim.
TEXT_LIMIT = 300
LABEL_LIMIT = 50  # an OU path or control title in the pass counts (a text column)


def clip(text: str, limit: int = TEXT_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@dataclass(frozen=True)
class AccountRow:
    account_id: str
    counts: dict[str, int]


@dataclass(frozen=True)
class PassCount:
    """One line of the pass counts: an OU (``accounts`` in it) or a control."""

    label: str  # the OU path without "Root/", or "<control id> <topic>"; clipped
    passed: int
    judged: int
    accounts: int | None  # an OU's accounts; None for a control's line


@dataclass(frozen=True)
class PassCounts:
    """Pass counts per OU (the first OU_LIMIT) or per control: what both bodies print
    above ACCOUNT_LIMIT accounts. Empty by account, as the accounts list shows each one."""

    by: str | None  # "ou", "control", or None (nothing to show)
    lines: list[PassCount]
    more: int  # OUs left out

    @property
    def heading(self) -> str:
        if self.by == "ou":
            return f"Passed per OU ({len(self.lines) + self.more})"
        return "Passed per control"


def pass_counts(m: Matrix) -> PassCounts:
    if m.kind == "control":
        return PassCounts(
            "control",
            [
                PassCount(
                    clip(f"{r.control_id} {r.topic}", LABEL_LIMIT),
                    r.total.passed,
                    r.total.total,
                    None,
                )
                for r in m.rows
            ],
            0,
        )
    if m.kind != "ou":
        return PassCounts(None, [], 0)
    lines = [
        PassCount(
            clip(c.label, LABEL_LIMIT),
            sum(r.cells[i].passed for r in m.rows),
            sum(r.cells[i].total for r in m.rows),
            c.accounts,
        )
        for i, c in enumerate(m.columns[:OU_LIMIT])
    ]
    return PassCounts("ou", lines, max(0, len(m.columns) - OU_LIMIT))


@dataclass(frozen=True)
class Body:
    """What both bodies show; the HTML template reads these fields by name."""

    run: CheckRun
    counts: dict[str, int]
    statuses: tuple[str, ...]
    accounts: list[AccountRow]  # the most failing first, at most ACCOUNT_LIMIT
    accounts_total: int
    # From the matrix laid out by the rule the terminal and the report follow
    # (queries.summary.matrix_kind): nothing by account (the accounts list above is then
    # every account), else per OU or per control; the text and HTML parts print these lines.
    passes: PassCounts
    groups: list[FailureGroup]  # at most GROUP_LIMIT (bounded_groups: errors keep a share)
    groups_total: int
    failing_total: int  # failing results (fail and error), not groups
    diff: RunDiff | None
    changes: list[Change]  # at most CHANGE_LIMIT of diff.changes
    attached: list[str]
    attachment_note: str | None  # why the reports are zipped or summarised, and where
    rest_in: str  # where the items the body leaves out are
    report_dir: str | None
    version: str
    checked_at: str
    collected_at: str

    @property
    def accounts_more(self) -> int:
        return self.accounts_total - len(self.accounts)

    @property
    def groups_more(self) -> int:
        return self.groups_total - len(self.groups)

    @property
    def changes_more(self) -> int:
        return len(self.diff.changes) - len(self.changes) if self.diff else 0


def _accounts(run: CheckRun) -> list[AccountRow]:
    per: dict[str, dict[str, int]] = {}
    for r in run.results:
        per.setdefault(r.account_id, dict.fromkeys(STATUSES, 0))[r.status] += 1
    rows = [AccountRow(a, c) for a, c in per.items()]
    return sorted(rows, key=lambda a: (-a.counts["fail"] - a.counts["error"], a.account_id))


def bounded_groups(groups: list[FailureGroup], limit: int = GROUP_LIMIT) -> list[FailureGroup]:
    """At most ``limit`` groups: fail groups first, then error groups, each within its share
    (``ERROR_GROUP_SHARE`` for errors, the rest for fails)."""
    fails = [g for g in groups if g.status == "fail"]
    errors = [g for g in groups if g.status != "fail"]
    n_errors = min(len(errors), max(ERROR_GROUP_SHARE, limit - len(fails)), limit)
    n_fails = min(len(fails), limit - n_errors)
    return fails[:n_fails] + errors[:n_errors]


def _rest_in(plan: AttachmentPlan, report_dir: Path | None) -> str:
    if plan.mode == "full" and plan.files:
        return "in the attached report"
    if plan.mode == "compressed":
        return f"in the attached {plan.files[0].filename}"
    if plan.mode == "summary":
        return f"in the attached {plan.files[0].filename} and the full report"
    return f"in the report in {report_dir}" if report_dir else "in the report"


def build(
    run: CheckRun,
    diff: RunDiff | None,
    plan: AttachmentPlan,
    report_dir: Path | None,
    ou_of: Mapping[str, str] | None = None,
) -> Body:
    accounts = _accounts(run)
    groups = failure_groups(run.results, ou_of or None)
    changes = list(diff.changes[:CHANGE_LIMIT]) if diff is not None else []
    return Body(
        run=run,
        counts=run.counts(),
        statuses=STATUSES,
        accounts=accounts[:ACCOUNT_LIMIT],
        accounts_total=len(accounts),
        passes=pass_counts(matrix(run.results, ou_of or None)),
        groups=bounded_groups(groups),
        groups_total=len(groups),
        failing_total=sum(1 for r in run.results if r.status in FAILING),
        diff=diff,
        changes=changes,
        attached=plan.names,
        attachment_note=plan.note,
        rest_in=_rest_in(plan, report_dir),
        report_dir=str(report_dir) if report_dir else None,
        version=__version__,
        checked_at=run.checked_at.strftime("%Y-%m-%d %H:%M UTC"),
        collected_at=run.snapshot.collected_at.strftime("%Y-%m-%d %H:%M UTC"),
    )


def _pass_lines(p: PassCounts) -> list[str]:
    if p.by is None:
        return []
    lines = [f"{p.heading}:"]
    for c in p.lines:
        of = f" ({c.accounts} accounts)" if c.accounts is not None else ""
        lines.append(f"  {c.label:{LABEL_LIMIT}} {c.passed}/{c.judged}{of}")
    if p.more:
        lines.append(f"  … and {p.more} more OUs")
    return [*lines, ""]


@functools.cache  # one per process: composing tries up to five messages (attachments.py)
def _env() -> jinja2.Environment:
    # The report's settings (autoescape, StrictUndefined), with a filter of the e-mail's own:
    # not an overlay of the report's environment, which would share its filters.
    env = jinja_environment(jinja2.PackageLoader("watchkeeper.reports", "templates"))
    env.filters["clip"] = clip
    return env


def html(body: Body) -> str:
    fields_ = {f.name: getattr(body, f.name) for f in fields(body)}
    return _env().get_template("email.html.j2").render(body=body, **fields_)


def text(body: Body) -> str:
    run = body.run
    lines: list[str] = []
    diff = body.diff
    if diff is not None and diff.changes:
        lines.append(f"What changed since run {diff.previous_run_id}:")
        lines += [f"  {c.describe()}  {clip(c.title, 120)}" for c in body.changes]
        if body.changes_more:
            lines.append(f"  … and {body.changes_more} more changes (watchkeeper diff)")
        lines.append("")
    elif diff is not None and diff.first_run:
        lines += ["First stored run of this benchmark: no previous verdicts to compare.", ""]
    counts = body.counts
    lines.append(
        f"{run.benchmark} ({run.profile} profile), checked {body.checked_at}, snapshot "
        f"{run.snapshot.id} collected {body.collected_at}"
    )
    lines.append(" · ".join(f"{counts[s]} {s}" for s in STATUSES))
    lines.append("")
    if body.accounts_total > 1:
        lines.append(f"Accounts ({body.accounts_total}), the most failing first:")
        for a in body.accounts:
            lines.append(f"  {a.account_id}  " + " · ".join(f"{a.counts[s]} {s}" for s in STATUSES))
        if body.accounts_more:
            lines.append(f"  … and {body.accounts_more} more accounts {body.rest_in}")
        lines.append("")
    lines += _pass_lines(body.passes)
    if body.groups:
        lines.append(f"Failing items ({body.failing_total}), one line per account and reason:")
        lines += [
            f"  {g.status.upper():5} "
            + (f"[{clip(g.ou_path, 80)}] " if g.ou_path else "")
            + clip(g.line)
            for g in body.groups
        ]
        if body.groups_more:
            lines.append(f"  … and {body.groups_more} more {body.rest_in}")
    else:
        lines.append("No failing items.")
    if body.attachment_note:
        # Wrapped for plain-text readers; a path is never split.
        note = textwrap.fill(
            body.attachment_note, 78, break_long_words=False, break_on_hyphens=False
        )
        lines += ["", note]
    if body.attached:
        lines += ["", f"Attached: {', '.join(body.attached)}"]
    lines += ["", f"-- watchkeeper {body.version}"]
    return "\n".join(lines) + "\n"
