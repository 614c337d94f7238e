"""Notifications in a real browser: a focal point submits a record; the head of mission
sees the count in the navigation, opens /notifications, follows the notice to the record
and marks it read; the choice of mail per kind is saved. axe-core checks the page."""

from __future__ import annotations

import pytest

from tests.browser.support import DESKTOP, axe_violations, screenshot, sign_in

pytestmark = pytest.mark.browser
TITLE = "Meeting with the border police in Gevgelija"


def test_the_head_of_mission_is_told_of_a_record_waiting(browser, live_server):
    base = live_server
    fp = browser.new_context(viewport=DESKTOP).new_page()
    sign_in(fp, base, "fp.mkd")
    fp.goto(f"{base}/activities/new?type=meeting")
    fp.fill("#f-title", TITLE)
    fp.fill("#f-start-day", "2016-03-02")  # the meeting's dimension and area are preset
    fp.click("button:has-text('Save as draft')")
    fp.wait_for_load_state()
    fp.click("button:has-text('Submit for review')")
    fp.wait_for_load_state()

    hom = browser.new_context(viewport=DESKTOP).new_page()
    sign_in(hom, base, "hom.mkd")
    nav = hom.locator("nav[aria-label=Main]")
    assert "Notifications (1)" in nav.inner_text()
    nav.get_by_role("link", name="Notifications (1)").click()
    hom.wait_for_load_state()
    assert axe_violations(hom) == []
    screenshot(hom, "notifications")
    hom.get_by_role("button", name="Mark as read").first.click()
    hom.wait_for_load_state()
    assert "Notifications (1)" not in hom.locator("nav[aria-label=Main]").inner_text()
    hom.get_by_role("link", name=TITLE, exact=False).first.click()
    hom.wait_for_load_state()
    assert TITLE in hom.content() and "/activities/" in hom.url

    hom.goto(f"{base}/notifications")
    hom.locator("input[name=submitted][value=digest]").check()
    hom.click("button:has-text('Save')")
    hom.wait_for_load_state()
    assert "Saved." in hom.content()
    assert hom.locator("input[name=submitted][value=digest]").is_checked()
