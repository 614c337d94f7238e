"""The map of the field: the Skopje dashboard for 2015–2016 shows Gevgelija as the largest
circle, and a click on it opens the list of Gevgelija's records; axe-core passes on the
map pages; the location form's country select and click-to-place."""

from __future__ import annotations

import re

import pytest

from tests.browser.support import DESKTOP, axe_violations, screenshot, sign_in

pytestmark = pytest.mark.browser

# Every circle drawn, with its place and where it is on the canvas (the chart's own
# projection: convertToPixel on the geo component).
CIRCLES = """el => {
  const chart = echarts.getInstanceByDom(el);
  const out = [];
  chart.getOption().series.forEach(s => s.data.forEach(d => {
    const [x, y] = chart.convertToPixel({geoIndex: 0}, d.value.slice(0, 2));
    out.push({code: d.place.code, name: d.name, size: d.symbolSize, n: d.place.activities,
              x: x, y: y, href: d.place.href});
  }));
  return out;
}"""


def test_gevgelija_is_the_largest_circle_and_opens_its_records(browser, live_server):
    page = browser.new_context(viewport=DESKTOP).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("requestfailed", lambda r: errors.append(f"failed: {r.url}"))
    outside: list[str] = []
    page.on("request", lambda r: None if r.url.startswith(live_server) else outside.append(r.url))
    sign_in(page, live_server, "hom.mkd")
    page.goto(f"{live_server}/missions/MKD?from=2015-01-01&to=2016-12-31")
    page.wait_for_selector("#place-map[data-ready]", state="attached")
    canvas = page.locator("#place-map")
    canvas.scroll_into_view_if_needed()
    circles = canvas.evaluate(CIRCLES)
    largest = max(circles, key=lambda c: c["size"])
    assert largest["code"] == "gevgelija", circles
    assert largest["n"] == max(c["n"] for c in circles)
    assert sum(1 for c in circles if c["size"] == largest["size"]) == 1
    screenshot(page, "map-skopje-2015-2016")
    assert axe_violations(page) == []

    box = canvas.bounding_box()
    assert box and 0 < largest["x"] < box["width"] and 0 < largest["y"] < box["height"]
    page.mouse.click(box["x"] + largest["x"], box["y"] + largest["y"])
    page.wait_for_url(re.compile(r"/activities\?"))
    url = page.url
    for part in ("location=gevgelija", "mission=MKD", "status=approved", "from=2015-01-01"):
        assert part in url, url
    assert page.locator("select[name=location]").input_value() == "gevgelija"
    count = page.locator(".result-count strong").inner_text()
    assert re.sub(r"\D", "", count) == str(largest["n"]), count
    assert errors == [] and outside == []


def test_the_comparison_map_passes_axe_and_lists_its_figures(browser, live_server):
    page = browser.new_context(viewport=DESKTOP).new_page()
    sign_in(page, live_server, "cpc")
    page.goto(f"{live_server}/compare?from=2015-01-01&to=2016-12-31")
    page.wait_for_selector("#place-map[data-ready]", state="attached")
    circles = page.locator("#place-map").evaluate(CIRCLES)
    assert circles
    page.click("#place-map-table-summary")
    rows = page.locator("[data-place-table] tbody tr")
    assert rows.count() >= len(circles)
    first = rows.first.locator("td.num").first.inner_text()
    assert int(re.sub(r"\D", "", first)) == max(c["n"] for c in circles)
    assert axe_violations(page) == []


def test_the_location_form_places_the_point_by_a_click_and_lists_countries(browser, live_server):
    page = browser.new_context(viewport=DESKTOP).new_page()
    sign_in(page, live_server, "admin")
    page.goto(f"{live_server}/locations/new")
    page.wait_for_selector("#pick-map[data-ready]", state="attached")
    country = page.locator("select[name=country]")
    assert country.locator("option[value=XK]").inner_text() == "Kosovo"
    assert country.locator("option[value=MK]").inner_text() == "North Macedonia"
    assert axe_violations(page) == []

    # a click where Skopje is fills both fields with Skopje's coordinates
    pick = page.locator("#pick-map")
    pick.scroll_into_view_if_needed()
    x, y = pick.evaluate(
        "el => echarts.getInstanceByDom(el).convertToPixel({geoIndex: 0}, [21.43, 42.0])"
    )
    box = pick.bounding_box()
    assert box
    page.mouse.click(box["x"] + x, box["y"] + y)
    latitude = float(page.input_value("[name=latitude]"))
    longitude = float(page.input_value("[name=longitude]"))
    assert abs(latitude - 42.0) < 0.05 and abs(longitude - 21.43) < 0.05

    # typing still works, and moves the marker
    page.fill("[name=latitude]", "41.125")
    page.fill("[name=longitude]", "22.512")
    marker = pick.evaluate("el => echarts.getInstanceByDom(el).getOption().series[0].data[0].value")
    assert marker == [22.512, 41.125]

    page.fill("[name=code]", "gevgelija-annex")
    page.fill("[name=name]", "Gevgelija annex")
    page.select_option("select[name=kind]", index=1)
    country.select_option("MK")
    page.click(".form-page form button[type=submit]")
    page.wait_for_url(re.compile(r"/locations$"))
    assert "Gevgelija annex" in page.content()
    row = page.locator("tr", has_text="Gevgelija annex")
    assert "North Macedonia" in row.inner_text() and "41.125, 22.512" in row.inner_text()
