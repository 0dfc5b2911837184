"""A report's PDF, printed from the report's own HTML file: one source for screen, phone and paper.

WeasyPrint lays the HTML out for print media, so the report templates' print stylesheet
(``@page`` and ``@media print`` in ``include/templates/reports/base.html``) decides the paper
layout: A4, margins, page numbers, tables that wrap instead of being cut, figures kept whole.
The HTML is self-contained (inline CSS and SVG charts), so printing fetches nothing.
"""

from __future__ import annotations

import logging
from pathlib import Path

from mentorflow.privacy import write_private_bytes

log = logging.getLogger(__name__)


def html_to_pdf(html: Path, pdf: Path) -> Path:
    """Print the HTML file ``html`` to ``pdf`` (owner-only file) and return ``pdf``."""
    import weasyprint
    from weasyprint.urls import URLFetcher

    # self-contained reports: a reference to anything but inline data is a template bug, and stops the print
    fetcher = URLFetcher(allowed_protocols={"data"}, fail_on_errors=True)
    data = weasyprint.HTML(string=html.read_text(encoding="utf-8"), url_fetcher=fetcher).write_pdf()
    log.info("printed %s to PDF (%d bytes)", html.name, len(data))
    return write_private_bytes(pdf, data)
