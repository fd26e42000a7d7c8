"""A run summarised for people: failing items grouped, and a pass matrix by OU or account.

Pure data (no rich, no typer): the terminal (`check`, `demo`) and the e-mail render these.
At 1,000 accounts a run holds ~16,000 results; one line per result does not read, so

* results of one account with the same status and the same reason across controls collapse
  into one :class:`FailureGroup` ("4.1–4.15 · 123456789012: trail `t` is single-region");
* the :class:`Matrix` counts passes per control, by OU when the snapshot has placements,
  by account when there are few accounts, else per control only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from watchkeeper.queries.results import STATUSES, Result, Status, control_sort_key

if TYPE_CHECKING:
    from watchkeeper.queries.org import OrgPlacement

# "Failures" are what needs a person: manual and pass results are not listed.
FAILING: tuple[Status, ...] = ("fail", "error")
# Up to this many accounts the matrix has a column per account; beyond it, one per OU
# (when placements exist) or a per-control summary.
MAX_ACCOUNT_COLUMNS = 20
RANGE_DASH = "–"  # en dash, as the benchmark writes ranges


@dataclass(frozen=True)
class FailureGroup:
    """Results of one account with the same failing status and the same reason text.

    One line replaces up to a whole benchmark's worth of identical rows, e.g. a single-region
    trail that fails 4.1–4.15 for the same cause.
    """

    status: Status  # "fail" or "error" (manual/pass are not failures)
    account_id: str
    reason: str  # the full text; renderers may shorten it, JSON keeps it whole
    control_ids: tuple[str, ...]  # in control_sort_key order
    controls_label: str  # "4.1–4.15", or "4.1, 4.3–4.5"
    ou_path: str | None  # from queries.org when placements are given
    # The grouped results, in control order; left out of ==/hash (their evidence is a dict).
    results: tuple[Result, ...] = field(default=(), compare=False, repr=False)

    @property
    def line(self) -> str:
        """``"4.1–4.15 · 123456789012: trail `t` is single-region"``."""
        return f"{self.controls_label} · {self.account_id}: {self.reason}"


def controls_label(control_ids: Iterable[str], judged: Sequence[str] | None = None) -> str:
    """Compact label for a set of controls: runs contiguous in ``judged`` become "a–b".

    ``judged`` is the order of the controls that were judged (catalog order); a run is
    contiguous when no judged control lies between its ends. Without it, the ids given are
    their own universe, so every id joins one run. ``["4.1", "4.3", "4.4", "4.5"]`` judged
    over 4.1–4.16 gives ``"4.1, 4.3–4.5"``.
    """
    ids = sorted(set(control_ids), key=control_sort_key)
    if not ids:
        return ""
    order = list(judged) if judged is not None else ids
    position = {cid: i for i, cid in enumerate(order)}
    # An id outside ``judged`` cannot extend a run; give it a position of its own.
    runs: list[list[str]] = []
    last: int | None = None
    for cid in ids:
        pos = position.get(cid)
        if runs and pos is not None and last is not None and pos == last + 1:
            runs[-1].append(cid)
        else:
            runs.append([cid])
        last = pos
    return ", ".join(r[0] if len(r) == 1 else f"{r[0]}{RANGE_DASH}{r[-1]}" for r in runs)


def judged_controls(results: Iterable[Result]) -> list[str]:
    """The distinct control ids of a run, in catalog (control_sort_key) order."""
    return sorted({r.control_id for r in results}, key=control_sort_key)


def failure_groups(
    results: Sequence[Result],
    ou_of: Mapping[str, str] | None = None,
    *,
    judged: Sequence[str] | None = None,
) -> list[FailureGroup]:
    """Failing results grouped by (account, status, reason), most significant first.

    Order: fail before error, then groups covering more controls, then account, then the
    first control.
    ``results`` should be the whole run (passes too): the controls judged in it decide
    which ranges are contiguous, unless ``judged`` gives that order explicitly. ``ou_of``
    maps account id → OU path (see :func:`ou_paths`); accounts missing from it get None.
    """
    order = list(judged) if judged is not None else judged_controls(results)
    buckets: dict[tuple[str, str, str], list[Result]] = defaultdict(list)
    for r in results:
        if r.status in FAILING:
            buckets[(r.account_id, r.status, r.reason)].append(r)
    groups: list[FailureGroup] = []
    for (account, _, reason), members in buckets.items():
        members.sort(key=lambda r: (control_sort_key(r.control_id), r.region or ""))
        ids = tuple(dict.fromkeys(r.control_id for r in members))
        groups.append(
            FailureGroup(
                status=members[0].status,
                account_id=account,
                reason=reason,
                control_ids=ids,
                controls_label=controls_label(ids, order),
                ou_path=ou_of.get(account) if ou_of is not None else None,
                results=tuple(members),
            )
        )
    groups.sort(
        key=lambda g: (
            FAILING.index(g.status),
            -len(g.control_ids),
            g.account_id,
            control_sort_key(g.control_ids[0]),
            g.reason,
        )
    )
    return groups


def ou_paths(placements_: Mapping[str, OrgPlacement]) -> dict[str, str]:
    """Account id → OU path, from ``queries.org.placements``: the ``ou_of`` argument."""
    return {a: p.ou_path for a, p in placements_.items()}


# --- the matrix -----------------------------------------------------------------------------

MatrixKind = Literal["ou", "account", "control"]


@dataclass(frozen=True)
class Tally:
    """Results of one control in one column (an OU, an account, or the whole run)."""

    passed: int = 0
    failed: int = 0
    errors: int = 0
    manual: int = 0

    @property
    def total(self) -> int:
        return self.passed + self.failed + self.errors + self.manual

    @property
    def rate(self) -> float | None:
        """Share of passes; None when nothing was judged here."""
        return self.passed / self.total if self.total else None

    @property
    def worst(self) -> Status | None:
        """The status that needs attention first (fail > error > manual > pass)."""
        by_status: tuple[tuple[Status, int], ...] = (
            ("fail", self.failed),
            ("error", self.errors),
            ("manual", self.manual),
            ("pass", self.passed),
        )
        return next((status for status, n in by_status if n), None)

    def add(self, status: Status) -> Tally:
        return Tally(
            self.passed + (status == "pass"),
            self.failed + (status == "fail"),
            self.errors + (status == "error"),
            self.manual + (status == "manual"),
        )


@dataclass(frozen=True)
class MatrixRow:
    control_id: str
    topic: str
    total: Tally  # over every column
    cells: tuple[Tally, ...]  # one per Matrix.columns (empty for kind "control")


@dataclass(frozen=True)
class MatrixColumn:
    key: str  # OU path or account id
    label: str  # what to print: the OU path without "Root/", or the account id
    accounts: int  # how many accounts the column holds


@dataclass(frozen=True)
class Matrix:
    """Pass counts per control (rows) and per OU or account (columns)."""

    kind: MatrixKind
    columns: tuple[MatrixColumn, ...]
    rows: tuple[MatrixRow, ...]
    accounts: int  # distinct accounts in the run


def _ou_label(path: str) -> str:
    # "Root/" heads every path; dropping it keeps columns narrow.
    if path.startswith("Root/"):
        return path.removeprefix("Root/")
    return path


def matrix_kind(
    accounts: int, has_ou_data: bool, *, max_account_columns: int = MAX_ACCOUNT_COLUMNS
) -> MatrixKind:
    """The one rule for every matrix (terminal, e-mail, report): by account up to
    ``max_account_columns`` accounts (a reader wants each one then), else by OU when the
    snapshot has organization data, else per control only."""
    if accounts <= max_account_columns:
        return "account"
    return "ou" if has_ou_data else "control"


def matrix(
    results: Sequence[Result],
    ou_of: Mapping[str, str] | None = None,
    *,
    max_account_columns: int = MAX_ACCOUNT_COLUMNS,
) -> Matrix:
    """Pass counts laid out as :func:`matrix_kind` decides (``ou_of``: the placements)."""
    accounts = sorted({r.account_id for r in results})
    kind = matrix_kind(len(accounts), bool(ou_of), max_account_columns=max_account_columns)
    if kind == "account":
        column_of = {a: a for a in accounts}
        keys = accounts
    elif kind == "ou" and ou_of:
        # Here, not at the top: queries.org brings DuckDB, which rendering a run without
        # organization data (and `check`'s start-up) does without.
        from watchkeeper.queries.org import UNPLACED

        column_of = {a: ou_of.get(a, UNPLACED) for a in accounts}
        keys = sorted(set(column_of.values()), key=lambda k: (k == UNPLACED, k))
    else:
        column_of, keys = {}, []
    members: dict[str, int] = defaultdict(int)
    for key in column_of.values():
        members[key] += 1
    index = {k: i for i, k in enumerate(keys)}
    topics: dict[str, str] = {}
    totals: dict[str, Tally] = {}
    cells: dict[str, list[Tally]] = {}
    for r in results:
        topics.setdefault(r.control_id, r.topic)
        totals[r.control_id] = totals.get(r.control_id, Tally()).add(r.status)
        row = cells.setdefault(r.control_id, [Tally()] * len(keys))
        if keys:
            i = index[column_of[r.account_id]]
            row[i] = row[i].add(r.status)
    rows = tuple(
        MatrixRow(cid, topics[cid], totals[cid], tuple(cells[cid]))
        for cid in sorted(totals, key=control_sort_key)
    )
    columns = tuple(MatrixColumn(k, _ou_label(k) if kind == "ou" else k, members[k]) for k in keys)
    return Matrix(kind, columns, rows, len(accounts))


# --- the whole summary ----------------------------------------------------------------------


@dataclass(frozen=True)
class RunSummary:
    """Counts, matrix and failure groups of one run: what the terminal and e-mail show."""

    counts: Mapping[Status, int]
    matrix: Matrix
    failures: tuple[FailureGroup, ...]


def summarise(
    results: Sequence[Result],
    ou_of: Mapping[str, str] | None = None,
    *,
    max_account_columns: int = MAX_ACCOUNT_COLUMNS,
) -> RunSummary:
    counts: dict[Status, int] = dict.fromkeys(STATUSES, 0)
    for r in results:
        counts[r.status] += 1
    return RunSummary(
        counts=counts,
        matrix=matrix(results, ou_of, max_account_columns=max_account_columns),
        failures=tuple(failure_groups(results, ou_of)),
    )
