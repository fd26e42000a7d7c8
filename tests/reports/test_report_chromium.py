"""The HTML report renders in a real browser (headless Chromium) without errors."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed (Debian: apt-get install chromium)"
)
def test_headless_chromium_screenshots_the_report(main_html: str, tmp_path: Path):
    page = tmp_path / "report.html"
    page.write_text(main_html, encoding="utf-8")
    shot = tmp_path / "out.png"
    assert CHROMIUM is not None
    proc = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--window-size=1280,2000",
            f"--screenshot={shot}",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
    # Chromium logs page-level problems (blocked resources, CSP, JS errors) as CONSOLE lines.
    assert "ERR_" not in proc.stderr and "Uncaught" not in proc.stderr, proc.stderr[-2000:]
