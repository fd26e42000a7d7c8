"""Issue 12: the main report puts exceptions first and grows with failures, not accounts;
evidence packs carry one account's complete chains and the main report's hashes."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser
from pathlib import Path

from pypdf import PdfReader
from typer.testing import CliRunner

from bench.check_bench import ALL_REGIONS, build
from tests.reports.conftest import BAD, GOOD, Scenario
from watchkeeper.cli import app
from watchkeeper.cli.report import register
from watchkeeper.queries.catalog import load_catalog
from watchkeeper.queries.check import CheckRequest, check
from watchkeeper.queries.org import OrgPlacement
from watchkeeper.queries.results import Result, Status
from watchkeeper.reports.html import render_html
from watchkeeper.reports.model import AccountInfo, ReportModel, build_report
from watchkeeper.reports.model.matrix import org_matrix
from watchkeeper.reports.pdf import render_pdf
from watchkeeper.store import begin_snapshot, complete_snapshot, connect

if not any(c.name == "report" for c in app.registered_commands):
    register(app)

runner = CliRunner()
HASH = re.compile(r'<meta name="(snapshot|results)-sha256" content="([0-9a-f]{64})">')


class _Ids(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.articles: list[str] = []

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        found = dict(attrs)
        if found.get("id"):
            self.ids.append(str(found["id"]))
            if tag == "article":
                self.articles.append(str(found["id"]))


def test_exceptions_come_before_the_passes(main_html: str, main_model: ReportModel):
    ids = _Ids()
    ids.feed(main_html)
    order = ids.ids.index
    # summary, failing items, every exception's full verdict, then the compact passes
    assert order("summary") < order("failing") < order(f"v-4_5-{BAD}") < order("passing")
    assert all(order(a) < order("passing") for a in ids.articles)
    # no passing result is drawn as a full verdict in the main report: the passes are one
    # anchored line per account after the exceptions, and no pass has an anchor of its own
    assert f"v-4_5-{GOOD}" not in ids.ids and order(f"p-{GOOD}") > order("passing")
    assert order(f"p-{GOOD}") > max(order(a) for a in ids.articles)
    drawn = {v.status for s in main_model.controls for v in s.verdicts}
    assert "pass" not in drawn and {"fail", "error", "manual"} <= drawn


def test_compact_pass_line_has_chain_names_and_snapshot_hash(
    main_model: ReportModel, main_html: str, scenario: Scenario
):
    # Layout since the usual-chain key: the names are printed once per control in the key,
    # the account's line (one anchor, p-<account>) carries the snapshot hash and the ids of
    # its passing controls; the matrix links each of its passes to that line.
    assert main_model.passing is not None and main_model.usual_chains is not None
    (group,) = [g for g in main_model.passing if g.account.account_id == GOOD]
    (line,) = [ln for ln in group.lines if ln.control_id == "4.5"]
    (usual,) = [u for u in main_model.usual_chains if u.control_id == "4.5"]
    names = dict(usual.names)
    assert names["trail"] == "cis-4-5-trail"
    assert names["filter"].startswith("cis-4-5") and names["alarm"].startswith("cis-4-5")
    assert line.usual and line.names == [] and (usual.usual, usual.passing) == (1, 1)
    sha = scenario.run.snapshot.sha256
    assert sha and line.snapshot_sha256 == sha and line.snapshot_id == scenario.run.snapshot.id
    section = main_html[main_html.index('id="passing"') :]
    key = section[: section.index('class="passing"')]
    assert names["filter"] in key and names["alarm"] in key and "cis-4-5-trail" in key
    assert group.anchor == f"p-{GOOD}"
    start = section.index(f'id="p-{GOOD}"')
    line_html = section[start : section.index("</div>", start)]
    assert GOOD in line_html and sha[:12] in line_html
    assert "4.5" in line_html.split("✓", 1)[1].split(), line_html
    # the per-account matrix links GOOD's passing 4.5 to its line, BAD's failing 4.5 to
    # its verdict
    cells = {
        (r.account.account_id, c.control_id): c for r in main_model.summary.rows for c in r.cells
    }
    assert cells[(GOOD, "4.5")].anchor == f"p-{GOOD}"
    assert cells[(BAD, "4.5")].anchor == f"v-4_5-{BAD}"
    assert f'href="#p-{GOOD}"' in main_html


def _estate(tmp: Path, n: int, every: int, rename: dict[str, str] | None = None) -> ReportModel:
    """``n`` accounts from bench/check_bench.py, every ``every``-th one broken in one link;
    ``rename`` gives one account's objects other names (account → suffix)."""
    regions = ALL_REGIONS[:1]
    col = build(n, regions, 0, broken_share=1 / every)
    for acct, suffix in (rename or {}).items():
        for table in ("aws_cloudwatch_log_metric_filter", "aws_cloudtrail_trail"):
            for row in col.tables[table]:
                if row["account_id"] == acct and not str(row["name"]).startswith("noise"):
                    row["name"] = f"{row['name']}{suffix}"
    db = tmp / f"estate{n}-{every}-{len(rename or {})}.duckdb"
    complete_snapshot(db, begin_snapshot(db, col.accounts, regions, col.caller_arn), col)
    run = check(CheckRequest(db=db, store=False))
    con = connect(db, read_only=True)
    try:
        return build_report(con, run, load_catalog(), True, None)
    finally:
        con.close()


