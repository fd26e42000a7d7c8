"""The main report's compact table of passing results.

Organisations built from one template give every account the same chain names, so a
line per account and control repeating them filled ~80 pages at 1,000 accounts. Instead:

- a key, once: per control, the *usual* chain — for each link the name most of the
  control's passing results have (trail → log group → filter → alarm → topic → confirmed
  subscribers), or the note that stands in for a chain (Security Hub);
- then one line per account, one anchor (the matrix links each of the account's passes to
  it): its label, the snapshot (id and first digits of the SHA-256) its verdicts were
  drawn from, and the id of every passing control. A control whose chain differs from the
  usual one is followed by the names that differ (or its note, or its own snapshot); a
  deviation all of the account's chains share (its own trail, say) is said once after the
  account.

Every passing (account, control) stays one entry tied to its snapshot hash; the full chain
is in the account's evidence pack.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any, cast

from watchkeeper.queries.results import Result
from watchkeeper.reports.model.display import pass_anchor
from watchkeeper.reports.model.types import AccountInfo, PassGroup, PassLine, UsualChain
from watchkeeper.reports.redact import Redactor

__all__ = ["pass_groups", "usual_chains"]

# The names compared with the usual chain, in chain order: ARNs and metrics are in the pack.
_SHOWN = (
    ("trail", "trail"),
    ("log_group", "log group"),
    ("metric_filter", "filter"),
    ("alarm", "alarm"),
    ("topic", "topic"),
)
_LABELS = [label for _, label in _SHOWN] + ["subscribers"]
_NONE = "none"  # a link the usual chain names and this one does not


def _names(r: Result) -> dict[str, str]:
    chain = r.evidence.get("chain")
    if not chain:
        return {}
    objects = cast(dict[str, Any], chain)  # looked up by key, in chain order
    out: dict[str, str] = {}
    for key, label in _SHOWN:
        obj = objects.get(key)
        if obj and obj.get("name"):
            out[label] = str(obj["name"])
    subs = objects.get("subscriptions") or []
    if subs:
        out["subscribers"] = str(sum(1 for s in subs if s.get("confirmed")))
    return out


def _note(r: Result) -> str | None:
    ev = r.evidence
    if "enabled_regions" in ev:
        return f"Security Hub enabled in {len(ev['enabled_regions'])} region(s)"
    att = ev.get("attestation")
    if att:
        return f"attested by {att['approver']}"
    return None if ev.get("chain") else r.reason


def _passes(results: list[Result]) -> list[Result]:
    return [r for r in results if r.status == "pass"]


def _usual(
    chains: list[dict[str, str]], notes: list[str | None]
) -> tuple[dict[str, str], str | None]:
    """Per link the name most of the ``chains`` have (ties: the first account's), and the
    note most of their ``notes`` are."""
    counts: dict[str, Counter[str]] = {}
    for chain in chains:
        for label, name in chain.items():
            counts.setdefault(label, Counter())[name] += 1
    half = len(chains) / 2
    # A link only some chains have (a second subscriber kind, say) is usual only if most do.
    names = {
        label: c.most_common(1)[0][0]
        for label in _LABELS
        if (c := counts.get(label)) and c.most_common(1)[0][1] > half
    }
    counted = Counter(notes)
    note, n = counted.most_common(1)[0] if counted else (None, 0)
    return names, note if n > half else None


def _deviations(names: dict[str, str], usual: dict[str, str]) -> list[tuple[str, str]]:
    return [
        (label, names.get(label, _NONE))
        for label in _LABELS
        if names.get(label, _NONE) != usual.get(label, _NONE)
    ]


def _masker(redactor: Redactor | None) -> Callable[[str], str]:
    if redactor is None:
        return str
    # Names repeat across accounts built from one template: mask each distinct one once.
    seen: dict[str, str] = {}

    def mask(text: str) -> str:
        out = seen.get(text)
        if out is None:
            out = seen[text] = redactor.text(text)
        return out

    return mask


def usual_chains(
    results: list[Result], control_order: Mapping[str, int], redactor: Redactor | None = None
) -> list[UsualChain]:
    """The key of the passing table: each control's usual chain, in report order.

    ``results`` may be unmasked: the names and notes printed go through ``redactor``."""
    mask = _masker(redactor)
    by_control: dict[str, list[Result]] = {}
    for r in _passes(results):
        by_control.setdefault(r.control_id, []).append(r)
    out: list[UsualChain] = []
    for cid in sorted(by_control, key=lambda c: control_order[c]):
        rs = sorted(by_control[cid], key=lambda r: r.account_id)
        chains = [_names(r) for r in rs]
        notes = [_note(r) for r in rs]
        names, note = _usual(chains, notes)
        same = sum(
            1 for n, t in zip(chains, notes, strict=True) if t == note and not _deviations(n, names)
        )
        pairs = [(label, mask(names[label])) for label in _LABELS if label in names]
        out.append(UsualChain(cid, pairs, mask(note) if note else note, len(rs), same))
    return out


def pass_groups(
    results: list[Result],
    accounts: Mapping[str, AccountInfo],
    control_order: Mapping[str, int],
    hashes: Mapping[int, str | None],
    usual: list[UsualChain],
    redactor: Redactor | None = None,
) -> list[PassGroup]:
    """The passing ``results``, one group per account (accounts and controls in report
    order), each line reduced to how it differs from its control's ``usual`` chain (names
    and notes printed through ``redactor``, like ``usual``'s)."""
    mask = _masker(redactor)
    key = {u.control_id: (dict(u.names), u.note) for u in usual}
    by_account: dict[str, list[Result]] = {}
    for r in _passes(results):
        by_account.setdefault(r.account_id, []).append(r)
    groups: list[PassGroup] = []
    for acct in sorted(by_account):
        rs = sorted(by_account[acct], key=lambda r: control_order[r.control_id])
        snaps = [int(r.evidence.get("snapshot_id") or 0) for r in rs]
        snap = Counter(snaps).most_common(1)[0][0]
        # Masked before comparing, as the key's names are: masking is the same every time.
        chains = [_names(r) for r in rs]
        if redactor is not None:
            chains = [{k: mask(v) for k, v in n.items()} for n in chains]
        devs = [
            _deviations(n, key[r.control_id][0]) if n else []
            for r, n in zip(rs, chains, strict=True)
        ]
        chained = [d for n, d in zip(chains, devs, strict=True) if n]
        # Said once after the account: what every one of its (two or more) chains differs in.
        shared = (
            [p for p in chained[0] if all(p in d for d in chained[1:])] if len(chained) > 1 else []
        )
        lines = []
        for r, d, s in zip(rs, devs, snaps, strict=True):
            names = [p for p in d if p not in shared]
            note = _note(r)
            note = mask(note) if note else note
            note = None if note == key[r.control_id][1] else note
            lines.append(
                PassLine(
                    control_id=r.control_id,
                    names=names,
                    note=note,
                    snapshot_id=s,
                    snapshot_sha256=hashes.get(s),
                    usual=not names and note is None and s == snap,
                )
            )
        groups.append(
            PassGroup(pass_anchor(acct), accounts[acct], shared, snap, hashes.get(snap), lines)
        )
    return groups
