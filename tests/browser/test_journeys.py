"""The journeys that matter, in a real browser: a focal point on a phone logs a
monitoring visit with an alert and submits it; the head of mission approves it from the
dashboard's queue; the CPC desk sees it on the comparison. axe-core checks the pages."""

from __future__ import annotations

import re

import pytest

from tests.browser.support import DESKTOP, PHONE, axe_violations, screenshot, sign_in

pytestmark = pytest.mark.browser
TITLE = "Monitoring visit to Gevgelija: overcrowding at the camp"


def _monitoring_cell(page, base: str) -> int:
    page.goto(f"{base}/compare?from=2016-03&to=2016-03")
    row = page.locator("table.matrix tbody tr", has_text="Skopje")
    cell = row.locator("td").first  # monitoring is the first column
    text = cell.inner_text().strip()
    return int(text.replace(",", "")) if text.replace(",", "").isdigit() else 0


def test_visit_logged_on_a_phone_is_approved_and_compared(browser, live_server):
    base = live_server
    cpc = browser.new_context(viewport=DESKTOP).new_page()
    sign_in(cpc, base, "cpc")
    before = _monitoring_cell(cpc, base)

    # the focal point, on a phone, logs a monitoring visit with an alert and submits it
    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    sign_in(phone, base, "fp.mkd")
    phone.goto(f"{base}/activities/new?type=monitoring_visit")
    phone.fill("#f-title", TITLE)
    phone.fill("#f-start-day", "2016-03-09")
    # the type presets its dimension and response area
    assert phone.input_value("#f-dimension") == "politico_military"
    assert phone.input_value("#f-response_area") == "monitoring"
    phone.check("#f-locations-gevgelija")
    phone.select_option("#f-alert_level", "elevated")
    phone.locator("fieldset[data-type=monitoring_visit] summary:has-text('More fields')").click()
    phone.fill("#f-persons_observed", "1200")
    phone.click("button:has-text('Save as draft')")
    phone.wait_for_load_state()
    assert re.search(r"/activities/\d+(\?.*)?$", phone.url), phone.url
    assert TITLE in phone.content()
    phone.click("button:has-text('Submit for review')")
    phone.wait_for_load_state()
    assert "Submitted" in phone.content()

    # the head of mission approves it from the dashboard's review queue
    hom = browser.new_context(viewport=DESKTOP).new_page()
    sign_in(hom, base, "hom.mkd")
    hom.goto(f"{base}/missions/MKD?from=2015-08&to=2016-06")
    queue = hom.locator("section.queue")
    assert TITLE in queue.inner_text()
    queue.locator(f"a:has-text('{TITLE[:30]}')").click()
    hom.wait_for_load_state()
    hom.click("button:has-text('Approve')")
    hom.wait_for_load_state()
    assert "Approved" in hom.content()

    # the CPC desk sees it on the comparison
    assert _monitoring_cell(cpc, base) == before + 1
    cpc.goto(f"{base}/compare?from=2016-03&to=2016-03")
    cpc.locator("table.matrix tbody tr", has_text="Skopje").locator("td a").first.click()
    cpc.wait_for_load_state()
    assert TITLE in cpc.content()


@pytest.mark.parametrize(
    ("name", "who", "path"),
    [
        ("dashboard", "hom.mkd", "/missions/MKD?from=2015-08&to=2016-06"),
        ("compare", "cpc", "/compare"),
        ("activity-list", "fp.mkd", "/activities?mission=MKD"),
        ("activity-form", "fp.mkd", "/activities/new?type=monitoring_visit"),
    ],
)
def test_pages_have_no_serious_accessibility_violations(browser, live_server, name, who, path):
    for viewport_name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page = browser.new_context(viewport=viewport, bypass_csp=True).new_page()
        sign_in(page, live_server, who)
        page.goto(f"{live_server}{path}")
        page.wait_for_load_state("networkidle")
        if name in ("dashboard", "compare"):
            screenshot(page, f"{name}-{viewport_name}")
        violations = axe_violations(page)
        assert not violations, f"{name} ({viewport_name}): {violations}"


def test_charts_draw_from_vendored_scripts(browser, live_server):
    page = browser.new_context(viewport=DESKTOP).new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    sign_in(page, live_server, "hom.mkd")
    page.goto(f"{live_server}/missions/MKD?from=2015-08&to=2016-06")
    page.wait_for_load_state("networkidle")
    assert page.locator("#by-month svg").count() == 1
    assert page.locator("#visits svg").count() == 1
    assert not errors, errors
    assert all(url.startswith(live_server) for url in requests), "a request left the server"


def test_show_more_appends_the_next_page_in_place(browser, live_server):
    page = browser.new_context(viewport=PHONE).new_page()
    sign_in(page, live_server, "fp.mkd")
    page.goto(f"{live_server}/activities?mission=MKD")
    rows = page.locator("#activity-rows > tr")
    first_page = rows.count()
    url = page.url
    page.click("#pager a[rel=next]")
    rows.nth(first_page).wait_for()  # the first appended row (no eval: the CSP forbids it)
    assert rows.count() > first_page
    assert page.url == url  # a partial update, not a new page
    links = rows.locator("td.title-cell a").evaluate_all("els => els.map(e => e.href)")
    assert len(links) == rows.count() == len(set(links))  # no row twice
