"""The default terminal view of a run: header, counts, pass matrix, grouped failing items.

Everything fits the console's width (80 columns when not a terminal): wide matrices are
split into column blocks, and long reasons are shortened with an ellipsis (their full text
is in `--all` and `--format json`). The data comes from queries.summary.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from watchkeeper.cli.output import STATUS_STYLE, out, print_counts, print_header
from watchkeeper.queries.results import STATUS_ORDER, CheckRun, Status, control_sort_key
from watchkeeper.queries.summary import (
    FailureGroup,
    Matrix,
    MatrixRow,
    Tally,
    failure_groups,
    matrix,
)

# Failing items shown before "… and N more": a screenful, the worst first.
FAILURE_LINES = 20
# A matrix column never grows past this; longer OU names wrap in the header.
MAX_COLUMN = 18
MORE_HINT = "use --all or --format json"
# The control column of the matrix: "4.3 root_account_usage" when there is room, down to
# "4.3 root_ac…"; the id before the topic is what must stay.
LABEL_MIN, LABEL_MAX, LABEL_BLOCKED = 12, 36, 20
# The per-account grid: one character per control, and how wide the account column gets.
GRID_MARK: dict[Status, str] = {"pass": ".", "fail": "F", "error": "E", "manual": "M"}
GRID_LABEL_MAX = 30
ACCOUNT_ID_WIDTH = 12
# What a column costs beside its text: a space of padding each side and the divider.
COLUMN_GAP = 3


@dataclass(frozen=True)
class _Column:
    header: str
    cells: tuple[Text, ...]

    @property
    def width(self) -> int:
        widest = max((c.cell_len for c in self.cells), default=1)
        head = max(len(line) for line in self.header.splitlines() or [""])
        return max(widest, min(head, MAX_COLUMN))


def _tally_text(t: Tally) -> Text:
    """ "64/75" passed, coloured by the worst result behind it."""
    worst = t.worst
    if worst is None:
        return Text("-", style="dim")
    return Text(f"{t.passed}/{t.total}", style=STATUS_STYLE[worst])


def _label(row: MatrixRow) -> Text:
    # The topic may be cut; the control id before it is what identifies the row.
    return Text(f"{row.control_id} {row.topic}", overflow="ellipsis", no_wrap=True)


def _ou_columns(m: Matrix) -> list[_Column]:
    cols = [_Column("all", tuple(_tally_text(r.total) for r in m.rows))]
    for i, c in enumerate(m.columns):
        count = f"{c.accounts} account{'s' if c.accounts != 1 else ''}"
        header = "\n".join([*_wrap_path(c.label, MAX_COLUMN), count])
        cols.append(_Column(header, tuple(_tally_text(r.cells[i]) for r in m.rows)))
    return cols


def _wrap_path(path: str, width: int) -> list[str]:
    """An OU path broken after "/" into lines of at most ``width`` (longer names fold)."""
    lines: list[str] = []
    for part in path.split("/"):
        piece = part if not lines else "/" + part
        if lines and len(lines[-1]) + len(piece) <= width:
            lines[-1] += piece
        else:
            if lines:
                lines[-1] += "/"
            lines.append(part)
    return [line[i : i + width] for line in lines for i in range(0, max(len(line), 1), width)]


def _blocks(cols: list[_Column], room: int) -> list[list[_Column]]:
    """Columns split into blocks that each fit ``room`` characters."""
    blocks: list[list[_Column]] = [[]]
    used = 0
    for c in cols:
        need = c.width + COLUMN_GAP
        if blocks[-1] and used + need > room:
            blocks.append([])
            used = 0
        blocks[-1].append(c)
        used += need
    return blocks


def _label_width(m: Matrix, cols: list[_Column], width: int) -> int:
    """Room for "4.3 root_account_usage": all that is left when one block fits, else 20."""
    longest = max((len(r.control_id) + 1 + len(r.topic) for r in m.rows), default=8)
    spare = width - 1 - sum(c.width + COLUMN_GAP for c in cols)
    if spare >= LABEL_MIN:
        return min(longest, spare, LABEL_MAX)
    return min(longest, LABEL_BLOCKED)


def print_matrix(m: Matrix, console: Console, names: Mapping[str, str] | None = None) -> None:
    """Controls × OUs (passed/judged), accounts × controls (a mark each), or per control
    only: whichever the matrix is, in as many blocks as the width needs."""
    if m.kind == "control":
        _print_control_summary(m, console)
        return
    if m.kind == "account":
        _print_account_grid(m, console, names or {})
        return
    cols = _ou_columns(m)
    label_width = _label_width(m, cols, console.width)
    for block in _blocks(cols, console.width - label_width - 1):
        table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
        table.add_column("passed, by OU", width=label_width, no_wrap=True, overflow="ellipsis")
        for c in block:
            table.add_column(c.header, justify="right", width=c.width, overflow="fold")
        for i, row in enumerate(m.rows):
            table.add_row(_label(row), *(c.cells[i] for c in block))
        console.print(table)
        console.print()


def _split_id(control_id: str) -> tuple[str, str]:
    """ "4.16" → ("4.", "16"): a control's column header on two lines, two characters wide."""
    head, dot, tail = control_id.rpartition(".")
    return (head + dot, tail) if dot else ("", control_id)


