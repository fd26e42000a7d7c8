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
from watchkeeper.reports.model.raw import RawIndex, compact
from watchkeeper.reports.model.sections import control_sections
from watchkeeper.reports.model.types import ChainBox, ControlSection, ReportModel

__all__ = ["PackBuilder"]

_Key = tuple[str, str | None, str | None]


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
        )
