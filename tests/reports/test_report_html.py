"""The HTML report: one self-contained, escaped file whose structure carries the verdicts."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import UTC, datetime
from html.parser import HTMLParser
from types import SimpleNamespace

import jinja2
import pytest

from tests.reports.conftest import BAD, EVIL_FILTER, GOOD, WEBHOOK, Scenario
from watchkeeper.queries.catalog import load_catalog
from watchkeeper.reports.html import render_html
from watchkeeper.reports.model import ReportModel, build_report
from watchkeeper.store import connect


@dataclasses.dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    text: list[str] = dataclasses.field(default_factory=list)
    children: list[Node] = dataclasses.field(default_factory=list)

    def all_text(self) -> str:
        return "".join(self.text) + "".join(c.all_text() for c in self.children)

    def iter(self):  # type: ignore[no-untyped-def]
        yield self
        for c in self.children:
            yield from c.iter()

    def find_all(self, tag: str, cls: str | None = None) -> list[Node]:
        return [
            n
            for n in self.iter()
            if n.tag == tag and (cls is None or cls in n.attrs.get("class", "").split())
        ]


VOID = {"meta", "br", "col", "img", "hr", "input", "link"}


class Tree(HTMLParser):
    """A small DOM: enough to assert structure, and strict about nesting."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_endtag(self, tag):  # type: ignore[no-untyped-def]
        if tag in VOID:
            return
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
        self.stack.pop()

    def handle_data(self, data):  # type: ignore[no-untyped-def]
        self.stack[-1].text.append(data)


def parse(html: str) -> Node:
    t = Tree()
    t.feed(html)
    t.close()
    assert [n.tag for n in t.stack] == ["#root"], "unclosed elements"
    return t.root


@pytest.fixture(scope="module")
def html(main_html: str) -> str:
    return main_html


@pytest.fixture(scope="module")
def doc(html: str) -> Node:
    return parse(html)


def test_self_contained_no_scripts_no_network(html: str, doc: Node):
    assert html.startswith("<!DOCTYPE html>")
    assert not doc.find_all("script") and not doc.find_all("link") and not doc.find_all("img")
    styles = doc.find_all("style")
    assert len(styles) == 1 and "@page" in styles[0].all_text()
    for n in doc.iter():
        for attr in ("src", "href", "action"):
            if attr in n.attrs:
                assert n.attrs[attr].startswith("#"), (n.tag, n.attrs)
    assert "http://" not in styles[0].all_text() and "url(" not in styles[0].all_text()


def test_every_internal_link_has_a_target(doc: Node):
    ids = {n.attrs["id"] for n in doc.iter() if "id" in n.attrs}
    hrefs = {n.attrs["href"][1:] for n in doc.find_all("a") if "href" in n.attrs}
    assert hrefs - ids == set()
    assert {"cover", "toc", "summary", "failing", "appendix", "raw-objects"} <= ids


def test_names_from_the_account_are_escaped(html: str, doc: Node):
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert EVIL_FILTER in doc.all_text()


def test_cover_shows_hashes_and_snapshot(doc: Node, scenario: Scenario):
    cover = next(n for n in doc.find_all("section") if n.attrs.get("id") == "cover")
    text = cover.all_text()
    assert scenario.run.snapshot.sha256 and scenario.run.snapshot.sha256 in text
    hashes = {n.attrs["id"]: n.all_text() for n in cover.find_all("td") if "id" in n.attrs}
    assert len(hashes["results-sha256"].strip()) == 64  # the verdicts' as checked (see below)
    assert GOOD in text and BAD in text and "cis-v5.0.0" in text


@pytest.mark.parametrize("redact", [False, True], ids=["plain", "redacted"])
def test_cover_results_hash_is_the_digest_of_the_check_results(scenario: Scenario, redact: bool):
    """The cover's results hash is the check's, redacted or not (masking endpoints must not
    break the tie to `check --format json`): SHA-256 over one canonical JSON line per result
    (sorted keys), in the run's order — computed here, not by the code."""
    digest = hashlib.sha256()
    for r in scenario.run.results:
        record = {f.name: getattr(r, f.name) for f in dataclasses.fields(r)}
        digest.update(json.dumps(record, sort_keys=True, default=str).encode() + b"\n")
    con = connect(scenario.db, read_only=True)
    try:
        model = build_report(con, scenario.run, load_catalog(), redact, None)
    finally:
        con.close()
    assert model.cover.redacted is redact
    sections = parse(render_html(model)).find_all("section")
    cover = next(n for n in sections if n.attrs.get("id") == "cover")
    shown = {n.attrs["id"]: n.all_text() for n in cover.find_all("td") if "id" in n.attrs}
    assert shown["results-sha256"].strip() == digest.hexdigest()


