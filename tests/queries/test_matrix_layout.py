"""One rule for the matrix (issue 12): the terminal, the e-mail and the report lay it out by
account up to 20 accounts, by OU above that when the organization was collected, else per
control. Each surface is read from what it renders, not from the rule itself."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from tests.notify.conftest import body
from tests.test_cli_summary_view import generated_run
from watchkeeper.cli.summary_view import print_summary
from watchkeeper.notify import compose_within_limit
from watchkeeper.queries.catalog import load_catalog
from watchkeeper.queries.org import OrgPlacement
from watchkeeper.queries.results import CheckRun
from watchkeeper.queries.summary import matrix_kind
from watchkeeper.reports.model import AccountInfo
from watchkeeper.reports.model.build import summary_of
from watchkeeper.settings import EmailSettings

SETTINGS = EmailSettings(
    transport="smtp", sender="wk@example.com", to=("audit@example.com",), attach=()
)

# (accounts, organization data collected, the layout every surface must show)
SCENARIOS = {
    "5 accounts, no OU data": (5, False, "account"),
    "5 accounts with OU data": (5, True, "account"),
    "25 accounts, no OU data": (25, False, "control"),
    "25 accounts with OU data": (25, True, "ou"),
}


def terminal_layout(run: CheckRun) -> str:
    console = Console(file=io.StringIO(), width=80, no_color=True)
    print_summary(run, console=console)
    text = console.file.getvalue()  # type: ignore[attr-defined]
    if "passed, by OU" in text:
        return "ou"
    if "\naccount      passed" in text:
        return "account"
    assert "\ncontrol                                 pass   fail" in text, text
    return "control"


def email_layout(run: CheckRun) -> str:
    msg = compose_within_limit(run, SETTINGS, ou_of=dict(run.ou_paths) or None).message
    text = body(msg, "plain")
    if "Passed per OU (4):" in text:
        return "ou"
    if "Passed per control:" in text:
        return "control"
    # By account: the accounts list is the matrix, and it lists every account.
    assert "more accounts" not in text and all(
        f"  {a}  " in text for a in {r.account_id for r in run.results}
    ), text
    return "account"


def report_layout(run: CheckRun) -> str:
    controls = {c.control_id: c for c in load_catalog().controls("cis-v5.0.0")}
    ids = sorted({r.account_id for r in run.results})
    accounts = {a: AccountInfo(a, [], None, "ok") for a in ids}
    org = {
        a: OrgPlacement(a, None, "ou-1", ("r-1", "ou-1"), path) for a, path in run.ou_paths.items()
    }
    summary = summary_of(run, sorted(controls), controls, accounts, ids, org)
    if summary.rows:
        assert summary.org is None and [r.account.account_id for r in summary.rows] == ids
        return "account"
    assert summary.org is not None
    if summary.org.by_ou:
        return "ou"
    assert [r.label for r in summary.org.rows] == ["All accounts"]
    return "control"


@pytest.mark.parametrize(("accounts", "ous", "expected"), SCENARIOS.values(), ids=SCENARIOS)
def test_terminal_email_and_report_choose_the_same_layout(
    accounts: int, ous: bool, expected: str
) -> None:
    run = generated_run(accounts, ous=ous)
    assert bool(run.ou_paths) is ous
    assert matrix_kind(accounts, ous) == expected
    assert terminal_layout(run) == expected
    assert email_layout(run) == expected
    assert report_layout(run) == expected
