"""The printed dashboards, as Chromium prints them to PDF on A4: a few pages, none blank
at the end, the period, the reader's role and the print date on the first, no heading
left alone at the foot of a page, and the charts drawn whole at the page's width."""

from __future__ import annotations

import io
import json
from datetime import date

import pytest
from pypdf import PdfReader

from tests.browser.support import DESKTOP, sign_in

pytestmark = pytest.mark.browser

SKOPJE = "/missions/MKD?from=2015-01&to=2016-12"


def _printed(page) -> list[str]:
    """Each printed page's text, as page.pdf() prints it (print media, beforeprint fired)."""
    reader = PdfReader(io.BytesIO(page.pdf(format="A4")))
    return [p.extract_text() or "" for p in reader.pages]


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _headings(page) -> list[str]:
    page.emulate_media(media="print")
    found = page.evaluate(
        "() => [...document.querySelectorAll('main h1, main h2, main h3')]"
        ".filter(h => h.offsetParent !== null).map(h => h.innerText.trim())"
    )
    page.emulate_media(media="null")  # page.pdf() prints with the print media again
    return found


def test_the_printed_skopje_dashboard(browser, live_server):
    page = browser.new_context(viewport=DESKTOP).new_page()
    sign_in(page, live_server, "hom.mkd")
    page.goto(live_server + SKOPJE)
    page.wait_for_load_state("networkidle")
    # the rules that keep headings with what follows and figures whole apply in print
    page.emulate_media(media="print")
    rules = page.evaluate(
        """() => ({
          h2: getComputedStyle(document.querySelector('main h2:not(.visually-hidden)')).breakAfter,
          h3: getComputedStyle(document.querySelector('.chart-figure h3')).breakAfter,
          figure: getComputedStyle(document.querySelector('.chart-figure')).breakInside,
          line: getComputedStyle(document.querySelector('[data-print-line]')).display,
        })"""
    )
    assert rules == {"h2": "avoid", "h3": "avoid", "figure": "avoid", "line": "block"}
    page.emulate_media(media="screen")
    assert not page.locator("[data-print-line]").is_visible()  # on paper only
    page.emulate_media(media="null")  # page.pdf() prints with the print media again

    pages = _printed(page)
    assert 1 < len(pages) <= 5, len(pages)  # it was seven, the last one blank
    for number, text in enumerate(pages, start=1):
        assert len(text.strip()) > 40, f"page {number} of {len(pages)} is (nearly) blank"
    first = " ".join(_lines(pages[0]))
    assert "Period: 01 Jan 2015 – 31 Dec 2016" in first
    assert "Head of mission" in first and "Head of mission Skopje (demo)" in first
    assert f"printed {date.today():%d %B %Y}" in first
    # no heading is the last thing on a page
    headings = set(_headings(page))
    assert "Approved activity per month, by type" in headings
    for number, text in enumerate(pages[:-1], start=1):
        last = _lines(text)[-1]
        assert last not in headings, f"heading {last!r} stranded at the foot of page {number}"
    # the charts are drawn whole at the page's width: the month chart's legend and the
    # months apart on its right are printed (at the window's width they were cut off)
    whole = "\n".join(pages)
    data = json.loads(page.locator("#by-month-data").text_content() or "{}")
    labels = dict(zip(data["keys"], data["labels"], strict=True))
    for key in data["series"]:
        assert labels[key] in whole, labels[key]
    assert "month unknown" in whole
    widths = page.evaluate(
        "() => [...document.querySelectorAll('[data-chart] svg')]"
        ".map(s => +s.getAttribute('width'))"
    )
    assert widths and all(w > 700 for w in widths)  # back to the window's width afterwards


def test_the_printed_comparison(browser, live_server):
    page = browser.new_context(viewport=DESKTOP).new_page()
    sign_in(page, live_server, "cpc")
    page.goto(f"{live_server}/compare?from=2015-01&to=2016-12")
    page.wait_for_load_state("networkidle")
    pages = _printed(page)
    assert len(pages) <= 4, len(pages)
    for number, text in enumerate(pages, start=1):
        assert len(text.strip()) > 40, f"page {number} of {len(pages)} is (nearly) blank"
    first = " ".join(_lines(pages[0]))
    assert "Period: 01 Jan 2015 – 31 Dec 2016" in first and "CPC desk" in first
    assert f"printed {date.today():%d %B %Y}" in first
    headings = set(_headings(page))
    for number, text in enumerate(pages[:-1], start=1):
        assert _lines(text)[-1] not in headings, f"a heading stranded on page {number}"
