"""Reports people read anywhere: the HR report's PDF is its HTML printed (every number and heading of the HTML
is in the PDF's text, no page is left mostly empty), every chart names its axes and their units, and every HTML
report the lifecycle writes fits a 390 px phone screen in Chromium (screenshots under test-output/screenshots/)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from browser_fixtures import SHOTS, needs_chromium
from mentorflow import settings

pytestmark = [pytest.mark.airflow, pytest.mark.slow,
              pytest.mark.parametrize("completed_cohort", ["sqlite"], indirect=True)]  # one small cohort is enough

PHONE = {"width": 390, "height": 844}
NUMBER = re.compile(r"\d+(?:\.\d+)?%?")
PAGE_TOP, PAGE_BOTTOM = 841.9 - 45.4, 51.0  # A4 in points less the print stylesheet's margins (16 mm, 18 mm)


@pytest.fixture(autouse=True)
def mentorflow_home(completed_cohort):
    return settings.home()


class _Visible(HTMLParser):
    """The text a reader sees: the body's text (SVG labels included), without styles, the head and tooltips."""

    HIDDEN = {"style", "head", "title", "script"}

    def __init__(self) -> None:
        super().__init__()
        self.depth, self.parts, self.headings, self._heading = 0, [], [], None

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self.depth += 1
        if tag in ("h1", "h2", "h3"):
            self._heading = []

    def handle_endtag(self, tag):
        if tag in self.HIDDEN:
            self.depth -= 1
        if tag in ("h1", "h2", "h3") and self._heading is not None:
            self.headings.append(" ".join("".join(self._heading).split()))
            self._heading = None

    def handle_data(self, data):
        if self.depth == 0:
            self.parts.append(data)
            if self._heading is not None:
                self._heading.append(data)


def visible(html: str) -> _Visible:
    parser = _Visible()
    parser.feed(html)
    return parser


def numbers(text: str) -> dict[str, int]:
    found: dict[str, int] = {}
    for n in NUMBER.findall(text):
        found[n] = found.get(n, 0) + 1
    return found


def hr_files(config) -> tuple[str, Path]:
    folder = settings.reports_dir(config.cohort)
    return (folder / "hr-report.html").read_text(encoding="utf-8"), folder / "hr-report.pdf"


def test_the_pdf_is_the_html_printed_with_every_number_and_heading(completed_cohort):
    from pypdf import PdfReader

    config, _, _, _ = completed_cohort
    html, pdf = hr_files(config)
    reader = PdfReader(pdf)
    assert reader.metadata["/Producer"].startswith("WeasyPrint")  # printed from the HTML, not drawn a second time
    text = "\n".join(page.extract_text() for page in reader.pages)
    seen = visible(html)
    in_html, in_pdf = numbers(" ".join(seen.parts)), numbers(text)
    assert len(in_html) > 40  # the report's figures, not a stub
    missing = {n: k for n, k in in_html.items() if in_pdf.get(n, 0) < k}
    assert missing == {}, missing  # every number, as often as the HTML prints it
    flat = " ".join(text.split())
    for section in ("Summary", "Funnel", "Match quality", "Fairness: who got matched", "Pair health over time",
                    "Outcomes", "Mentor effectiveness", "Learning for the next cohort", "Cohort over cohort"):
        assert section in seen.headings
    assert [h for h in seen.headings if h not in flat] == []
    for column in ("Mentees whose goals were met", "Share of applicants", "Response rate", "Pairs assessed"):
        assert column in flat  # human column names, the HTML's own
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", " ".join(seen.parts).replace(".yaml", "")), "snake_case in the report"


def test_no_page_of_the_pdf_is_mostly_empty_and_each_is_numbered(completed_cohort):
    from pypdf import PdfReader

    config, _, _, _ = completed_cohort
    _, pdf = hr_files(config)
    pages = PdfReader(pdf).pages
    assert len(pages) >= 3
    for number, page in enumerate(pages, start=1):
        spots: list[tuple[float, float]] = []

        def seen(text, cm, tm, font, size, spots=spots):
            if text.strip():
                spots.append((tm[4] * cm[0] + tm[5] * cm[2] + cm[4], tm[4] * cm[1] + tm[5] * cm[3] + cm[5]))

        text = page.extract_text(visitor_text=seen)
        body = [(x, y) for x, y in spots if y > PAGE_BOTTOM - 5]  # the footer (report, page n of m) sits below
        assert f"Page {number} of {len(pages)}" in text
        assert all(0 < x < float(page.mediabox.width) - 20 for x, _ in spots), number  # no text starts off the page
        if number < len(pages):
            filled = (PAGE_TOP - min(y for _, y in body)) / (PAGE_TOP - PAGE_BOTTOM)
            assert filled > 0.6 and len(text) > 400, (number, filled, len(text))


def report_pages(config) -> list[Path]:
    """Every HTML report of the cohort (dq/ keeps dated copies of the dq-<gate>.html files: left out)."""
    return sorted(settings.reports_dir(config.cohort).glob("*.html"))


def test_every_chart_names_its_axes_and_their_unit(completed_cohort):
    config, _, _, _ = completed_cohort
    charts = 0
    for path in report_pages(config):
        for svg in re.findall(r"<svg[^>]*role=\"img\".*?</svg>", path.read_text(encoding="utf-8"), re.S):
            charts += 1
            labels = " ".join(re.findall(r"<text[^>]*>([^<]*)</text>", svg))
            assert 'class="chart"' in svg, path.name
            assert re.search(r"\b(People|Pairs)\b", labels), (path.name, labels)  # the unit: people or pairs
            assert re.search(r"\b(Stage|Pulse period|Match score)\b", labels), (path.name, labels)  # the other axis
            assert "%" in labels or re.search(r">\d+<", svg), (path.name, labels)  # a scale
    assert charts >= 5  # HR: funnel, histogram, health; matches: histogram; pulse: health


@needs_chromium
def test_every_report_fits_a_phone_screen_in_chromium(completed_cohort, browser):
    config, _, _, _ = completed_cohort
    pages = report_pages(config)
    names = {p.name for p in pages}
    assert {"hr-report.html", "matches-initial.html", "pulse-report.html"} <= names
    assert any(n.startswith("dq-") for n in names)
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport=PHONE, device_scale_factor=1)
    try:
        page = context.new_page()
        for path in pages:
            page.goto(path.as_uri())
            width = page.evaluate("document.scrollingElement.scrollWidth")
            page.screenshot(path=str(SHOTS / f"phone-{path.stem}.png"), full_page=True)
            assert width <= PHONE["width"], (path.name, width)
            for box in [c.bounding_box() for c in page.locator("svg.chart").all()]:
                assert box and 0 <= box["x"] and box["x"] + box["width"] <= PHONE["width"], (path.name, box)
                assert box["height"] > 60  # scaled down, still readable
    finally:
        context.close()
