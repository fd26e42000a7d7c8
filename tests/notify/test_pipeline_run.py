"""`watchkeeper run`: collect → check → report → e-mail from watchkeeper.toml, one dated
folder per run, and the documented exit codes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from tests.awsfake.faultproxy import FaultProxy
from tests.awsfake.scenarios import Account, Estate
from tests.notify.conftest import SmtpFactory, body
from watchkeeper.emulator import free_port
from watchkeeper.pipeline import EMAIL_OFF
from watchkeeper.queries.catalog import load_catalog

runner = CliRunner()


def compliant(acct: Account, broken: str | None = None) -> None:
    """A correct chain for every control; ``broken`` (a topic) gets a muted alarm."""
    acct.log_group("trail-logs")
    acct.trail("main-trail", log_group="trail-logs")
    topic = acct.topic("alerts")
    acct.subscribe(topic, "soc@example.com")
    for c in load_catalog().controls("cis-v5.0.0"):
        if c.kind == "metric_filter_alarm":
            acct.metric_filter("trail-logs", c.topic, c.required_patterns[0], c.topic)
            acct.alarm(c.topic, c.topic, "CISBenchmark", [topic], actions_enabled=c.topic != broken)
    acct.enable_security_hub()


def write_config(tmp_path: Path, proxy: FaultProxy, smtp_port: int, extra: str = "") -> Path:
    cfg = tmp_path / "watchkeeper.toml"
    cfg.write_text(
        f"""
[store]
db = "{tmp_path / "wk.duckdb"}"

[collect]
regions = ["us-east-1"]
endpoint_url = "{proxy.url}"

[check]
benchmark = "cis-v5.0.0"

[run]
output = "{tmp_path / "runs"}"
formats = ["html", "json"]

[email]
to = ["audit@example.com"]
from = "watchkeeper@example.com"
smtp_host = "127.0.0.1"
smtp_port = {smtp_port}
smtp_security = "none"
attach = ["html"]  # a PDF takes seconds; the SMTP tests parse one
{extra}
"""
    )
    return cfg


def run_folders(tmp_path: Path) -> list[Path]:
    """The dated folders under [run] output (not the `latest` link)."""
    return [p for p in (tmp_path / "runs").iterdir() if not p.is_symlink()]


def test_clean_estate_exits_0_and_mails_the_report(
    cli_app: typer.Typer,
    smtp_server: SmtpFactory,
    estate: Estate,
    proxy: FaultProxy,
    tmp_path: Path,
) -> None:
    compliant(estate.account())
    inbox = smtp_server("plain")
    cfg = write_config(tmp_path, proxy, inbox.port)
    res = runner.invoke(cli_app, ["run", "--config", str(cfg), "--quiet"])
    assert res.exit_code == 0, res.output
    folders = run_folders(tmp_path)
    assert len(folders) == 1 and re.fullmatch(r"\d{4}-\d\d-\d\dT\d{6}Z", folders[0].name)
    folder = folders[0]
    assert (tmp_path / "runs" / "latest").resolve() == folder.resolve()
    names = sorted(p.suffix for p in folder.iterdir())
    assert names == [".html", ".json", ".json"]  # reports + run.json
    manifest = json.loads((folder / "run.json").read_text())
    assert manifest["exit_code"] == 0 and manifest["summary"]["pass"] == 16
    assert manifest["email"]["sent"] is True
    assert len(inbox.messages) == 1
    msg = inbox.messages[0].message
    assert msg["Subject"] == "[watchkeeper] cis-v5.0.0: 1 account, 16 pass, 0 fail"
    assert "No failing items" in body(msg, "html")


def test_findings_exit_1_then_unchanged_run_is_not_mailed(
    cli_app: typer.Typer,
    smtp_server: SmtpFactory,
    estate: Estate,
    proxy: FaultProxy,
    tmp_path: Path,
) -> None:
    compliant(estate.account(), broken="root_account_usage")
    inbox = smtp_server("plain")
    cfg = write_config(tmp_path, proxy, inbox.port, "only_on_change = true")
    res = runner.invoke(cli_app, ["run", "--config", str(cfg)])
    assert res.exit_code == 1, res.output
    # The summary view `check` prints: the grid, then the failing item grouped by account.
    assert "123456789012  15/16  .  .  F  ." in res.stdout
    assert "FAIL  4.3 · 123456789012: alarm `root_account_usage` has actions disabled" in (
        res.stdout
    )
    assert len(inbox.messages) == 1
    assert "has actions disabled" in body(inbox.messages[0].message, "html")
    # Nothing changed: the second run writes its folder but sends nothing.
    res = runner.invoke(cli_app, ["run", "--config", str(cfg), "--quiet"])
    assert res.exit_code == 1, res.output
    assert "not sent: no verdict changed" in res.stdout
    assert len(inbox.messages) == 1
    assert len(run_folders(tmp_path)) == 2


def test_delivery_failure_exits_3_and_keeps_the_report(
    cli_app: typer.Typer, estate: Estate, proxy: FaultProxy, tmp_path: Path
) -> None:
    compliant(estate.account())
    cfg = write_config(tmp_path, proxy, free_port())  # nothing listens there
    res = runner.invoke(cli_app, ["run", "--config", str(cfg), "--quiet"])
    assert res.exit_code == 3, res.output
    assert "cannot connect to SMTP server" in res.stderr
    (folder,) = run_folders(tmp_path)
    assert list(folder.glob("*.html"))
    manifest = json.loads((folder / "run.json").read_text())
    assert manifest["exit_code"] == 3 and "cannot connect" in manifest["email"]["error"]


def test_no_email_flag(
    cli_app: typer.Typer, estate: Estate, proxy: FaultProxy, tmp_path: Path
) -> None:
    compliant(estate.account())
    cfg = write_config(tmp_path, proxy, free_port())
    res = runner.invoke(cli_app, ["run", "--config", str(cfg), "--quiet", "--no-email"])
    assert res.exit_code == 0, res.output
    assert "sent via" not in res.stdout and "not delivered" not in res.output
    (folder,) = run_folders(tmp_path)
    manifest = json.loads((folder / "run.json").read_text())
    assert manifest["email"] == {
        "sent": False,
        "detail": EMAIL_OFF,
        "error": None,
        "attachments": None,
    }
    assert manifest["exit_code"] == 0 and manifest["summary"]["pass"] == 16
    # The reports are written all the same: [run] formats, named in the manifest.
    assert sorted(manifest["files"]) == ["html", "json"]
    report = json.loads((folder / manifest["files"]["json"]).read_text())
    assert report["summary"]["pass"] == 16 and len(report["results"]) == 16
    assert "cis-v5.0.0" in (folder / manifest["files"]["html"]).read_text()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('smtp_password = "hunter2"', "smtp_password is not read from config files"),
        ('smtp_security = "maybe"', "unknown value 'maybe'"),
    ],
)
def test_setup_errors_exit_2_before_collecting(
    cli_app: typer.Typer,
    proxy: FaultProxy,
    tmp_path: Path,
    extra: str,
    message: str,
) -> None:
    cfg = write_config(tmp_path, proxy, 25, "")
    text = cfg.read_text().replace('smtp_security = "none"\n', "") + extra + "\n"
    cfg.write_text(text)
    res = runner.invoke(cli_app, ["run", "--config", str(cfg)])
    assert res.exit_code == 2, res.output
    assert message in res.stderr and "hunter2" not in res.output
    assert not proxy.requests  # failed before any AWS call
