"""Export what you see, in a real browser: the CPC desk filters the list, downloads the
Excel file from the list's link and gets exactly the rows shown; the menu leads to the
export page, where a bad date is shown next to its field. axe-core checks both pages."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook

from tests.browser.support import DESKTOP, axe_violations, screenshot, sign_in

pytestmark = pytest.mark.browser


def test_the_desk_exports_the_list_it_filtered(browser, live_server):
    base = live_server
    page = browser.new_context(viewport=DESKTOP, accept_downloads=True).new_page()
    sign_in(page, base, "cpc")
    page.goto(f"{base}/activities?location=tabanovce&type=monitoring_visit&limit=200")
    count = page.locator("#activity-rows tr").count()
    assert count > 5
    titles = sorted(page.locator("#activity-rows td.title-cell a").all_inner_texts())
    assert axe_violations(page) == []
    link = page.locator("#export-links a", has_text="Excel")
    assert "location=tabanovce" in (link.get_attribute("href") or "")
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename == "fieldlog-activities-readable.xlsx"
    with open(download.path(), "rb") as handle:  # a download's path has no .xlsx ending
        book = load_workbook(io.BytesIO(handle.read()))
    sheet = book["Activities"]
    header = [c.value for c in sheet[1]]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert sorted(r[header.index("Title")] for r in rows) == titles
    assert {r[header.index("Type of activity")] for r in rows} == {"Monitoring visit"}
    assert all("Tabanovce" in r[header.index("Locations")] for r in rows)
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref
    about = {
        r[0]: r[1] for r in book["About this export"].iter_rows(values_only=True) if r and r[0]
    }
    assert "Tabanovce" in about["  Location"]


def test_the_menu_leads_to_the_export_page_and_its_errors_stay_on_it(browser, live_server):
    base = live_server
    page = browser.new_context(viewport=DESKTOP).new_page()
    sign_in(page, base, "cpc")
    page.goto(f"{base}/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Export").click()
    page.wait_for_load_state()
    assert page.url.endswith("/imports")
    assert page.get_by_role("heading", name="Export activities").is_visible()
    page.fill("#exp-from", "May 2016")
    page.select_option("#exp-mission", "SRB")
    page.click("button:has-text('Export CSV')")
    page.wait_for_load_state()
    assert re.search(r"/exports/activities\.csv\?", page.url)
    assert page.input_value("#exp-from") == "May 2016"
    assert page.input_value("#exp-mission") == "SRB"
    assert page.get_attribute("#exp-from", "aria-invalid") == "true"
    assert page.locator("#exp-from-error").is_visible()
    screenshot(page, "export-page-error")
    assert axe_violations(page) == []
