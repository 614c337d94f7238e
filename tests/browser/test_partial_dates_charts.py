"""The charts draw a record known only to its year or quarter apart ("2015, month
unknown"), never in January: read the ECharts option behind the Skopje dashboard and the
comparison for 2015–2016 and compare January with the records dated to January."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.activities.models import Activity, activity_other_missions
from app.db import make_engine
from app.missions.models import Mission
from tests.browser.support import DESKTOP, PHONE, axe_violations, screenshot, sign_in

pytestmark = pytest.mark.browser

OPTION = "id => echarts.getInstanceByDom(document.getElementById(id)).getOption()"


def _dated_to(url: str, code: str, start, end, precisions) -> int:
    """Approved records led by or involving `code` with a start in [start, end] and one of
    `precisions`, counted from the database the server was copied from."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            mission_id = conn.scalar(select(Mission.id).where(Mission.code == code))
            joint = select(activity_other_missions.c.activity_id).where(
                activity_other_missions.c.mission_id == mission_id
            )
            return conn.scalar(
                select(func.count()).where(
                    Activity.status == "approved",
                    Activity.start_date >= start,
                    Activity.start_date <= end,
                    Activity.start_precision.in_(precisions),
                    (Activity.mission_id == mission_id) | Activity.id.in_(joint),
                )
            )
    finally:
        engine.dispose()


def _month_total(option: dict, month: str) -> int:
    """The chart's value for `month` summed over the series drawn on the months axis."""
    months = option["xAxis"][0]["data"]
    if month not in months:
        return 0
    i = months.index(month)
    return sum(s["data"][i] or 0 for s in option["series"] if s.get("xAxisIndex", 0) == 0)


def test_no_january_spike_from_year_only_records(browser, live_server, sqlite_template):
    from datetime import date

    page = browser.new_context(viewport=DESKTOP).new_page()
    sign_in(page, live_server, "cpc")
    year_only_2015 = {}
    for code in ("MKD", "SRB"):
        year_only_2015[code] = _dated_to(
            sqlite_template, code, date(2015, 1, 1), date(2015, 1, 1), ("year", "quarter")
        )
    assert year_only_2015["SRB"] + year_only_2015["MKD"] > 0, (
        "the seeds date some records only to 2015"
    )

    # the Skopje dashboard
    page.goto(f"{live_server}/missions/MKD?from=2015&to=2016")
    page.wait_for_function("() => echarts.getInstanceByDom(document.getElementById('by-month'))")
    option = page.evaluate(OPTION, "by-month")
    january = _dated_to(
        sqlite_template, "MKD", date(2015, 1, 1), date(2015, 1, 31), ("day", "month")
    )
    assert _month_total(option, "2015-01") == january
    if year_only_2015["MKD"]:
        assert "2015" in option["xAxis"][1]["data"]
        assert option["xAxis"][1]["name"] == "month unknown"

    # the comparison: Serbia's January 2015 holds only what is dated to January
    page.goto(f"{live_server}/compare?from=2015&to=2016")
    page.wait_for_function("() => echarts.getInstanceByDom(document.getElementById('per-mission'))")
    option = page.evaluate(OPTION, "per-mission")
    months = option["xAxis"][0]["data"]
    srb = next(s for s in option["series"] if s["name"] == "SRB" and s.get("xAxisIndex", 0) == 0)
    srb_january = srb["data"][months.index("2015-01")] if "2015-01" in months else 0
    assert srb_january == _dated_to(
        sqlite_template, "SRB", date(2015, 1, 1), date(2015, 1, 31), ("day", "month")
    )
    unknown = [s for s in option["series"] if s.get("xAxisIndex") == 1]
    if year_only_2015["SRB"]:
        labels = option["xAxis"][1]["data"]
        srb_unknown = next(s for s in unknown if s["name"] == "SRB")
        assert srb_unknown["data"][labels.index("2015")] >= 1


@pytest.mark.parametrize("viewport_name", ["desktop", "phone"])
def test_dashboard_and_comparison_read_well_and_pass_axe(browser, live_server, viewport_name):
    viewport = {"desktop": DESKTOP, "phone": PHONE}[viewport_name]
    page = browser.new_context(viewport=viewport).new_page()
    sign_in(page, live_server, "hom.mkd")
    for name, url, chart in (
        ("dashboard", "/missions/MKD?from=2015&to=2016", "visits"),
        ("compare", "/compare?from=2015&to=2016", "per-mission"),
    ):
        page.goto(live_server + url)
        page.wait_for_function(
            f"() => echarts.getInstanceByDom(document.getElementById('{chart}'))"
        )
        screenshot(page, f"dashtruth-{name}-{viewport_name}")
        violations = axe_violations(page)
        assert not violations, f"{name} ({viewport_name}): {violations}"
        if name == "dashboard":
            # heatmap: every row label whole (broken over lines, never cut off with "…")
            option = page.evaluate(OPTION, "visits")
            assert option["yAxis"][0]["axisLabel"]["overflow"] == "break"
            assert all(p["label"] for p in option["visualMap"][0]["pieces"])  # legend numbers
            svg_text = page.inner_text("#visits")
            assert "…" not in svg_text and "..." not in svg_text
        else:
            assert page.locator(".matrix tfoot").count() == 1  # the column scales, in numbers
            assert "reconstructed" in page.inner_text("main")