def test_deviation_from_the_usual_chain_shows_on_its_line(tmp_path: Path):
    odd = "100000000001"  # its filters and its trail have names of their own
    model = _estate(tmp_path, 8, 4, {odd: "-custom"})
    assert model.usual_chains is not None and model.passing is not None
    usual = {u.control_id: u for u in model.usual_chains}
    assert dict(usual["4.5"].names)["filter"] == "cloudtrail_configuration_changes"
    assert dict(usual["4.5"].names)["trail"] == "main"
    assert all(u.usual == u.passing - 1 for u in model.usual_chains if u.names)
    groups = {g.account.account_id: g for g in model.passing}
    # the trail differs in all of the account's chains: said once, on the account's line
    assert groups[odd].shared == [("trail", "main-custom")]
    line = next(ln for ln in groups[odd].lines if ln.control_id == "4.5")
    assert not line.usual and line.names == [("filter", "cloudtrail_configuration_changes-custom")]
    assert all(ln.usual for a, g in groups.items() if a != odd for ln in g.lines)
    pdf = render_pdf(render_html(model))
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    passing = re.sub(r"\s+", "", text[text.rindex("Passing results") :])
    # the usual names once (in the key), the deviation on the odd account's line
    assert passing.count("filtercloudtrail_configuration_changes") == 1
    assert "4.5[filter:cloudtrail_configuration_changes-custom]" in passing
    assert f"{odd}#1" in passing and "[trail:main-custom]" in passing


def _estate_pdf_pages(tmp: Path, passing: int) -> tuple[int, ReportModel]:
    """``passing`` clean accounts plus the same two broken ones (a filter that misses
    events in 4.1, alarm actions off in 4.2), main report rendered by WeasyPrint."""
    model = _estate(tmp, passing + 2, (passing + 2) // 2)
    return len(PdfReader(io.BytesIO(render_pdf(render_html(model)))).pages), model


def test_pages_grow_with_failures_not_with_passing_accounts(tmp_path: Path):
    few, few_model = _estate_pdf_pages(tmp_path, 10)
    many, many_model = _estate_pdf_pages(tmp_path, 110)
    for model in (few_model, many_model):
        assert model.run.counts()["fail"] == 2
    assert many_model.passing is not None and len(many_model.passing) == 112
    # the drill-down links an unclean account's passes to its pass line
    assert many_model.summary.org is not None
    cells = [c for g in many_model.summary.org.drill for r in g.rows for c in r.cells]
    passed = {c.anchor for c in cells if c.status == "pass"}
    assert passed and passed <= {g.anchor for g in many_model.passing}
    # 100 more clean accounts: 1,600 more passes, one line per account, a page or two
    assert many - few <= 2, (few, many)


def test_account_flag_writes_that_accounts_pack(scenario_db: Path, tmp_path: Path):
    out = tmp_path / "out"
    args = ["report", "--db", str(scenario_db), "-o", str(out), "-f", "html,json"]
    result = runner.invoke(app, [*args, "--account", GOOD])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        f"watchkeeper-cis-v5.0.0-snapshot1-account{GOOD}.html",
        "watchkeeper-cis-v5.0.0-snapshot1.json",
    ]
    pack = (out / names[0]).read_text()
    assert "Evidence pack" in pack and "Shared chain objects" in pack
    # the complete chain of a passing control, its objects' details and raw objects
    assert f'id="v-4_5-{GOOD}"' in pack and "checks held" in pack
    assert "home region" in pack and "A. Raw API objects" in pack
    assert BAD not in pack
    unknown = runner.invoke(app, [*args, "--account", "999999999999"])
    assert unknown.exit_code == 2 and "999999999999" in unknown.stderr


