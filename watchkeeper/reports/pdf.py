"""The report as PDF: the HTML rendered by WeasyPrint with the stylesheet's print rules
(running header, "page X of Y", table of contents page numbers); fonts are embedded.

A process keeps one font configuration and the report stylesheet parsed once per paper
size: the evidence packs' workers render hundreds of documents each, and parsing the same
stylesheet for each was a tenth of a pack's time.
"""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path
from typing import Any

from watchkeeper.reports.html import report_css

__all__ = ["PAPERS", "PdfError", "render_pdf", "warm_up"]

PAPERS = {"a4": "A4", "letter": "letter"}


class PdfError(Exception):
    """The PDF could not be produced (printed as one line)."""


def _weasyprint() -> Any:
    try:
        import weasyprint
    except (ImportError, OSError) as exc:  # OSError: pango/cairo libraries missing
        raise PdfError(f"PDF output needs WeasyPrint and its system libraries: {exc}") from None
    # WeasyPrint logs every CSS property it ignores at WARNING; the report's stylesheet is
    # shared with browsers on purpose, so those are noise here.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    return weasyprint


@cache
def _printer(size: str) -> tuple[Any, Any]:
    """(font configuration, parsed report stylesheet with the paper size) for one size."""
    weasyprint = _weasyprint()
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    # After the stylesheet's own @page rule, so this size wins.
    css = weasyprint.CSS(string=report_css() + f"\n@page {{ size: {size}; }}", font_config=fonts)
    return fonts, css


def warm_up(paper: str = "a4") -> None:
    """Import WeasyPrint and parse the stylesheet now (a PDF worker's initializer)."""
    size = PAPERS.get(paper.lower())
    if size is not None:
        _printer(size)


def render_pdf(html: str, paper: str = "a4", base_url: str | Path | None = None) -> bytes:
    """Render report HTML to PDF bytes on A4 or US Letter paper."""
    size = PAPERS.get(paper.lower())
    if size is None:
        raise PdfError(f"unknown paper size {paper!r}; choose {' or '.join(PAPERS)}")
    weasyprint = _weasyprint()
    fonts, css = _printer(size)
    inline = f"<style>\n{report_css()}\n</style>"
    if inline in html:
        # Our own report: its inline stylesheet is the parsed one, given as a user sheet
        # (no author sheet is left for it to lose to).
        html = html.replace(inline, "", 1)
        sheets = [css]
    else:
        # Other HTML: the paper goes into the document itself, as a user stylesheet would
        # lose to the document's own @page rule (author styles win in the cascade).
        paper_rule = f"<style>@page {{ size: {size}; }}</style>"
        if "</head>" in html:
            html = html.replace("</head>", paper_rule + "</head>", 1)
        else:
            html = paper_rule + html
        sheets = []
    document = weasyprint.HTML(string=html, base_url=str(base_url or Path.cwd()))
    pdf = document.write_pdf(stylesheets=sheets, font_config=fonts)
    assert isinstance(pdf, bytes)
    return pdf
