"""The e-mail body stays the same size at 1,000 accounts as at 50: counts, the first changes,
the most failing accounts and the first failure groups, then how many more and where."""

from __future__ import annotations

from tests.notify.conftest import body
from tests.notify.runs_in_memory import account_id, every_verdict_flipped, org_run
from watchkeeper.notify import compose_within_limit
from watchkeeper.notify.body import ACCOUNT_LIMIT, GROUP_LIMIT
from watchkeeper.settings import EmailSettings

BODY_BOUND = 50 * 1024  # bytes, per part
SETTINGS = EmailSettings(
    transport="smtp", sender="wk@example.com", to=("audit@example.com",), attach=()
)


def parts(accounts: int) -> tuple[str, str]:
    run = org_run(accounts)
    msg = compose_within_limit(run, SETTINGS, diff=every_verdict_flipped(run)).message
    return body(msg, "plain"), body(msg, "html")


def test_body_does_not_grow_with_accounts() -> None:
    text, html = parts(1000)
    assert len(text.encode()) < BODY_BOUND and len(html.encode()) < BODY_BOUND
    # 2,000 groups (one per account for 4.1–4.15, one for 4.16): the rest is named.
    more = 2000 - GROUP_LIMIT
    assert f"… and {more} more in the report" in text
    assert f"… and {more} more in the report." in html
    assert f"… and {1000 - ACCOUNT_LIMIT} more accounts" in text
    assert f"… and {16000 - 25} more changes" in text and "more changes" in html
    # Grouped: one line for the 15 controls of one account and one cause.
    assert f"FAIL  4.1–4.15 · {account_id(0)}: trail `main-0`" in text
    assert "Failing items (16000)" in html
    # Same bound at 50 accounts as at 1,000: the size is set by the limits, not the estate.
    small_text, small_html = parts(50)
    assert abs(len(small_text) - len(text)) < 1024 and abs(len(small_html) - len(html)) < 1024


def test_small_estate_lists_everything() -> None:
    text, html = parts(3)
    assert "more in the report" not in text and "more accounts" not in text
    assert 'id="more"' not in html
    assert text.count(" · " + account_id(2) + ":") == 2 and f"4.16 · {account_id(2)}" in text


def test_groups_name_the_ou_when_the_organization_was_collected() -> None:
    ou_of = {account_id(1): "Root/Workloads/Prod"}
    msg = compose_within_limit(org_run(2), SETTINGS, ou_of=ou_of).message
    assert f"FAIL  [Root/Workloads/Prod] 4.1–4.15 · {account_id(1)}:" in body(msg, "plain")
    assert f"FAIL  4.1–4.15 · {account_id(0)}:" in body(msg, "plain")
    assert "Root/Workloads/Prod</span>" in body(msg, "html")
