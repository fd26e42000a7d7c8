"""Evidence: one verdict drawn as the report draws it (the report model's sections and
raw-object index), with every box of the chain in full and the objects it cites."""

from __future__ import annotations

from dataclasses import dataclass, replace

import duckdb

from watchkeeper.reports.model import ControlSection, RawObject
from watchkeeper.reports.model.sections import control_sections
from watchkeeper.serve.store import NotFound, RunView

__all__ = ["EvidencePage", "evidence_page"]


@dataclass(frozen=True)
class EvidencePage:
    section: ControlSection  # its one verdict is this account's
    raw_objects: list[RawObject]


def evidence_page(
    con: duckdb.DuckDBPyConnection, view: RunView, account_id: str, control_id: str
) -> EvidencePage:
    result = view.by_pair.get((control_id, account_id))
    if result is None:
        raise NotFound(f"no verdict of control {control_id} for account {account_id}")
    b = view.basis
    run = replace(b.run, results=[result])
    with view.raw_lock:  # the index collects the cited objects: one page at a time
        raw = view.raw(con)
        raw.restart()
        sections = control_sections(run, [control_id], b.controls, b.accounts, raw, b.redactor)
        objects = list(raw.objects.values())
    return EvidencePage(sections[0], objects)
