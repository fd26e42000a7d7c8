"""`report --timeline`: the verdict of each control per account over the snapshots."""

from __future__ import annotations

from pathlib import Path

from pypdf import PdfReader
from typer.testing import CliRunner

from tests.awsfake.faultproxy import FaultProxy
from tests.awsfake.scenarios import DEFAULT_ACCOUNT, Estate
from watchkeeper.cli import app
from watchkeeper.collector import AwsOptions, CollectRequest, collect
from watchkeeper.reports.render import ReportRequest, write_reports


def _two_snapshots(estate: Estate, proxy: FaultProxy, db: Path) -> None:
    chain = estate.account().chain()
    aws = AwsOptions(endpoint_url=proxy.url)
    collect(CollectRequest(db=db, regions=("us-east-1",), aws=aws))
    estate.account().alarm(
        chain.alarm, chain.metric, chain.namespace, [chain.topic_arn], actions_enabled=False
    )  # 4.5 breaks between the two snapshots
    collect(CollectRequest(db=db, regions=("us-east-1",), aws=aws))


def test_timeline_section_in_html_and_pdf(
    estate: Estate, proxy: FaultProxy, db: Path, tmp_path: Path
):
    _two_snapshots(estate, proxy, db)
    out = write_reports(
        ReportRequest(db=db, formats=("html", "pdf"), output_dir=tmp_path, timeline=True)
    )
    html = out.files["html"].read_text()
    section = html[
        html.index('id="timeline"') : html.index("</section>", html.index('id="timeline"'))
    ]
    assert "<svg" in section and 'href="#timeline"' in html
    row = section[section.index("<td>4.5</td>") :]
    row = row[: row.index("</tr>")]
    assert DEFAULT_ACCOUNT in row and "✓✗ (2)" in row and "<td>no</td>" in row
    text = "".join(p.extract_text() for p in PdfReader(out.files["pdf"]).pages)
    assert "Timeline" in text
    plain = write_reports(ReportRequest(db=db, formats=("html",), output_dir=tmp_path / "p"))
    assert 'id="timeline"' not in plain.files["html"].read_text()


def test_report_timeline_flag(estate: Estate, proxy: FaultProxy, db: Path, tmp_path: Path):
    _two_snapshots(estate, proxy, db)
    res = CliRunner().invoke(
        app,
        [
            "report",
            "--db",
            str(db),
            "-f",
            "html",
            "-o",
            str(tmp_path),
            "--timeline",
            "--since",
            "2020-01-01",
        ],
    )
    assert res.exit_code == 0, res.stderr
    html = next(tmp_path.glob("*.html")).read_text()
    assert 'id="timeline"' in html and "since 2020-01-01" in html
