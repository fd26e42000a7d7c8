"""The PDF report: text, hashes, page numbering, TOC, paper sizes and embedded fonts."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from tests.reports.conftest import BAD, EVIL_FILTER, GOOD, Scenario
from watchkeeper.reports.pdf import PdfError, render_pdf


@pytest.fixture(scope="module")
def pdf(main_html: str) -> PdfReader:
    return PdfReader(io.BytesIO(render_pdf(main_html, "a4")))


@pytest.fixture(scope="module")
def pages(pdf: PdfReader) -> list[str]:
    return [p.extract_text() for p in pdf.pages]


def _flat(text: str) -> str:
    # Long hashes and ARNs wrap inside their cells; join lines to find them whole.
    return re.sub(r"\s+", "", text)


def test_page_x_of_y_matches_the_page_count(pdf: PdfReader, pages: list[str]):
    n = len(pdf.pages)
    assert n > 10
    for i, text in enumerate(pages, start=1):
        assert f"page {i} of {n}" in text, i


def test_a4_paper_and_embedded_fonts(pdf: PdfReader):
    box = pdf.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)
    fonts: dict[str, bool] = {}
    for page in pdf.pages[:6]:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts")
            target = descendants[0].get_object() if descendants else font
            desc = target["/FontDescriptor"].get_object()
            fonts[str(font["/BaseFont"])] = any(
                k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3")
            )
    assert fonts and all(fonts.values()), fonts


def test_cover_verdicts_names_and_hashes(pages: list[str], scenario: Scenario):
    cover = _flat(pages[0])
    assert scenario.run.snapshot.sha256 and scenario.run.snapshot.sha256 in cover
    assert "ResultsSHA-256" in cover and GOOD in cover and BAD in cover
    everything = "\n".join(pages)
    assert "✓ PASS" in everything and "✗ FAIL" in everything
    assert "⚠ ERROR" in everything and "✎ MANUAL" in everything
    flat = _flat(everything)
    assert _flat(EVIL_FILTER) in flat
    assert f"arn:aws:cloudtrail:us-east-1:{BAD}:trail/audit" in flat
    assert "awslogstest-metric-filter" in flat and "awslogsput-metric-filter" in flat


def test_toc_page_numbers_point_at_the_sections(pages: list[str]):
    toc = next(p for p in pages if "Contents" in p)
    m = re.search(r"4\.5 Ensure CloudTrail configuration changes are monitored\W*?(\d+)", toc)
    assert m, toc
    target = int(m.group(1))
    assert "Ensure CloudTrail configuration changes are monitored" in pages[target - 1]
    assert "4.5" in pages[target - 1]


def test_running_header_names_account_and_snapshot_time(pages: list[str], scenario: Scenario):
    when = scenario.run.snapshot.collected_at.strftime("%Y-%m-%d %H:%M")
    assert when not in pages[0].split("\n")[0]  # no header on the cover
    headed = [p for p in pages[1:] if f"snapshot {when}" in p]
    assert len(headed) == len(pages) - 1
    assert any(f"account {BAD}" in p for p in pages)
    assert any(f"account {GOOD}" in p for p in pages)


def test_letter_paper(main_html: str):
    reader = PdfReader(io.BytesIO(render_pdf(main_html, "letter")))
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)


def test_unknown_paper_is_refused():
    with pytest.raises(PdfError, match="unknown paper size 'a5'"):
        render_pdf("<p>x</p>", "a5")
