"""`watchkeeper email --strictness` picks the latest run judged that way; the old spelling
--profile still does, with a deprecation note."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from tests.awsfake.faultproxy import FaultProxy
from tests.awsfake.scenarios import Estate
from tests.notify.conftest import SmtpFactory, body
from watchkeeper.collector import AwsOptions, CollectRequest, collect
from watchkeeper.queries.check import CheckRequest, check

runner = CliRunner()


@pytest.fixture
def two_runs(estate: Estate, proxy: FaultProxy, db: Path) -> Path:
    """A literal run, then a full one (the latest overall)."""
    estate.account().chain()
    collect(CollectRequest(db=db, regions=("us-east-1",), aws=AwsOptions(endpoint_url=proxy.url)))
    check(CheckRequest(db=db, controls=("4.5",), profile="literal"))
    check(CheckRequest(db=db, controls=("4.5",), profile="full"))
    return db


@pytest.mark.parametrize(
    ("args", "profile", "note"),
    [
        ([], "full", None),
        (["--strictness", "literal"], "literal", None),
        (
            ["--profile", "literal"],
            "literal",
            "note: --profile on `email` is deprecated; use --strictness "
            "(--profile is the AWS profile, on collect)",
        ),
    ],
)
def test_email_selects_the_run_by_strictness(
    cli_app: typer.Typer,
    two_runs: Path,
    smtp_server: SmtpFactory,
    tmp_path: Path,
    args: list[str],
    profile: str,
    note: str | None,
) -> None:
    inbox = smtp_server("plain")
    res = runner.invoke(
        cli_app,
        [
            "email",
            "--db",
            str(two_runs),
            "--smtp-host",
            inbox.host,
            "--smtp-port",
            str(inbox.port),
            "--smtp-security",
            "none",
            "--to",
            "audit@example.com",
            "--from",
            "watchkeeper@example.org",
            "--attach",
            "html",
            "--output",
            str(tmp_path / "reports"),
            *args,
        ],
    )
    assert res.exit_code == 0, res.output
    assert f"({profile} profile)" in body(inbox.messages[0].message, "plain")
    notes = [line for line in res.stderr.splitlines() if line.startswith("note:")]
    assert notes == ([note] if note else [])
