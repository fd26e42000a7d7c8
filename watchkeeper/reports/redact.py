"""Masking of subscriber endpoints (e-mail addresses, URLs, phone numbers) in report output.

Reports travel further than the database (e-mail, ticket attachments, Security Hub), so the
people and webhooks behind an SNS subscription are masked unless the user opts out. Masking
keeps enough to recognise an endpoint (first letter and domain of an address, scheme and
host of a URL, last digits of a number) and nothing that would let it be contacted.

A :class:`Redactor` masks exactly the snapshot's subscriber endpoints, wherever they occur;
other URLs and addresses (a counterexample CloudTrail record, an attestation's evidence link)
are evidence and stay verbatim. ``redact_text`` is the pattern-based masking it builds on.

:func:`report_redactor` gathers the endpoints a report must mask (those the run's evidence
names and those its snapshots collected, and the organization's root e-mail addresses);
:func:`redact_run` masks them in a whole run.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import duckdb

from watchkeeper.queries.results import CheckRun, Result

__all__ = [
    "Redactor",
    "mask_email",
    "mask_endpoint",
    "mask_phone",
    "mask_url",
    "organization_emails",
    "redact_json",
    "redact_result",
    "redact_run",
    "redact_text",
    "report_redactor",
    "report_snapshot_ids",
    "run_endpoints",
    "snapshot_endpoints",
]

_EMAIL = re.compile(r"(?<![\w.+-])([A-Za-z0-9._%+-]+)@([A-Za-z0-9.-]+\.[A-Za-z]{2,})")
# Stop at whitespace, quotes and angle brackets so a URL inside prose or JSON is cut cleanly.
_URL = re.compile(r"\b(https?)://([^/\s\"'<>?#]+)([^\s\"'<>]*)")
# E.164-ish numbers as SNS stores them for SMS (+ and 8-15 digits, maybe separated).
_PHONE = re.compile(r"(?<![\w/:.])\+\d(?:[\d ().-]{6,18})\d\b")
# ARNs carry account ids and resource names, never endpoints; never touch them.
_ARN = re.compile(r"arn:aws[\w-]*:[^\s\"'<>]*")


def mask_email(local: str, domain: str) -> str:
    return f"{local[:1]}****@{domain}"


def mask_url(scheme: str, host: str, rest: str) -> str:
    # The host says whose endpoint it is; the path and query often hold the secret token.
    if "@" in host:  # user:password@host
        host = host.rsplit("@", 1)[1]
    return f"{scheme}://{host}/…" if rest.strip("/") else f"{scheme}://{host}/"


def mask_phone(number: str) -> str:
    digits = re.sub(r"\D", "", number)
    return "+" + "*" * max(len(digits) - 2, 0) + digits[-2:]


def _mask_plain(text: str) -> str:
    text = _URL.sub(lambda m: mask_url(m[1], m[2], m[3]), text)
    text = _EMAIL.sub(lambda m: mask_email(m[1], m[2]), text)
    return _PHONE.sub(lambda m: mask_phone(m[0]), text)


def redact_text(text: str) -> str:
    """Mask every e-mail address, http(s) URL and phone number in ``text`` (ARNs kept)."""
    if "@" not in text and "://" not in text and "+" not in text:
        return text  # the common case, kept cheap: most strings are names and ARNs
    out: list[str] = []
    pos = 0
    for m in _ARN.finditer(text):
        out.append(_mask_plain(text[pos : m.start()]))
        arn = m[0]
        # An SNS subscription endpoint can itself be an ARN (Lambda, SQS): keep it, but an
        # address glued to an ARN (arn:…:topic:user@example.com) still gets masked.
        out.append(_EMAIL.sub(lambda e: mask_email(e[1], e[2]), arn))
        pos = m.end()
    out.append(_mask_plain(text[pos:]))
    return "".join(out)


def redact_json(value: Any) -> Any:
    """A copy of a JSON-like value with every string passed through :func:`redact_text`."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {k: redact_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_json(v) for v in value]
    return value


def mask_endpoint(endpoint: str) -> str:
    """The masked form of one SNS subscription endpoint (ARNs of queues and functions stay)."""
    if endpoint.startswith("arn:"):
        return endpoint
    return _mask_plain(endpoint)


class Redactor:
    """Replaces each of a known set of endpoints by its masked form, in text and JSON."""

    def __init__(self, endpoints: Iterable[str | None]):
        self.masks = {e: m for e in endpoints if e and (m := mask_endpoint(e)) != e}
        # Longest first, so an endpoint that contains another is replaced whole.
        ordered = sorted(self.masks, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    def text(self, text: str) -> str:
        if self._pattern is None:
            return text
        return self._pattern.sub(lambda m: self.masks[m[0]], text)

    def json(self, value: Any) -> Any:
        """A copy of a JSON-like value with every endpoint masked."""
        if self._pattern is None:
            return value
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {k: self.json(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.json(v) for v in value]
        return value


# --- a report's redaction ---------------------------------------------------------------


def run_endpoints(run: CheckRun) -> set[str]:
    """The subscriber endpoints the run's evidence names."""
    found: set[str] = set()
    for r in run.results:
        ev = r.evidence
        for sub in ev["chain"]["subscriptions"] if "chain" in ev else []:
            if sub["endpoint"]:
                found.add(str(sub["endpoint"]))
    return found


def snapshot_endpoints(con: duckdb.DuckDBPyConnection, snapshot_ids: list[int]) -> set[str]:
    """Every subscriber endpoint collected in these snapshots."""
    rows = con.execute(
        "SELECT DISTINCT endpoint FROM history.aws_sns_topic_subscription "
        "WHERE list_contains(?, snapshot_id) AND endpoint IS NOT NULL",
        [[int(i) for i in snapshot_ids]],
    ).fetchall()
    return {str(r[0]) for r in rows}


def organization_emails(con: duckdb.DuckDBPyConnection, snapshot_ids: list[int]) -> set[str]:
    """The root user e-mail addresses of the organization's accounts in these snapshots:
    personal or team addresses that can reset the root password, so masked like endpoints."""
    rows = con.execute(
        "SELECT DISTINCT email FROM history.aws_organizations_account "
        "WHERE list_contains(?, snapshot_id) AND email IS NOT NULL",
        [[int(i) for i in snapshot_ids]],
    ).fetchall()
    return {str(r[0]) for r in rows}


def report_snapshot_ids(run: CheckRun) -> list[int]:
    """The snapshots a report of ``run`` reads: the judged one and any it merged."""
    return sorted({*run.snapshot_ids, run.snapshot.id})


def report_redactor(con: duckdb.DuckDBPyConnection, run: CheckRun) -> Redactor:
    """Masks every subscriber endpoint the run or its snapshots name, and the snapshots'
    organization root e-mail addresses."""
    ids = report_snapshot_ids(run)
    return Redactor(
        run_endpoints(run) | snapshot_endpoints(con, ids) | organization_emails(con, ids)
    )


def redact_result(r: Result, redactor: Redactor) -> Result:
    """One result with subscriber endpoints masked in its reason and evidence."""
    return Result(
        **{**r.__dict__, "reason": redactor.text(r.reason), "evidence": redactor.json(r.evidence)}
    )


def redact_run(run: CheckRun, redactor: Redactor | None = None) -> CheckRun:
    """The run with subscriber endpoints masked everywhere (reasons and evidence too)."""
    redactor = redactor or Redactor(run_endpoints(run))
    results = [redact_result(r, redactor) for r in run.results]
    return CheckRun(**{**run.__dict__, "results": results, "checked_sha256": run.digest()})
