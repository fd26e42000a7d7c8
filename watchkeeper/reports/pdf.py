"""The report as PDF: the HTML rendered by WeasyPrint with the stylesheet's print rules
(running header, "page X of Y", table of contents page numbers); fonts are embedded."""

from __future__ import annotations

import logging
from pathlib import Path

__all__ = ["PAPERS", "PdfError", "render_pdf"]

PAPERS = {"a4": "A4", "letter": "letter"}


class PdfError(Exception):
    """The PDF could not be produced (printed as one line)."""


def render_pdf(html: str, paper: str = "a4", base_url: str | Path | None = None) -> bytes:
    """Render report HTML to PDF bytes on A4 or US Letter paper."""
    size = PAPERS.get(paper.lower())
    if size is None:
        raise PdfError(f"unknown paper size {paper!r}; choose {' or '.join(PAPERS)}")
    try:
        import weasyprint
    except (ImportError, OSError) as exc:  # OSError: pango/cairo libraries missing
        raise PdfError(f"PDF output needs WeasyPrint and its system libraries: {exc}") from None
    # WeasyPrint logs every CSS property it ignores at WARNING; the report's stylesheet is
    # shared with browsers on purpose, so those are noise here.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    # The paper goes into the document itself: a user stylesheet would lose to the
    # report's own @page rule (author styles win in the cascade).
    paper_rule = f"<style>@page {{ size: {size}; }}</style>"
    if "</head>" in html:
        html = html.replace("</head>", paper_rule + "</head>", 1)
    else:
        html = paper_rule + html
    document = weasyprint.HTML(string=html, base_url=str(base_url or Path.cwd()))
    pdf = document.write_pdf()
    assert isinstance(pdf, bytes)
    return pdf
