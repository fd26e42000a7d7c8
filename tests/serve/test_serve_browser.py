"""The dashboard in a real browser: Debian's Chromium driven by Playwright, against the
server running under uvicorn. One browser for the module; a screenshot of every page is
kept under tests/artifacts/serve/ (WATCHKEEPER_SERVE_SCREENSHOTS=DIR to put them elsewhere;
WATCHKEEPER_UPDATE_DOCS=1 also refreshes docs/img/serve-overview.png)."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.reports.conftest import EVIL_FILTER
from tests.serve.conftest import BAD, Served

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[2]
SHOTS = Path(os.environ.get("WATCHKEEPER_SERVE_SCREENSHOTS", ROOT / "tests/artifacts/serve"))

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Chromium is not installed (apt-get install chromium)"
)


class Console:
    """Everything the page says on the browser console, and every uncaught error."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def attach(self, page: Page) -> None:
        page.on("console", lambda m: self.messages.append(f"console.{m.type}: {m.text}"))
        page.on("pageerror", lambda e: self.messages.append(f"pageerror: {e}"))


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser: Browser, served: Served) -> Iterator[tuple[Page, Console]]:
    context = browser.new_context(
        base_url=served.url,
        viewport={"width": 1280, "height": 900},
        accept_downloads=True,
    )
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=served.url)
    pg = context.new_page()
    console = Console()
    console.attach(pg)
    try:
        yield pg, console
    finally:
        context.close()
    assert console.messages == [], console.messages


def shot(pg: Page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    pg.screenshot(path=str(path), full_page=True)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    return path


def test_click_from_overview_to_the_evidence_and_copy_the_command(page: tuple[Page, Console]):
    pg, _ = page
    pg.goto("/")
    shot(pg, "overview")
    if os.environ.get("WATCHKEEPER_UPDATE_DOCS"):  # the README's picture: the first screen
        pg.screenshot(path=str(ROOT / "docs/img/serve-overview.png"))
    # Overview → the failing control 4.5.
    pg.locator("#matrix tbody th a", has_text="4.5").first.click()
    pg.wait_for_url("**/controls/4.5?*")
    assert "benchmark=cis-v5.0.0" in pg.url
    heading = pg.locator("h1").inner_text()
    assert heading.startswith("4.5")
    shot(pg, "control")
    # Control → a failing account (failing ones are listed first).
    rows = pg.locator("#verdict-table tbody tr")
    assert "FAIL" in rows.first.inner_text()
    bad = rows.filter(has_text=BAD).first
    assert "FAIL" in bad.inner_text()
    bad.locator("td.mono a").click()
    pg.wait_for_url(f"**/accounts/{BAD}?*")
    assert "Collection errors" in pg.content()
    shot(pg, "account")
    # Account → the evidence of 4.5.
    row = pg.locator("#account-controls tbody tr", has_text="4.5").first
    row.locator("a.evidence-link").click()
    pg.wait_for_url(f"**/accounts/{BAD}/evidence/4.5?*")
    broken = pg.locator(".box-broken, .box-absent").first
    assert EVIL_FILTER in broken.inner_text()  # the broken link, by name (escaped, shown)
    counter = pg.locator(".counterexample pre.json").first.inner_text()
    assert '"eventName": "StopLogging"' in counter
    shot(pg, "evidence")
    command = pg.locator(".counterexample pre.cmd").first
    assert "aws logs test-metric-filter" in command.inner_text()
    pg.locator(".counterexample button.copy").first.click()
    pg.wait_for_function(
        "document.querySelector('.counterexample button.copy').textContent === 'Copied'"
    )
    copied = pg.evaluate("navigator.clipboard.readText()")
    assert copied == command.inner_text().strip()
    # The raw objects and the deciding SQL are on the same page.
    assert pg.locator("#raw-objects").count() == 1
    assert "control_metric_filter.sql" in pg.locator("#sql + p, #sql ~ p").first.inner_text()


def test_sql_query_and_csv_download(page: tuple[Page, Console]):
    pg, _ = page
    pg.goto("/sql")
    pg.fill("#q", "SELECT account_id, name FROM aws_cloudwatch_log_metric_filter ORDER BY name")
    pg.click("#run-query")
    pg.wait_for_selector("#sql-result")
    cells = pg.locator("#sql-result tbody td").all_inner_texts()
    assert EVIL_FILTER in cells and BAD in cells
    shot(pg, "sql")
    with pg.expect_download() as info:
        pg.click("#download-csv")
    download = info.value
    assert download.suggested_filename == "watchkeeper-query.csv"
    rows = list(csv.reader(io.StringIO(Path(download.path()).read_text("utf-8"))))
    assert rows[0] == ["account_id", "name"]
    assert [BAD, EVIL_FILTER] in rows


def test_history_and_diff(page: tuple[Page, Console]):
    pg, _ = page
    pg.goto("/history?control=4.5")
    assert pg.locator(".timeline-chart svg").count() == 1
    assert pg.locator(".snapshots tbody tr").count() == 2
    assert "✓" in pg.locator(".snapshots td.verify").first.inner_text()
    shot(pg, "history")
    pg.select_option("select[name=from]", "1")
    pg.select_option("select[name=to]", "2")
    pg.click("#diff-button")
    pg.wait_for_url("**/history/diff?*")
    text = pg.locator("#resource-changes").inner_text()
    assert "aws_sns_topic_subscription" in text and "removed" in text
    verdicts = pg.locator("#verdict-changes").inner_text()
    assert "PASS" in verdicts and "FAIL" in verdicts
    shot(pg, "diff")


def test_downloads_page(page: tuple[Page, Console]):
    pg, _ = page
    pg.goto("/runs")
    shot(pg, "downloads")
    with pg.expect_download() as info:
        pg.locator("a[href$='/download/junit']").first.click()
    assert info.value.suggested_filename.endswith(".junit.xml")
    data = Path(info.value.path()).read_text("utf-8")
    assert data.startswith('<?xml version="1.0" encoding="UTF-8"?>') and "<testsuites" in data
