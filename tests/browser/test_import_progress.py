"""A large import in a real browser: the upload of a 20,000-row file answers at once with
the job's page, whose progress bar moves (htmx polling) and reaches its end, and the page
says what was imported; a reload finds the job again. A file with one bad cell writes
nothing and lists the cell. axe-core checks the job page."""

from __future__ import annotations

import time

import pytest

from tests.browser.support import DESKTOP, axe_violations, screenshot, sign_in
from tests.test_exchange_import import _csv, _rows

pytestmark = pytest.mark.browser
ROWS = 20_000


def _upload(page, base: str, name: str, data: bytes) -> None:
    page.goto(f"{base}/imports")
    page.set_input_files(
        "#import-file", files=[{"name": name, "mimeType": "text/csv", "buffer": data}]
    )
    page.click("form.import-form button[type=submit]")
    page.wait_for_url("**/jobs/*")


def _watch(page, timeout: float = 240) -> list[tuple[float, float]]:
    """The bar's (value, max) each time it changed, until the job finished."""
    seen: list[tuple[float, float]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = page.get_attribute("#job-status", "data-state")
        bar = page.evaluate(
            "() => { const p = document.querySelector('#job-progress');"
            " return p && p.hasAttribute('value') ? [p.value, p.max] : null; }"
        )
        if bar and (not seen or tuple(bar) != seen[-1]):
            seen.append(tuple(bar))
        if state not in ("queued", "running"):
            return seen
        page.wait_for_timeout(150)
    raise AssertionError(f"the job did not finish in {timeout} s; bar went {seen}")


def test_a_large_import_shows_its_progress_to_the_end(browser, live_server):
    page = browser.new_context(viewport=DESKTOP).new_page()
    sign_in(page, live_server, "fp.mkd")
    _upload(page, live_server, "large.csv", _csv(_rows(ROWS, prefix="large")))
    job_url = page.url
    seen = _watch(page)
    screenshot(page, "import-progress-done")
    assert page.get_attribute("#job-status", "data-state") == "done", page.inner_text("main")
    assert seen[-1] == (2 * ROWS, 2 * ROWS), seen  # checked + written, at the end
    assert any(0 < value < maximum for value, maximum in seen), seen  # it moved on the way
    text = page.inner_text("#job-status")
    assert "20,000 new activities imported" in text
    assert "20,000 of 20,000" in text
    assert axe_violations(page) == []
    # a reload (or another tab) finds the finished job again
    page.goto(job_url)
    assert "20,000 new activities imported" in page.inner_text("#job-status")
    assert page.evaluate("() => document.querySelector('#job-progress').value") == 2 * ROWS


def test_a_file_with_one_bad_cell_writes_nothing_and_lists_it(browser, live_server):
    page = browser.new_context(viewport=DESKTOP).new_page()
    sign_in(page, live_server, "fp.mkd")
    rows = _rows(5_000, prefix="broken")
    rows[4321]["start"] = "2016-02-30"
    _upload(page, live_server, "broken.csv", _csv(rows))
    _watch(page)
    screenshot(page, "import-progress-bad-cell")
    assert page.get_attribute("#job-status", "data-state") == "failed"
    text = page.inner_text("#job-status")
    assert "Nothing was imported" in text
    cells = page.locator("table.import-errors tbody tr")
    assert cells.count() == 1
    assert "4323" in cells.first.inner_text() and "start" in cells.first.inner_text()
    assert page.inner_text("[data-count=written]").startswith("0 of")
    assert axe_violations(page) == []
    # nothing of the file is stored: its good rows are not in the list either
    page.goto(f"{live_server}/activities?mission=MKD&q=Training+4320+for+border")
    assert "No activities match these filters" in page.inner_text("main")


def test_the_regional_report_and_an_export_run_as_jobs(browser, live_server):
    """The CPC desk writes the regional report as .docx and starts a large export from the
    pages; each job's page ends with its download. axe-core checks the pages."""
    page = browser.new_context(viewport=DESKTOP).new_page()
    sign_in(page, live_server, "cpc")
    page.goto(f"{live_server}/report?from=2015-08&to=2016-06")
    assert axe_violations(page) == []
    page.click("form[action='/jobs/report'] button")
    page.wait_for_url("**/jobs/*")
    _watch(page)
    assert page.get_attribute("#job-status", "data-state") == "done"
    assert page.locator("a[href$='/download']").inner_text().endswith("regional.docx")
    assert axe_violations(page) == []
    page.goto(f"{live_server}/imports")
    page.fill("#job-from", "2016-13")
    page.click("form[action='/jobs/export'] button[type=submit]")
    assert page.locator("#job-from-error").is_visible()  # on the page, next to the field
    assert page.input_value("#job-from") == "2016-13"
    assert axe_violations(page) == []
    page.fill("#job-from", "2015-08")
    page.select_option("#job-format", "xlsx")
    page.click("form[action='/jobs/export'] button[type=submit]")
    page.wait_for_url("**/jobs/*")
    _watch(page)
    assert page.get_attribute("#job-status", "data-state") == "done"
    assert "fieldlog-activities.xlsx" in page.inner_text("#job-status")
    page.goto(f"{live_server}/jobs")
    assert page.locator("table a[href^='/jobs/']").count() == 2
    assert axe_violations(page) == []
