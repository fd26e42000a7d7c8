"""Evidence packs: one account's complete evidence (every control's full chain, pass or
fail, with the raw objects it cites), built from the main report's `ReportBasis`.

A pack carries the main report's cover, hashes included: the snapshot and results SHA-256
of the whole run, so a pack can be tied to the main report it belongs to.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import duckdb

from watchkeeper.queries.results import Result
from watchkeeper.reports.model.build import (
    ReportBasis,
    errors_of,
    rerun_commands,
    summary_of,
    views_sql,
)
from watchkeeper.reports.model.chain import BOX_LINKS
from watchkeeper.reports.model.raw import RawIndex, compact
from watchkeeper.reports.model.sections import control_sections
from watchkeeper.reports.model.types import ChainBox, CheckKey, ControlSection, ReportModel

__all__ = ["PackBuilder"]

_Key = tuple[str, str | None, str | None]
_Checks = tuple[tuple[str, bool], ...]  # (label, judged by the profile) per check


def _key(b: ChainBox) -> _Key:
    return (b.kind, b.name, b.arn)


def _share(sections: list[ControlSection]) -> tuple[list[ControlSection], list[ChainBox]]:
    """Mark held boxes that two or more of the account's chains show, and list each once:
    15 chains through one trail and one topic need not draw them 15 times."""
    seen = Counter(_key(b) for s in sections for v in s.verdicts for b in v.boxes)
    shared: dict[_Key, ChainBox] = {}
    out: list[ControlSection] = []
    for s in sections:
        verdicts = []
        for v in s.verdicts:
            boxes = []
            for b in v.boxes:
                if b.state == "held" and b.name is not None and seen[_key(b)] > 1:
                    b = replace(b, shared=True)
                    shared.setdefault(_key(b), b)
                boxes.append(b)
            verdicts.append(replace(v, boxes=boxes))
        out.append(replace(s, verdicts=verdicts))
    return out, list(shared.values())


def _checks(b: ChainBox) -> _Checks | None:
    """A box's checks if every one holds (None otherwise: the box lists them)."""
    if b.state != "held" or any(c.state != "held" for c in b.checks):
        return None
    return tuple((c.label, c.in_profile) for c in b.checks)


def _key_checks(
    sections: list[ControlSection], shared: list[ChainBox]
) -> tuple[list[ControlSection], list[ChainBox], list[CheckKey]]:
    """List the checks of each kind of box once: the most common all-held set of a kind
    is its key, and the boxes with exactly that set are marked ``keyed`` (they print only
    the count). A pack repeats the same dozen checks on every one of its chains."""
    counts: dict[str, Counter[_Checks]] = {}
    for b in [*(b for s in sections for v in s.verdicts for b in v.boxes), *shared]:
        checks = _checks(b)
        if checks:
            counts.setdefault(b.label, Counter())[checks] += 1
    order = [label for _, label, _ in BOX_LINKS]  # chain order, unknown kinds last
    key = {
        label: counts[label].most_common(1)[0][0]
        for label in sorted(counts, key=lambda x: order.index(x) if x in order else len(order))
    }

    def mark(b: ChainBox) -> ChainBox:
        return replace(b, keyed=True) if _checks(b) == key.get(b.label) else b

    out = [
        replace(
            s,
            verdicts=[replace(v, boxes=[mark(b) for b in v.boxes]) for v in s.verdicts],
        )
        for s in sections
    ]
    return out, [mark(b) for b in shared], [CheckKey(lb, list(c)) for lb, c in key.items()]


class PackBuilder:
    """Builds the packs of one run; the snapshot's tables are loaded once for all of them."""

    def __init__(self, con: duckdb.DuckDBPyConnection, basis: ReportBasis):
        self.basis = basis
        self._raw = RawIndex(con, basis.snapshot_ids, basis.redactor)
        self._results: dict[str, list[Result]] = {}
        for r in basis.checked.results:
            self._results.setdefault(r.account_id, []).append(r)

    @property
    def account_ids(self) -> list[str]:
        return self.basis.account_ids

    def pack(self, account_id: str) -> ReportModel:
        b = self.basis
        account = b.accounts[account_id]
        results = b.masked(self._results.get(account_id, []))
        run = replace(b.checked, results=results)
        present = {r.control_id for r in results}
        judged = [cid for cid in b.judged if cid in present]
        self._raw.restart()  # each pack's appendix holds its own objects only
        sections = control_sections(run, judged, b.controls, b.accounts, self._raw, b.redactor)
        sections, shared = _share(sections)
        sections, shared, check_key = _key_checks(sections, shared)
        return ReportModel(
            cover=replace(b.cover, accounts=[account]),  # hashes stay the whole run's
            summary=summary_of(run, judged, b.controls, b.accounts, [account_id], {}),
            controls=sections,
            raw_objects=[compact(o) for o in self._raw.objects.values()],
            collection_errors=errors_of(b, account_id),
            rerun_commands=rerun_commands(b.checked, account_id),
            views_sql=views_sql(),
            run=run,
            pack_account=account,
            shared_boxes=shared,
            check_key=check_key,
        )
