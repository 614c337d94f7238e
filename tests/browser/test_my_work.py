"""My work in a real browser, on a phone: the head of mission returns a record with a
comment; the focal point finds it on their landing page with the comment, corrects it and
submits it again. axe-core checks the page."""

from __future__ import annotations

import re

import pytest

from tests.browser.support import DESKTOP, axe_violations, screenshot, sign_in

pytestmark = pytest.mark.browser
PHONE = {"width": 360, "height": 780}
TITLE = "Coordination meeting with UNHCR in Tabanovce"
COMMENT = "Name the organisations present."


def _phone(browser):
    return browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()


def test_a_returned_record_is_corrected_from_the_landing_page(browser, live_server):
    base = live_server
    # the focal point logs a meeting and submits it
    fp = _phone(browser)
    sign_in(fp, base, "fp.mkd")
    assert fp.url.endswith("/my-work"), fp.url
    fp.goto(f"{base}/activities/new?type=meeting")
    fp.fill("#f-title", TITLE)
    fp.fill("#f-start-day", "2016-03-02")
    # the type presets its dimension and response area
    assert fp.input_value("#f-dimension") == "cross_dimensional"
    assert fp.input_value("#f-response_area") == "reporting_liaising"
    fp.click("button:has-text('Save as draft')")
    fp.wait_for_load_state()
    fp.click("button:has-text('Submit for review')")
    fp.wait_for_load_state()
    assert "Submitted" in fp.content()

    # the head of mission finds it waiting on their landing page and returns it
    hom = browser.new_context(viewport=DESKTOP).new_page()
    sign_in(hom, base, "hom.mkd")
    assert hom.url.endswith("/my-work"), hom.url
    hom.locator("#to-review").get_by_role("link", name=TITLE).click()
    hom.wait_for_load_state()
    hom.fill("#return-comment", COMMENT)
    hom.click("button:has-text('Return with comment')")
    hom.wait_for_load_state()
    assert "Nothing else is waiting for review." in hom.content()

    # the focal point signs in again: the record is back on their landing page, with the comment
    fp.click("button:has-text('Sign out')")
    fp.wait_for_load_state()
    sign_in(fp, base, "fp.mkd")
    assert "My work (1)" in fp.locator("nav[aria-label=Main]").inner_text()
    assert "1 record returned" in fp.locator("#since-sign-in").inner_text()
    returned = fp.locator("#returned")
    assert TITLE in returned.inner_text() and COMMENT in returned.inner_text()
    screenshot(fp, "my-work-phone")
    returned.get_by_role("button", name=re.compile("^Correct it")).click()
    fp.wait_for_load_state()
    fp.fill("#f-organisations_present", "UNHCR, IOM, Red Cross")
    fp.click("button:has-text('Save changes')")
    fp.wait_for_load_state()
    fp.click("button:has-text('Submit for review')")
    fp.wait_for_load_state()

    fp.goto(f"{base}/my-work")
    assert TITLE not in fp.locator("#returned").inner_text()
    assert TITLE in fp.locator("#submitted").inner_text()


def test_my_work_has_no_serious_accessibility_violations(browser, live_server):
    for who in ("fp.mkd", "hom.mkd"):
        for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            page = browser.new_context(viewport=viewport, bypass_csp=True).new_page()
            sign_in(page, live_server, who)
            page.goto(f"{live_server}/my-work")
            page.wait_for_load_state("networkidle")
            violations = axe_violations(page)
            assert not violations, f"my work of {who} ({name}): {violations}"
