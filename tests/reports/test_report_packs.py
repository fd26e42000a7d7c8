"""Issue 12: an evidence pack's PDF still carries each control's full evidence chain for
its account (names, broken links, counterexample, remediation, attestation, raw objects)
after the pack was made cheaper to render; checked in the text pypdf extracts."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from tests.reports.conftest import BAD, GOOD, MISSED, Scenario
from watchkeeper.queries.catalog import load_catalog
from watchkeeper.reports.html import render_html
from watchkeeper.reports.model import PackBuilder, report_basis
from watchkeeper.reports.pdf import render_pdf
from watchkeeper.store import connect


def _flat(text: str) -> str:
    # PDF lines wrap anywhere in long names: compare without any whitespace.
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def pack_text(scenario: Scenario) -> dict[str, str]:
    con = connect(scenario.db, read_only=True)
    try:
        builder = PackBuilder(con, report_basis(con, scenario.run, load_catalog(), True, None))
        htmls = {a: render_html(builder.pack(a)) for a in (GOOD, BAD)}
    finally:
        con.close()
    out = {}
    for account, html in htmls.items():
        pdf = PdfReader(io.BytesIO(render_pdf(html)))
        out[account] = _flat("\n".join(p.extract_text() for p in pdf.pages))
    return out


# (scenario, account, texts the pack's PDF must hold, texts it must not)
PACK_SCENARIOS = [
    (
        "passing chain: every object named, with its details",
        GOOD,
        [
            "✓ PASS · 111122223333 · 4.5 · us-east-1",
            "cis-4-5-trail",
            "cis-4-5-trail-logs",
            "Metric filter cis-4-5-filter",
            "CISBenchmark/cis-4-5-metric",
            "Alarm cis-4-5-alarm",
            "cis-4-5-alerts",
            "home region: us-east-1",
            "actions enabled: yes",
        ],
        [BAD],
    ),
    (
        "checks of a held link listed once, by kind",
        GOOD,
        ["What each link checks", "Alarm: exists", "checks held"],
        [],
    ),
    (
        "no filter for the control: the broken link and how to create the filter",
        GOOD,
        [
            "✗ FAIL · 111122223333 · 4.1",
            "covers the required pattern (broken)",
            "aws logs put-metric-filter",
        ],
        [],
    ),
    (
        "filter that misses an event: broken link, counterexample, test command",
        BAD,
        [
            "✗ FAIL · 444455556666 · 4.5",
            "covers the required pattern (broken)",
            "The filter misses events",
            '"eventName": "StopLogging"',
            "aws logs test-metric-filter",
            MISSED,
        ],
        [],
    ),
    (
        "alarm with actions disabled: the broken check",
        BAD,
        ["unauthorized-alarm", "actions enabled (broken)", "actions enabled: no"],
        [],
    ),
    (
        "attested control: the attestation",
        BAD,
        ["Attestation", "Jane Doe (CISO)", "https://wiki.example.com/soc/root-login"],
        [],
    ),
    (
        "raw API objects: each cited object's JSON, endpoints masked",
        GOOD,
        [
            "A. Raw API objects",
            '"filterName": "cis-4-5-filter"',
            '"AlarmName": "cis-4-5-alarm"',
        ],
        ["secops@example.com"],
    ),
]


@pytest.mark.parametrize(
    ("account", "present", "absent"),
    [pytest.param(a, p, n, id=name) for name, a, p, n in PACK_SCENARIOS],
)
def test_pack_pdf_carries_the_evidence(
    pack_text: dict[str, str], account: str, present: list[str], absent: list[str]
):
    text = pack_text[account]
    missing = [s for s in present if _flat(s) not in text]
    assert not missing, missing
    leaked = [s for s in absent if _flat(s) in text]
    assert not leaked, leaked
