"""The short activity form in a real browser, on a phone: a focal point logs a monitoring visit
at a known place with observations and an alert in no more than 12 taps besides typing, and
the Save button is within two phone screens of the type; choosing a type presets the usual
dimension, response area and themes without undoing the person's own choice; every date
precision saves its partial date and an edit shows it back; "Log another like this" starts a
new draft from a record. axe-core checks the reworked form."""

from __future__ import annotations

import re

import pytest

from tests.browser.support import DESKTOP, axe_violations, screenshot, sign_in

pytestmark = pytest.mark.browser
PHONE = {"width": 360, "height": 780}
MAX_TAPS = 12
TITLE = "PDU visit to Gevgelija: families waiting in the rain"
OBSERVATIONS = "About 300 people waiting at the fence; no shelter; two buses late."


def _phone(browser, **options):
    return browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, **options).new_page()


class Taps:
    """Every tap the person makes, counted. Typing is not a tap, but getting into a field to
    type is: `type` counts one tap for it. A native <select> on a phone is two taps (open the
    list, pick)."""

    def __init__(self, page) -> None:
        self.page = page
        self.log: list[str] = []

    @property
    def count(self) -> int:
        return len(self.log)

    def tap(self, selector: str) -> None:
        self.page.locator(selector).first.tap()
        self.log.append(selector)

    def type(self, selector: str, text: str) -> None:
        field = self.page.locator(selector)
        field.tap()
        self.log.append(f"into {selector}")
        field.fill(text)

    def choose(self, selector: str, value: str) -> None:
        self.page.select_option(selector, value)
        self.log += [f"open {selector}", f"pick {value}"]


def _top_and_bottom(page, selector: str) -> tuple[float, float]:
    """A control's top and bottom in page coordinates (not the viewport's)."""
    box = page.eval_on_selector(
        selector,
        "e => { const r = e.getBoundingClientRect();"
        " return [r.top + window.scrollY, r.bottom + window.scrollY]; }",
    )
    return box[0], box[1]


def test_a_monitoring_visit_is_logged_in_at_most_12_taps_and_two_screens(browser, live_server):
    base = live_server
    page = _phone(browser)
    sign_in(page, base, "fp.mkd")
    assert page.url.endswith("/my-work"), page.url
    taps = Taps(page)

    taps.tap("a.log-button:has-text('Log an activity')")
    page.wait_for_url("**/activities/new")
    taps.tap("label[for=f-type-monitoring_visit]")
    # the type's own fields are on the page now: from the type to Save is at most two screens
    _, type_bottom = _top_and_bottom(page, "#f-type")
    save_top, _ = _top_and_bottom(page, "[data-save]")
    scroll = save_top - type_bottom
    screenshot(page, "short-form-visit-phone")
    screens = scroll / PHONE["height"]
    print(f"\nfrom the type's bottom to Save's top: {scroll:.0f} px = {screens:.2f} phone screens")
    assert scroll <= 2 * PHONE["height"], f"{scroll:.0f} px: more than two screens of scrolling"

    taps.type("#f-start-day", "2016-03-09")
    taps.type("#filter-locations", "Gevgelija")
    taps.tap("label[for=f-locations-gevgelija]")
    taps.type("#f-title", TITLE)
    taps.type("#f-observations", OBSERVATIONS)
    taps.choose("#f-alert_level", "elevated")
    taps.tap("[data-save]")
    page.wait_for_url(re.compile(r"/activities/\d+\?done=created$"))
    print(f"taps: {taps.count}: {taps.log}")
    assert taps.count <= MAX_TAPS, taps.log

    details = page.locator("main").inner_text()
    for shown in (
        TITLE,
        OBSERVATIONS,
        "Monitoring visit",
        "9 Mar 2016",
        "Gevgelija",
        "Elevated",
        # the type's presets, saved untouched
        "Politico-military",
        "Border management, Early warning",
    ):
        assert shown in details, shown
    assert "Monitoring" in page.locator("dd", has_text="Monitoring").first.inner_text()


def test_choosing_a_type_presets_what_is_usual_and_keeps_what_the_person_chose(
    browser, live_server
):
    page = _phone(browser)
    sign_in(page, live_server, "fp.mkd")
    page.goto(f"{live_server}/activities/new")
    page.locator("details[data-section=classification] > summary").click()
    page.select_option("#f-dimension", "economic_environmental")  # the person's own choice
    page.locator("label[for=f-type-training]").click()
    assert page.input_value("#f-dimension") == "economic_environmental", "the choice is kept"
    assert page.input_value("#f-response_area") == "local_governance"
    themes = page.locator("input[name=themes]:checked")
    assert sorted(themes.evaluate_all("els => els.map(e => e.value)")) == [
        "anti_smuggling",
        "anti_trafficking",
        "protection_human_rights",
    ]
    # another type: what the table filled follows it; the person's choice still stays
    page.locator("label[for=f-type-meeting]").click()
    assert page.input_value("#f-dimension") == "economic_environmental"
    assert page.input_value("#f-response_area") == "reporting_liaising"
    assert themes.evaluate_all("els => els.map(e => e.value)") == ["regional_cooperation"]
    # a theme the person ticks is theirs: a change of type leaves the themes alone
    page.locator("#f-themes-gender").check()
    page.locator("label[for=f-type-report]").click()
    assert sorted(themes.evaluate_all("els => els.map(e => e.value)")) == [
        "gender",
        "regional_cooperation",
    ]
    assert page.input_value("#f-response_area") == "reporting_liaising"
    summary = page.locator("[data-preset-summary]").inner_text()
    assert "Economic-environmental" in summary and "2 themes" in summary


