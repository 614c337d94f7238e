"""The trainings chart in a real browser: people whose sex was not recorded are drawn as a
part of their own, never as zero women (the seeded Skopje trainings recorded neither)."""

from __future__ import annotations

import json

import pytest

from tests.browser.support import DESKTOP, sign_in

pytestmark = pytest.mark.browser


def test_the_trainings_chart_draws_not_recorded_as_its_own_part(browser, live_server):
    page = browser.new_context(viewport=DESKTOP).new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    sign_in(page, live_server, "hom.mkd")
    page.goto(f"{live_server}/missions/MKD")
    page.wait_for_load_state("networkidle")
    data = json.loads(page.locator("#trainings-data").text_content() or "{}")
    assert data["groups"] and sum(data["not_recorded"]) > 0
    assert sum(data["women"]) + sum(data["men"]) == 0  # the study gives no women or men
    chart = page.locator("#trainings svg")
    assert chart.count() == 1
    legend = chart.inner_html()
    for part in ("Women", "Men", "Not recorded"):
        assert part in legend, part
    headline = page.locator("ul.headline").inner_text()
    assert "women and men not recorded" in headline
    assert not errors, errors
