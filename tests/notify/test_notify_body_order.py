"""Issue 12: at 1,000 failing accounts the bounded e-mail body still shows the few accounts
that could not be read (error groups keep their share of the lines), as delivered by SMTP."""

from __future__ import annotations

import re

import pytest

from tests.notify.conftest import SmtpFactory, body
from tests.notify.runs_in_memory import CONTROLS, WHEN, account_id, result
from watchkeeper.notify import compose_within_limit, send_smtp
from watchkeeper.notify.body import ERROR_GROUP_SHARE, GROUP_LIMIT
from watchkeeper.queries.results import CheckRun, Result, SnapshotRef
from watchkeeper.settings import EmailSettings, SmtpSettings

ERRORS = 3  # accounts that could not be read


def estate(failing: int, errors: int) -> CheckRun:
    """``failing`` accounts fail 4.1–4.15, each for a cause of its own; the next ``errors``
    accounts could not be read (4.1–4.16 error); every other verdict passes."""
    results: list[Result] = []
    for n in range(failing + errors):
        acct = account_id(n)
        for c in CONTROLS:
            if n >= failing:
                results.append(result(c, acct, "error", f"AccessDenied reading {acct}"))
            elif c != "4.16":
                results.append(result(c, acct, "fail", f"trail `main-{n}` is single-region"))
            else:
                results.append(result(c, acct, "pass", "hub enabled"))
    snapshot = SnapshotRef(7, WHEN, "ab" * 32)
    return CheckRun("cis-v5.0.0", "full", WHEN, snapshot, [7], results, run_id=42)


# (failing accounts, error accounts, fail lines shown, error lines shown)
SCENARIOS = {
    "1,000 failing, 3 errors": (1000, ERRORS, GROUP_LIMIT - ERRORS, ERRORS),
    "1,000 failing, 40 errors": (1000, 40, GROUP_LIMIT - ERROR_GROUP_SHARE, ERROR_GROUP_SHARE),
    "5 failing, 40 errors: errors take the unused lines": (5, 40, 5, GROUP_LIMIT - 5),
}


@pytest.mark.parametrize(("failing", "errors", "fails", "errs"), SCENARIOS.values(), ids=SCENARIOS)
def test_error_groups_are_not_crowded_out(
    smtp_server: SmtpFactory, failing: int, errors: int, fails: int, errs: int
) -> None:
    inbox = smtp_server("plain")
    settings = EmailSettings(
        transport="smtp",
        sender="wk@example.com",
        to=("audit@example.com",),
        attach=(),
        smtp=SmtpSettings("127.0.0.1", inbox.port, security="none"),
    )
    composed = compose_within_limit(estate(failing, errors), settings)
    send_smtp(composed.message, settings.sender, settings.recipients, settings.smtp)  # type: ignore[arg-type]
    (received,) = inbox.messages
    text, html = body(received.message, "plain"), body(received.message, "html")
    assert len(re.findall(r"^  FAIL  4\.1–4\.15 · ", text, re.M)) == fails
    shown = re.findall(r"^  ERROR 4\.1–4\.16 · (\d{12}): AccessDenied", text, re.M)
    # The first error accounts, in order, each once.
    assert shown == [account_id(failing + k) for k in range(errs)]
    more = failing + errors - fails - errs
    assert (f"… and {more} more in the report" in text) is (more > 0)
    # The HTML part lists the same lines.
    assert html.count(">FAIL</td>") == fails and html.count(">ERROR</td>") == errs
    assert all(f"AccessDenied reading {a}" in html for a in shown)