@pytest.mark.parametrize(
    ("precision", "fill", "saved", "shown"),
    [
        ("day", {"#f-start-day": "2016-03-02"}, "2016-03-02", "2 Mar 2016"),
        ("month", {"#f-start-month": "2016-03"}, "2016-03", "Mar 2016"),
        ("quarter", {"#f-start-year": "2016", "#f-start-quarter": "1"}, "2016-Q1", "Q1 2016"),
        ("year", {"#f-start-year": "2016"}, "2016", "2016"),
    ],
)
def test_each_date_precision_saves_its_partial_date_and_an_edit_shows_it(
    browser, live_server, precision, fill, saved, shown
):
    page = _phone(browser)
    sign_in(page, live_server, "fp.mkd")
    page.goto(f"{live_server}/activities/new?type=meeting")
    page.fill("#f-title", f"Meeting known to the {precision}")
    page.locator(f"label[for=f-start-precision-{precision}]").click()
    visible = page.locator("#f-start .date-part:visible [data-part]")
    assert sorted(visible.evaluate_all("els => els.map(e => e.dataset.part)")) == sorted(
        selector.rsplit("-", 1)[1] for selector in fill
    ), "only the inputs of the chosen precision show"
    for selector, value in fill.items():
        if selector.endswith("quarter"):
            page.select_option(selector, value)
        else:
            page.fill(selector, value)
    page.click("[data-save]")
    page.wait_for_load_state()
    assert re.search(r"/activities/(\d+)\?done=created$", page.url), page.url
    activity_id = re.search(r"/activities/(\d+)", page.url).group(1)
    assert shown in page.locator("dl.fields").first.inner_text()
    record = page.request.get(f"{live_server}/api/v1/activities/{activity_id}").json()
    assert record["start"] == saved

    page.goto(f"{live_server}/activities/{activity_id}/edit")
    assert page.is_checked(f"#f-start-precision-{precision}")
    for selector, value in fill.items():
        assert page.input_value(selector) == value, selector


def test_log_another_like_this_copies_type_place_and_team_only(browser, live_server):
    page = _phone(browser)
    sign_in(page, live_server, "fp.mkd")
    page.goto(f"{live_server}/activities?mission=MKD&type=monitoring_visit&q=Gevgelija")
    page.locator("td.title-cell a").first.click()
    page.wait_for_load_state()
    source_id = re.search(r"/activities/(\d+)", page.url).group(1)
    source = page.request.get(f"{live_server}/api/v1/activities/{source_id}").json()
    assert source["team"] and source["locations"], source
    page.get_by_role("button", name="Log another like this").click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/activities/new?like={source_id}")
    assert page.is_checked("#f-type-monitoring_visit")
    for code in source["locations"]:
        assert page.is_checked(f"#f-locations-{code}"), code
    assert page.input_value("#f-team") == source["team"]
    assert page.input_value("#f-team_size") == str(source["team_size"] or "")
    # nothing else: no title, no date, no observations
    assert page.input_value("#f-title") == ""
    assert page.input_value("#f-start-day") == ""
    assert page.input_value("#f-observations") == ""
    page.fill("#f-title", "Next PDU visit to Gevgelija")
    page.fill("#f-start-day", "2016-04-02")
    page.click("[data-save]")
    page.wait_for_load_state()
    new_id = re.search(r"/activities/(\d+)\?done=created", page.url).group(1)
    record = page.request.get(f"{live_server}/api/v1/activities/{new_id}").json()
    assert record["type"] == "monitoring_visit" and record["locations"] == source["locations"]
    assert record["team"] == source["team"] and record["start"] == "2016-04-02"


@pytest.mark.parametrize("path", ["/activities/new?type=monitoring_visit", "edit"])
def test_the_short_form_has_no_serious_accessibility_violations(browser, live_server, path):
    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page = browser.new_context(viewport=viewport, bypass_csp=True).new_page()
        sign_in(page, live_server, "fp.mkd")
        if path == "edit":  # a record of this form, known to the quarter, opened to edit
            page.goto(f"{live_server}/activities/new?type=monitoring_visit")
            page.fill("#f-title", f"Visit to edit ({name})")
            page.locator("label[for=f-start-precision-quarter]").click()
            page.fill("#f-start-year", "2016")
            page.select_option("#f-start-quarter", "2")
            page.click("[data-save]")
            page.wait_for_url(re.compile(r"/activities/\d+\?done=created$"))
            page.get_by_role("button", name="Edit").click()
            page.wait_for_url(re.compile(r"/edit$"))
        else:
            page.goto(f"{live_server}{path}")
        page.wait_for_load_state("networkidle")
        for section in page.locator("details.more").all():
            section.evaluate("d => d.open = true")
        violations = axe_violations(page)
        assert not violations, f"{path} ({name}): {violations}"
        screenshot(page, f"short-form-{'edit' if path == 'edit' else 'new'}-{name}")
