"""Attestations: a signed-off statement that a control is met outside CloudWatch (e.g. by
an external SIEM), which CIS allows from v2.0.0 on. It turns a failing metric-filter
control into `manual`, with the justification shown in the evidence, until it expires."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml

from watchkeeper.errors import UserError
from watchkeeper.queries.catalog import Catalog, CatalogError

EXAMPLE = """\
attestations:
  - control: cloudtrail_configuration_changes   # topic key, id (4.5) or CloudWatch.5
    accounts: ["111122223333"]                   # or ["*"] for every account
    justification: Splunk alert 'CT tamper' pages the SOC on these events
    evidence: https://wiki.example.com/soc/ct-tamper
    approver: Jane Doe (CISO)
    expires: 2027-06-30
"""


class AttestationError(UserError):
    """A malformed attestations file (printed as one line)."""


@dataclass(frozen=True)
class Attestation:
    topic: str
    accounts: tuple[str, ...]
    justification: str
    evidence: str
    approver: str
    expires: date
    source: str

    def applies(self, topic: str, account_id: str) -> bool:
        return self.topic == topic and ("*" in self.accounts or account_id in self.accounts)

    def active(self, today: date) -> bool:
        return today <= self.expires


def load(path: str | Path, catalog: Catalog, benchmark: str) -> list[Attestation]:
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise AttestationError(f"cannot read attestations file {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark else ""
        raise AttestationError(f"attestations file {path} is not valid YAML{where}") from None
    items = data.get("attestations") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise AttestationError(f"{path}: expected a top-level 'attestations:' list")
    out = []
    for i, item in enumerate(items, 1):
        where = f"{path}: attestation {i}"
        if not isinstance(item, dict):
            raise AttestationError(f"{where}: must be a mapping")
        missing = [
            k
            for k in ("control", "accounts", "justification", "evidence", "approver", "expires")
            if not item.get(k)
        ]
        if missing:
            raise AttestationError(f"{where}: missing {', '.join(missing)}")
        try:
            control = catalog.find(benchmark, str(item["control"]))
        except CatalogError as exc:
            raise AttestationError(f"{where}: {exc}") from None
        accounts = item["accounts"]
        if isinstance(accounts, (str, int)):
            accounts = [accounts]
        if not isinstance(accounts, list):
            raise AttestationError(f"{where}: accounts must be a list of account ids or '*'")
        expires = item["expires"]
        if isinstance(expires, str):
            try:
                expires = date.fromisoformat(expires)
            except ValueError:
                raise AttestationError(f"{where}: expires must be a date (YYYY-MM-DD)") from None
        if not isinstance(expires, date):
            raise AttestationError(f"{where}: expires must be a date (YYYY-MM-DD)")
        out.append(
            Attestation(
                topic=control.topic,
                accounts=tuple(str(a) for a in accounts),
                justification=str(item["justification"]),
                evidence=str(item["evidence"]),
                approver=str(item["approver"]),
                expires=expires,
                source=str(path),
            )
        )
    return out
