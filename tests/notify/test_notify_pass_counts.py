"""Issue 12: above 20 accounts both parts of the e-mail give the pass counts per OU (or per
control, without organization data), the same lines from one source. Sent by `watchkeeper
email` to a real SMTP server (aiosmtpd) and read back from the MIME message it received.

The expected counts come from how bench/check_bench.py breaks its estate (every EVERY-th
account has one broken link in one control), not from the code under test."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from bench.check_bench import ALL_REGIONS, build
from tests.notify.conftest import SmtpFactory, body
from watchkeeper.queries.catalog import load_catalog
from watchkeeper.queries.check import CheckRequest, check
from watchkeeper.store import begin_snapshot, complete_snapshot

runner = CliRunner()
ACCOUNTS = 24  # over the 20 the body lists one by one
EVERY = 4  # check_bench: accounts 3, 7, … each fail one control
REGION = ALL_REGIONS[0]
CONTROLS = load_catalog().controls("cis-v5.0.0")
CHAINED = [c.control_id for c in CONTROLS if c.kind != "security_hub"]

Placement = Callable[[int], str] | None  # account index → OU name; None: no org data


def _two_ous(i: int) -> str:
    return "Prod" if i % 2 == 0 else "Dev"


def _ou_each(i: int) -> str:
    return f"Team{i:02d}"


# (where each account sits, the layout both parts show, OU lines shown, OUs left out)
SCENARIOS: dict[str, tuple[Placement, str, int, int]] = {
    "two OUs": (_two_ous, "ou", 2, 0),
    "an OU per account: the first 20, then how many more": (_ou_each, "ou", 20, 4),
    "no organization data: per control": (None, "control", len(CONTROLS), 0),
}


def _broken() -> dict[int, str]:
    """Account index → the one control check_bench breaks in it."""
    return {
        i: CHAINED[(i // EVERY) % len(CHAINED)] for i in range(ACCOUNTS) if i % EVERY == EVERY - 1
    }


def _expected(place: Placement) -> list[tuple[str, int, int, int | None]]:
    """(label, passed, judged, accounts) per line, in the order the body prints them."""
    broken = _broken()
    if place is None:
        fails = Counter(broken.values())
        return [(c.control_id, ACCOUNTS - fails[c.control_id], ACCOUNTS, None) for c in CONTROLS]
    members = Counter(place(i) for i in range(ACCOUNTS))
    fails = Counter(place(i) for i in broken)
    return [
        (ou, n * len(CONTROLS) - fails[ou], n * len(CONTROLS), n)
        for ou, n in sorted(members.items())
    ]


def _db(tmp: Path, place: Placement) -> Path:
    col = build(ACCOUNTS, [REGION], 0, broken_share=1 / EVERY)
    if place is not None:
        # The tree as the collector's Organizations walk stores it, answered by account 0.
        mgmt = col.accounts[0]
        units = sorted({place(i) for i in range(ACCOUNTS)})
        col.add(
            "aws_organizations_organizational_unit",
            [
                {"account_id": mgmt, "region": REGION, "id": f"ou-{u.lower()}", "name": u}
                | {"parent_id": "r-root"}
                for u in units
            ],
        )
        col.add(
            "aws_organizations_account",
            [
                {"account_id": mgmt, "region": REGION, "id": a, "name": f"account-{i}"}
                | {"parent_id": f"ou-{place(i).lower()}"}
                for i, a in enumerate(col.accounts)
            ],
        )
    db = tmp / "estate.duckdb"
    complete_snapshot(db, begin_snapshot(db, col.accounts, [REGION], col.caller_arn), col)
    check(CheckRequest(db=db))  # stored: `email` sends the latest stored run
    return db


class _Table(HTMLParser):
    """The cells of each row of the table with id ``table_id``."""

    def __init__(self, table_id: str) -> None:
        super().__init__()
        self.table_id = table_id
        self.inside = False
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        if tag == "table" and dict(attrs).get("id") == self.table_id:
            self.inside = True
        elif self.inside and tag == "tr":
            self.rows.append([])
        elif self.inside and tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag):  # type: ignore[no-untyped-def]
        if tag == "table":
            self.inside = False
        elif self.cell is not None and tag in ("td", "th"):
            self.rows[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None

    def handle_data(self, data):  # type: ignore[no-untyped-def]
        if self.cell is not None:
            self.cell.append(data)


@pytest.mark.parametrize(("place", "by", "shown", "more"), SCENARIOS.values(), ids=SCENARIOS)
def test_both_parts_give_the_pass_counts(
    cli_app: typer.Typer,
    smtp_server: SmtpFactory,
    tmp_path: Path,
    place: Placement,
    by: str,
    shown: int,
    more: int,
) -> None:
    db = _db(tmp_path, place)
    inbox = smtp_server("plain")
    args = ["email", "--db", str(db), "--to", "audit@example.com", "--from", "wk@example.com"]
    args += ["--smtp-host", "127.0.0.1", "--smtp-port", str(inbox.port)]
    args += ["--smtp-security", "none", "--attach", "json", "--output", str(tmp_path / "out")]
    res = runner.invoke(cli_app, args)
    assert res.exit_code == 0, res.output
    (got,) = inbox.messages
    expected = _expected(place)
    assert len(expected) == shown + more

    parser = _Table("pass-counts")
    parser.feed(body(got.message, "html"))
    head, *rows = parser.rows
    assert head == (
        ["OU", "passed", "judged", "accounts"] if by == "ou" else ["control", "passed", "judged"]
    )
    if more:
        *rows, tail = rows
        assert tail == [f"… and {more} more OUs"]
    html_lines = [
        (r[0].split()[0] if by == "control" else r[0], int(r[1]), int(r[2]))
        + ((int(r[3]),) if by == "ou" else (None,))
        for r in rows
    ]
    assert html_lines == expected[:shown]
    heading = f"Passed per OU ({shown + more})" if by == "ou" else "Passed per control"
    assert f">{heading}</h3>" in body(got.message, "html")

    # The text part: the same lines, in the same order.
    text = body(got.message, "plain").splitlines()
    start = text.index(heading + ":") + 1
    section = text[start : text.index("", start)]
    if more:
        assert section.pop() == f"  … and {more} more OUs"
    line = re.compile(r"  (\S+).*? (\d+)/(\d+)(?: \((\d+) accounts\))?$")
    text_lines = []
    for s in section:
        m = line.fullmatch(s)
        assert m, s
        text_lines.append((m[1], int(m[2]), int(m[3]), int(m[4]) if m[4] is not None else None))
    assert text_lines == html_lines