def _print_account_grid(m: Matrix, console: Console, names: Mapping[str, str]) -> None:
    """Accounts (rows) × controls (one character each): up to MAX_ACCOUNT_COLUMNS accounts
    fit 80 columns this way, where a column per 12-digit account id would not."""
    heads = [_split_id(r.control_id) for r in m.rows]
    cell_w = [max(len(a), len(b)) + 1 for a, b in heads]
    labels = [f"{c.key} {names[c.key]}" if c.key in names else c.key for c in m.columns]
    passed = [
        f"{sum(r.cells[i].passed for r in m.rows)}/{sum(r.cells[i].total for r in m.rows)}"
        for i in range(len(m.columns))
    ]
    pass_w = max(len("passed"), *(len(p) for p in passed)) + 1
    # Account names are cut (never the id) so that every control fits in one block.
    room_for_label = console.width - pass_w - sum(cell_w)
    longest = max(len("account"), *(len(x) for x in labels))
    label_w = min(longest, GRID_LABEL_MAX, max(room_for_label, ACCOUNT_ID_WIDTH))
    # Controls in blocks that fit beside the account and passed columns.
    blocks: list[list[int]] = [[]]
    used, room = 0, max(console.width - label_w - pass_w, max(cell_w))
    for i, w in enumerate(cell_w):
        if blocks[-1] and used + w > room:
            blocks.append([])
            used = 0
        blocks[-1].append(i)
        used += w
    for block in blocks:
        top = Text(" " * (label_w + pass_w))
        bottom = Text("account".ljust(label_w) + "passed".rjust(pass_w))
        for i in block:
            top.append(heads[i][0].rjust(cell_w[i]))
            bottom.append(heads[i][1].rjust(cell_w[i]))
        console.print(top, no_wrap=True, crop=True)
        console.print(bottom, style="bold", no_wrap=True, crop=True)
        for a, label in enumerate(labels):
            shown = label if len(label) <= label_w else label[: label_w - 1] + "…"
            line = Text(shown.ljust(label_w) + passed[a].rjust(pass_w))
            for i in block:
                worst = m.rows[i].cells[a].worst
                mark = GRID_MARK[worst] if worst else "-"
                line.append(mark.rjust(cell_w[i]), style=STATUS_STYLE[worst] if worst else "dim")
            console.print(line, no_wrap=True, crop=True)
    legend = Text("  ".join(f"{mark} {status}" for status, mark in GRID_MARK.items()))
    console.print(legend.append("  - not judged"), style="dim")
    console.print()


def _print_control_summary(m: Matrix, console: Console) -> None:
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    table.add_column("control", no_wrap=True, overflow="ellipsis", ratio=1)
    for name in ("pass", "fail", "error", "manual", "passed"):
        table.add_column(name, justify="right", no_wrap=True)
    for row in m.rows:
        t = row.total
        rate = f"{t.rate:.0%}" if t.rate is not None else "-"
        worst = t.worst or "pass"
        table.add_row(
            _label(row),
            str(t.passed),
            Text(str(t.failed), style=STATUS_STYLE["fail"] if t.failed else ""),
            Text(str(t.errors), style=STATUS_STYLE["error"] if t.errors else ""),
            str(t.manual),
            Text(rate, style=STATUS_STYLE[worst]),
        )
    console.print(table)
    console.print()


def failure_line(g: FailureGroup, names: Mapping[str, str] | None = None) -> Text:
    """``FAIL  4.1–4.15 · 123456789012: reason``; the caller's console cuts it to width."""
    account = g.account_id
    if names and g.account_id in names:
        account = f"{g.account_id} ({names[g.account_id]})"
    text = Text(f"{g.status.upper():<5} ", style=STATUS_STYLE[g.status])
    text.append(f"{g.controls_label} · {account}: {g.reason}")
    return text


def print_failures(
    groups: Sequence[FailureGroup],
    console: Console,
    *,
    names: Mapping[str, str] | None = None,
    limit: int = FAILURE_LINES,
) -> None:
    if not groups:
        console.print("no failing or erroring results")
        return
    results = sum(len(g.results) for g in groups)
    items = f"{len(groups)} item{'' if len(groups) == 1 else 's'}"
    console.print(Text(f"failing: {items} ({results} results, grouped by account and reason)"))
    for g in groups[:limit]:
        # Cut to the width, not wrapped: the control range and account come first and stay.
        console.print(failure_line(g, names), no_wrap=True, overflow="ellipsis", crop=True)
    if len(groups) > limit:
        console.print(Text(f"… and {len(groups) - limit} more; {MORE_HINT}"))


def print_summary(
    run: CheckRun,
    *,
    console: Console = out,
    names: Mapping[str, str] | None = None,
    limit: int = FAILURE_LINES,
) -> None:
    """The default `check` (and `demo`) output: reads at 80 columns at any number of accounts."""
    print_header(run, console)
    print_counts(run, console)
    print_matrix(matrix(run.results, run.ou_paths or None), console, names)
    print_failures(
        failure_groups(run.results, run.ou_paths or None), console, names=names, limit=limit
    )


def print_all_results(run: CheckRun, *, console: Console = out) -> None:
    """`check --all`: one row per result, failing items first. The control column holds
    the id only (the topic is in JSON), so the reason keeps most of the width and wraps:
    every word is there at 80 columns."""
    print_header(run, console)
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    table.add_column("status", no_wrap=True)
    table.add_column("control", no_wrap=True)
    table.add_column("account", no_wrap=True)
    table.add_column("reason", overflow="fold", ratio=1)
    for r in sorted(
        run.results,
        key=lambda r: (STATUS_ORDER[r.status], r.account_id, control_sort_key(r.control_id)),
    ):
        table.add_row(
            Text(r.status.upper(), style=STATUS_STYLE[r.status]),
            r.control_id,
            r.account_id,
            Text(r.reason),
        )
    if run.results:
        console.print(table)
    print_counts(run, console)
