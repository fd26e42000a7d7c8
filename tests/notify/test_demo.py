"""`watchkeeper demo` end to end: emulator, seeding, collect, check, HTML and PDF reports
that show every seeded break."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest
import typer
from pypdf import PdfReader
from typer.testing import CliRunner

from watchkeeper.demo import MANAGEMENT, PROD, SANDBOX
from watchkeeper.notify import load_run
from watchkeeper.queries.results import CheckRun, Result
from watchkeeper.store import RESOURCE_TABLES, connect

runner = CliRunner()


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory, cli_app: typer.Typer) -> Path:
    out = tmp_path_factory.mktemp("demo") / "watchkeeper-demo"
    before = dict(os.environ)
    res = runner.invoke(cli_app, ["demo", "--output", str(out), "--quiet"])
    assert res.exit_code == 0, res.output
    assert dict(os.environ) == before  # the demo's dummy credentials do not leak
    (out / "stdout.txt").write_text(res.stdout)
    return out


@pytest.fixture(scope="module")
def run(demo_dir: Path) -> CheckRun:
    return load_run(demo_dir / "watchkeeper-demo.duckdb")


def verdict(run: CheckRun, control_id: str, account: str) -> Result:
    (r,) = [r for r in run.results if r.control_id == control_id and r.account_id == account]
    return r


def test_prints_table_and_report_paths(demo_dir: Path) -> None:
    text = (demo_dir / "stdout.txt").read_text()
    html = demo_dir / "watchkeeper-cis-v5.0.0-snapshot1.html"
    pdf = demo_dir / "watchkeeper-cis-v5.0.0-snapshot1.pdf"
    assert "management" in text and "sandbox" in text and "FAIL" in text
    flat = re.sub(r"\s+", "", text)
    assert f"HTMLreport:{html}" in flat and f"PDFreport:{pdf}" in flat
    assert html.stat().st_size > 10_000 and pdf.read_bytes().startswith(b"%PDF")


def test_management_and_covered_member_pass_everything(run: CheckRun) -> None:
    accounts = {r.account_id for r in run.results}
    assert len(accounts) == 4
    shared = (accounts - {MANAGEMENT, PROD, SANDBOX}).pop()
    for acct in (MANAGEMENT, shared):
        bad = [r for r in run.results if r.account_id == acct and r.status != "pass"]
        assert not bad, bad
    # The member is covered by the management account's organization trail.
    chain = verdict(run, "4.5", shared).evidence["chain"]
    assert chain["trail"]["owner_account_id"] == MANAGEMENT


def test_prod_breaks_a_regex_would_miss(run: CheckRun) -> None:
    assert verdict(run, "4.5", PROD).status == "fail"
    assert verdict(run, "4.5", PROD).evidence["failed_link"] == "filter_covers_pattern"
    assert verdict(run, "4.3", PROD).evidence["failed_link"] == "filter_covers_pattern"
    muted = verdict(run, "4.1", PROD)
    assert muted.evidence["failed_link"] == "alarm_actions_enabled"
    pending = verdict(run, "4.4", PROD)
    assert pending.evidence["failed_link"] == "subscriber_confirmed"
    assert "(1 pending)" in pending.reason
    # Everything else in prod is a correct chain.
    others = [r for r in run.results if r.account_id == PROD and r.control_id not in
              ("4.1", "4.3", "4.4", "4.5")]  # fmt: skip
    assert others and all(r.status == "pass" for r in others), others


def test_prod_reasons_name_the_seeded_filters(run: CheckRun) -> None:
    assert "StopLogging" in verdict(run, "4.5", PROD).reason
    assert "cis-root_account_usage" in verdict(run, "4.3", PROD).reason


def test_sandbox_single_region_trail(run: CheckRun) -> None:
    mf = [r for r in run.results if r.account_id == SANDBOX and r.topic != "security_hub_enabled"]
    assert len(mf) == 15
    assert all(r.evidence["failed_link"] == "trail_multi_region" for r in mf)
    assert verdict(run, "4.16", SANDBOX).status == "pass"


def test_reports_show_the_breaks(demo_dir: Path) -> None:
    html = (demo_dir / "watchkeeper-cis-v5.0.0-snapshot1.html").read_text()
    needles = [
        "has actions disabled",
        "no confirmed subscription (1 pending)",
        "`sandbox-trail` is single-region",
        "on `prod-cloudtrail` misses",
    ]
    for n in needles:
        assert n in html
    # Page by page, stopping once all are found: extracting the whole PDF takes seconds.
    pdf = PdfReader(io.BytesIO((demo_dir / "watchkeeper-cis-v5.0.0-snapshot1.pdf").read_bytes()))
    missing, seen = set(needles), ""
    for page in pdf.pages:
        seen = re.sub(r"\s+", " ", seen[-300:] + " " + page.extract_text())
        missing = {n for n in missing if n not in seen}
        if not missing:
            break
    assert not missing
    # Subscriber addresses are masked in reports that travel.
    assert "iam-approvers@example.com" not in html


def test_demo_fills_every_resource_table(demo_dir: Path) -> None:
    con = connect(demo_dir / "watchkeeper-demo.duckdb", read_only=True)
    try:
        counts = {
            t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in RESOURCE_TABLES
        }
    finally:
        con.close()
    empty = sorted(t for t, n in counts.items() if n == 0)
    assert empty == [], (
        f"the demo leaves {empty} empty: seed the resource in seed() in watchkeeper/demo.py "
        "(docs/extending.md, adding an AWS table)"
    )


def test_demo_organization_places_its_member_in_an_ou(demo_dir: Path) -> None:
    from watchkeeper.queries.org import UNPLACED, ou_label, placements

    con = connect(demo_dir / "watchkeeper-demo.duckdb", read_only=True)
    try:
        where = placements(con, [1])
        units = dict(
            con.execute("SELECT name, path FROM aws_organizations_organizational_unit").fetchall()
        )
    finally:
        con.close()
    shared = (set(where) - {MANAGEMENT}).pop()
    assert {a: p.ou_path for a, p in where.items()} == {
        MANAGEMENT: "Root",
        shared: "Root/Infrastructure",
    }
    assert sorted(units) == ["Infrastructure", "Prod", "Sandbox", "Workloads"]
    assert units["Prod"].startswith(units["Workloads"] + ".ou_")
    # Accounts outside the organization have no placement.
    assert ou_label(where, PROD) == ou_label(where, SANDBOX) == UNPLACED