def test_evidence_packs_carry_the_main_reports_hashes(scenario_db: Path, tmp_path: Path):
    out, packs = tmp_path / "out", tmp_path / "packs"
    args = ["report", "--db", str(scenario_db), "-o", str(out), "-f", "html,pdf"]
    result = runner.invoke(app, [*args, "--evidence-packs", str(packs)])
    assert result.exit_code == 0, result.output
    main = dict(HASH.findall(next(out.glob("*.html")).read_text()))
    assert set(main) == {"snapshot", "results"}
    written = sorted(p.name for p in packs.iterdir())
    stem = "watchkeeper-cis-v5.0.0-snapshot1-account"
    assert written == [f"{stem}{a}.{ext}" for a in sorted((GOOD, BAD)) for ext in ("html", "pdf")]
    for account in (GOOD, BAD):
        html = (packs / f"{stem}{account}.html").read_text()
        assert dict(HASH.findall(html)) == main
        cover = re.sub(
            r"\s+", "", PdfReader(packs / f"{stem}{account}.pdf").pages[0].extract_text()
        )
        assert main["snapshot"] in cover and main["results"] in cover and account in cover


def _result(control: str, account: str, status: Status) -> Result:
    return Result("cis-v5.0.0", control, "t", "title", account, None, None, status, "why", {})


def test_org_matrix_rates_per_ou_and_drill_down_to_the_unclean_accounts():
    def placed(account: str, path: str) -> OrgPlacement:
        return OrgPlacement(account, None, "ou-1", ("r-1", "ou-1"), path)

    org = {
        "1": placed("1", "Root/Prod"),
        "2": placed("2", "Root/Prod"),
        "3": placed("3", "Root/Dev"),
    }
    results = [
        _result("4.1", "1", "pass"),
        _result("4.1", "2", "fail"),
        _result("4.1", "3", "pass"),
        _result("4.2", "1", "pass"),
        _result("4.2", "2", "pass"),
        _result("4.2", "3", "error"),
    ]
    accounts = {a: AccountInfo(a, [], None, None) for a in "123"}
    matrix = org_matrix(results, ["4.1", "4.2"], accounts, ["1", "2", "3"], org)
    assert matrix.by_ou and [r.label for r in matrix.rows] == ["Root/Dev", "Root/Prod"]
    prod = matrix.rows[1]
    assert [(c.passed, c.judged, c.worst, c.percent) for c in prod.cells] == [
        (1, 2, "fail", 50),
        (2, 2, "pass", 100),
    ]
    assert [(g.label, [r.account.account_id for r in g.rows]) for g in matrix.drill] == [
        ("Root/Dev", ["3"]),
        ("Root/Prod", ["2"]),
    ]
    flat = org_matrix(results, ["4.1", "4.2"], accounts, ["1", "2", "3"], {})
    assert not flat.by_ou and [(r.label, r.accounts) for r in flat.rows] == [("All accounts", 3)]


def test_ou_flag_without_org_data_is_a_user_error(scenario_db: Path, tmp_path: Path):
    args = ["report", "--db", str(scenario_db), "-o", str(tmp_path), "-f", "html"]
    result = runner.invoke(app, [*args, "--ou", "Workloads/Prod"])
    assert result.exit_code == 2 and "no organization data" in result.stderr