def test_matrix_has_one_row_per_account_and_symbols_not_just_colour(doc: Node):
    matrix = doc.find_all("table", "matrix")[0]
    header = [th.all_text().strip() for th in matrix.find_all("thead")[0].find_all("th")]
    assert header[0] == "Account" and header[1:4] == ["4.1", "4.2", "4.3"] and len(header) == 17
    rows = matrix.find_all("tbody")[0].find_all("tr")
    assert len(rows) == 2
    good = next(r for r in rows if GOOD in r.all_text())
    cells = good.find_all("td")
    assert cells[4].attrs["class"] == "mx st-pass" and cells[4].all_text().strip() == "✓"
    assert cells[15].attrs["class"] == "mx st-error" and cells[15].all_text().strip() == "⚠"
    assert cells[0].all_text().strip() == "✗"


def test_failing_items_listed_before_the_controls(html: str, doc: Node):
    assert html.index('id="failing"') < html.index('id="c-4_1"')
    rows = doc.find_all("table", "failing")[0].find_all("tbody")[0].find_all("tr")
    assert rows[0].attrs["class"] == "row-fail"
    assert rows[-1].attrs["class"] == "row-manual"


def test_control_section_has_audit_item_shape_and_chain(doc: Node):
    section = next(n for n in doc.find_all("section") if n.attrs.get("id") == "c-4_5")
    terms = [dt.all_text() for dt in section.find_all("dt")]
    assert terms[:5] == ["Information", "Rationale", "Impact", "Audit", "Solution"]
    bad = next(a for a in section.find_all("article") if a.attrs["id"] == f"v-4_5-{BAD}")
    boxes = bad.find_all("div", "box")
    assert len(boxes) == 7
    assert [b.attrs["class"].split()[1] for b in boxes] == [
        "box-held",
        "box-held",
        "box-broken",
        "box-held",
        "box-held",
        "box-held",
        "box-held",
    ]
    links = [d.all_text() for d in bad.find_all("div", "link")]
    assert links[1] == "↓ broken" and links.count("↓ held") == 5
    text = bad.all_text()
    assert "aws logs test-metric-filter" in text and '"StopLogging"' in text
    assert "aws logs put-metric-filter --log-group-name ct-logs" in text
    # the passing account sits in the compact table after the exceptions (layout of issue
    # 12: passes no longer inside the control's section), with its chain's real names
    passing = next(n for n in doc.find_all("section") if n.attrs.get("id") == "passing")
    assert "cis-4-5-trail" in passing.all_text() and GOOD in passing.all_text()
    assert "How this was decided" in section.all_text()


def test_manual_shows_attestation_and_endpoints_are_masked(html: str, doc: Node):
    manual = next(a for a in doc.find_all("article") if a.attrs["id"] == f"v-4_3-{BAD}")
    assert "Attestation" in manual.all_text() and "Jane Doe (CISO)" in manual.all_text()
    assert "secops@example.com" not in html and WEBHOOK not in html
    assert "s****@example.com" in html


def test_a_missing_model_field_fails_the_render(main_model: ReportModel):
    model = main_model
    fields = {f.name: getattr(model.cover, f.name) for f in dataclasses.fields(model.cover)}
    del fields["snapshot_sha256"]
    broken = dataclasses.replace(model, cover=SimpleNamespace(**fields))  # type: ignore[arg-type]
    with pytest.raises(jinja2.UndefinedError):
        render_html(broken)


def test_rendering_is_deterministic(scenario: Scenario):
    # Two models built independently from the database (not one model rendered twice, which
    # could not differ): query order, dedup and anchors must not change the output.
    def build() -> ReportModel:
        con = connect(scenario.db, read_only=True)
        try:
            return build_report(
                con, scenario.run, load_catalog(), True, None, now=datetime(2026, 1, 1, tzinfo=UTC)
            )
        finally:
            con.close()

    assert render_html(build()) == render_html(build())
