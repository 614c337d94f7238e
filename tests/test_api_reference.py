"""Reference data, the mission summary, the comparison, and the operational routes."""

from __future__ import annotations

from datetime import date

from app.partial_dates import PartialDate
from app.vocab import ActivityType, ResponseArea, Theme
from tests.support import all_activities, run_cases

API = "/api/v1"
SIX = ["ALB", "BIH", "KOS", "MKD", "MNE", "SRB"]
FOCAL_POINT_SINCE = {
    "ALB": "2012",
    "BIH": None,
    "KOS": None,
    "MKD": "2015-08",
    "MNE": None,
    "SRB": "2015",  # "early 2015": the year, not a quarter
}
LEADERS, OTHERS = ("SRB", "MKD"), ("ALB", "BIH", "KOS", "MNE")


def get(client, path: str, **params):
    response = client.get(path, params=params)
    assert response.status_code == 200, f"{path} {params}: {response.text[:300]}"
    return response.json()


def count(client, **params) -> int:
    """How many activities the list API finds for these filters."""
    return get(client, f"{API}/activities", limit=1, **params)["total"]


def assert_not_found(response) -> None:
    assert response.status_code == 404, response.text
    assert response.headers["content-type"].startswith("application/json")
    [error] = response.json()["detail"]
    assert error["type"] == "not_found" and error["msg"]


# --- missions --------------------------------------------------------------------------------


def test_missions_lists_the_six_with_their_migration_focal_point(client):
    missions = get(client, f"{API}/missions")
    assert [m["code"] for m in missions] == SIX
    assert {m["code"]: m["migration_focal_point_since"] for m in missions} == FOCAL_POINT_SINCE
    for m in missions:
        assert m["name"].startswith("OSCE ")
        assert m["host_country"] and m["hq_city"] and m["mandate_summary"]
        assert m["source"].startswith("001 §")


def test_one_mission_by_code_in_any_case(client):
    for code in ("MKD", "mkd", "Mkd"):
        mission = get(client, f"{API}/missions/{code}")
        assert mission["code"] == "MKD"
        assert mission["name"] == "OSCE Mission to Skopje"
        assert mission["migration_focal_point_since"] == "2015-08"
    assert get(client, f"{API}/missions/alb")["migration_focal_point_since"] == "2012"
    assert get(client, f"{API}/missions/kos")["migration_focal_point_since"] is None


def test_an_unknown_mission_answers_404_json(client):
    for path in (
        f"{API}/missions/XYZ",
        f"{API}/missions/XYZ/summary",
        f"{API}/locations?mission=XYZ",
        f"{API}/focal-points?mission=XYZ",
        f"{API}/projects?mission=XYZ",
    ):
        assert_not_found(client.get(path))


# --- reference lists -------------------------------------------------------------------------


def test_locations_all_and_per_mission(client):
    everywhere = get(client, f"{API}/locations")
    assert len(everywhere) >= 15
    assert [loc["name"] for loc in everywhere] == sorted(loc["name"] for loc in everywhere)
    codes = {loc["code"] for loc in everywhere}
    assert {"gevgelija", "tabanovce", "presevo-one-stop-centre", "brcko"} <= codes
    for loc in everywhere:
        assert loc["kind"] and loc["country"]
        if loc["latitude"] is not None:
            assert -90 <= loc["latitude"] <= 90 and -180 <= loc["longitude"] <= 180

    mkd = get(client, f"{API}/locations", mission="mkd")
    assert {loc["mission"] for loc in mkd} == {"MKD"}
    assert {"gevgelija", "tabanovce"} <= {loc["code"] for loc in mkd}
    assert [loc for loc in everywhere if loc["mission"] == "MKD"] == mkd
    srb = get(client, f"{API}/locations", mission="SRB")
    assert "gevgelija" not in {loc["code"] for loc in srb}
    assert "bujanovac-office" in {loc["code"] for loc in srb}


def test_partners(client):
    partners = get(client, f"{API}/partners")
    assert len(partners) >= 15
    by_code = {p["code"]: p for p in partners}
    assert by_code["unhcr"]["kind"] == "un_agency"
    assert by_code["odihr"]["kind"] == "osce_structure"
    assert all(p["name"] and p["kind"] for p in partners)
    assert len(by_code) == len(partners)


def test_focal_points_all_and_per_mission(client):
    everyone = get(client, f"{API}/focal-points")
    assert {fp["mission"] for fp in everyone} <= set(SIX)
    migration = {fp["mission"]: fp["start"] for fp in everyone if fp["area"] == "migration"}
    assert migration == {k: v for k, v in FOCAL_POINT_SINCE.items() if v}

    mkd = get(client, f"{API}/focal-points", mission="MKD")
    assert {(fp["area"], fp["start"]) for fp in mkd} == {
        ("migration", "2015-08"),
        ("police", "2015"),
    }
    assert get(client, f"{API}/focal-points", mission="BIH") == []
    assert get(client, f"{API}/focal-points", mission="MNE") == []
    kosovo = get(client, f"{API}/focal-points", mission="KOS")
    assert [fp["area"] for fp in kosovo] == ["second_dimension"]


def test_projects_all_and_per_mission(client):
    projects = get(client, f"{API}/projects")
    assert len(projects) >= 5
    assert all(p["funding"] in ("unified_budget", "extra_budgetary") for p in projects)
    mkd = get(client, f"{API}/projects", mission="MKD")
    assert mkd and {p["mission"] for p in mkd} == {"MKD"}
    assert [p for p in projects if p["mission"] == "MKD"] == mkd


def test_developments_all_and_per_country(client):
    developments = get(client, f"{API}/developments")
    assert len(developments) >= 8
    starts = [PartialDate.parse(d["date"]).start for d in developments]
    assert starts == sorted(starts)
    assert all(d["source"] and d["provenance"] == "study" for d in developments)

    serbia = get(client, f"{API}/developments", country="Serbia")
    assert {d["country"] for d in serbia} == {"Serbia", "Western Balkans"}
    assert "horgos-incidents" in {d["code"] for d in serbia}
    assert [d for d in developments if d["country"] in ("Serbia", "Western Balkans")] == serbia
    regional = [d for d in developments if d["country"] == "Western Balkans"]
    assert get(client, f"{API}/developments", country="Atlantis") == regional


# --- mission summary -------------------------------------------------------------------------

PERIODS = [
    ("MKD-crisis-winter", "MKD", {"from": "2015-11", "to": "2016-02"}),
    ("MKD-all-time", "MKD", {}),
    ("SRB-2016", "SRB", {"from": "2016", "to": "2016"}),
    ("ALB-from-2016-Q3", "ALB", {"from": "2016-Q3"}),
    ("MNE-until-2015", "MNE", {"to": "2015-12-31"}),
]


def test_summary_figures_agree_with_the_activity_list(client):
    def check(code, period):
        summary = get(client, f"{API}/missions/{code}/summary", **period)
        assert summary["mission"] == code
        assert summary["migration_focal_point_since"] == FOCAL_POINT_SINCE[code]
        first = PartialDate.parse(period["from"]).start if "from" in period else None
        last = PartialDate.parse(period["to"]).end if "to" in period else None
        assert summary["period"] == {
            "start": first.isoformat() if first else None,
            "end": last.isoformat() if last else None,
        }
        # the headline counts approved records; the rest is counted apart
        scope = {"mission": code, "status": "approved", **period}
        head = summary["headline"]
        assert head["activities"] == count(client, **scope)
        assert head["monitoring_visits"] == count(client, type="monitoring_visit", **scope)
        assert head["reports"] == count(client, type="report", **scope)
        assert head["meetings"] == count(client, type="meeting", **scope)
        assert set(summary["by_type"]) == set(ActivityType.values())
        assert set(summary["by_area"]) == set(ResponseArea.values())
        items = all_activities(client, **scope)
        assert len(items) == head["activities"]
        for activity_type, n in summary["by_type"].items():
            assert n == sum(a["type"] == activity_type for a in items), activity_type
        for area, n in summary["by_area"].items():
            assert n == sum(a["response_area"] == area for a in items), area
        assert summary["by_area"]["monitoring"] == count(client, area="monitoring", **scope)
        assert sum(summary["by_type"].values()) == head["activities"]

        trainings = [a for a in items if a["type"] == "training" and a["mission"] == code]
        assert head["participants_trained"] == sum(a["participants_total"] or 0 for a in trainings)
        split = [a for a in trainings if a["participants_women"] is not None]
        assert head["participants_women"] == sum(a["participants_women"] for a in split)
        # the latest month with an approved record known to the month (or the day)
        last_start = max(
            (
                PartialDate.parse(a["start"]).start
                for a in items
                if PartialDate.parse(a["start"]).precision in ("day", "month")
            ),
            default=None,
        )
        last_activity = head["last_activity"]
        if last_start is None:
            assert last_activity is None
        else:
            # the latest month with an activity, read from the monthly aggregates
            assert PartialDate.parse(last_activity).start == last_start.replace(day=1)
            assert PartialDate.parse(last_activity).precision == "month"

    run_cases(PERIODS, check)


def test_summary_counts_a_new_joint_training_for_both_missions_and_people_once(client):
    period = {"from": "2016-03", "to": "2016-03"}

    def summaries():
        return {
            code: get(client, f"{API}/missions/{code}/summary", **period)
            for code in ("MKD", "SRB", "ALB")
        }

    before = summaries()
    body = {
        "mission": "MKD",
        "other_missions": ["SRB"],
        "type": "training",
        "title": "Summary test training",
        "start": "2016-03-20",
        "dimension": "politico_military",
        "response_area": "policing_crime",
        "participants_total": 20,
        "participants_women": 5,
    }
    created = client.post(f"{API}/activities", json=body)
    assert created.status_code == 201
    approve = {"version": created.json()["version"]}
    record = client.post(f"{API}/activities/{created.json()['id']}/submit", json=approve).json()
    approved = client.post(
        f"{API}/activities/{record['id']}/approve", json={"version": record["version"]}
    )
    assert approved.status_code == 200, approved.text  # the headline counts approved records
    after = summaries()

    def delta(code, *path):
        old, new = before[code], after[code]
        for key in path:
            old, new = old[key], new[key]
        return new - old

    for code in ("MKD", "SRB"):
        assert delta(code, "headline", "activities") == 1
        assert delta(code, "by_type", "training") == 1
        assert delta(code, "by_area", "policing_crime") == 1
    # people trained count once, for the lead mission
    assert delta("MKD", "headline", "participants_trained") == 20
    assert delta("MKD", "headline", "participants_women") == 5
    assert delta("SRB", "headline", "participants_trained") == 0
    assert after["ALB"] == before["ALB"]


def test_summary_refuses_a_bad_period(client):
    for params, loc in (({"from": "2015-13"}, "from"), ({"to": "soon"}, "to")):
        response = client.get(f"{API}/missions/MKD/summary", params=params)
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["query", loc]


# --- comparison ------------------------------------------------------------------------------


def test_serbia_and_skopje_lead_on_monitoring_and_reporting(client):
    comparison = get(client, f"{API}/compare")
    assert comparison["axis"] == "area"
    assert comparison["columns"] == ResponseArea.values()
    rows = {row["mission"]: row for row in comparison["rows"]}
    assert sorted(rows) == SIX
    for column in ("monitoring", "reporting_liaising"):
        for leader in LEADERS:
            for other in OTHERS:
                assert rows[leader]["cells"][column] > rows[other]["cells"][column], (
                    column,
                    leader,
                    other,
                )


def test_comparison_shows_when_each_mission_got_a_migration_focal_point(client):
    rows = {row["mission"]: row for row in get(client, f"{API}/compare")["rows"]}
    assert {code: row["migration_focal_point_since"] for code, row in rows.items()} == (
        FOCAL_POINT_SINCE
    )
    for code in ("KOS", "BIH", "MNE"):
        assert rows[code]["migration_focal_point_since"] is None
    assert rows["ALB"]["migration_focal_point_since"] == "2012"


AXES = [
    ("area", "area", ResponseArea.values()),
    ("type", "type", ActivityType.values()),
    ("theme", "theme", Theme.values()),
]


def test_each_axis_switches_the_columns_and_its_cells_match_the_list(client):
    period = {"from": "2015", "to": "2016"}
    items = {code: all_activities(client, mission=code, **period) for code in SIX}
    value_of = {
        "area": lambda a: [a["response_area"]],
        "type": lambda a: [a["type"]],
        "theme": lambda a: a["themes"],
    }

    def check(axis, columns):
        comparison = get(client, f"{API}/compare", axis=axis, **period)
        assert comparison["axis"] == axis
        assert comparison["columns"] == columns
        assert [row["mission"] for row in comparison["rows"]] == SIX
        for row in comparison["rows"]:
            assert list(row["cells"]) == columns
            expected = dict.fromkeys(columns, 0)
            for activity in items[row["mission"]]:
                for column in value_of[axis](activity):
                    expected[column] += 1
            assert row["cells"] == expected, row["mission"]

    run_cases(AXES, check)
    # and one cell per axis straight from the list's own filter
    assert (
        count(client, mission="MKD", theme="border_management", **period)
        == get(client, f"{API}/compare", axis="theme", **period)["rows"][SIX.index("MKD")]["cells"][
            "border_management"
        ]
    )


def test_headline_is_the_same_whatever_the_axis(client):
    headlines = {
        axis: {
            row["mission"]: row["headline"]
            for row in get(client, f"{API}/compare", axis=axis)["rows"]
        }
        for axis in ("area", "type", "theme")
    }
    assert headlines["area"] == headlines["type"] == headlines["theme"]
    for code, head in headlines["area"].items():
        assert head["activities"] == count(client, mission=code)


def test_theme_and_dimension_filters_reduce_the_counts(client):
    def cells(**params):
        rows = get(client, f"{API}/compare", **params)["rows"]
        return {row["mission"]: row["cells"] for row in rows}

    everything = cells()
    for params in ({"theme": "border_management"}, {"dimension": "human"}):
        filtered = cells(**params)
        assert sum(map(sum, (c.values() for c in filtered.values()))) < sum(
            map(sum, (c.values() for c in everything.values()))
        ), params
        for code in SIX:
            for column, n in filtered[code].items():
                assert n <= everything[code][column], (params, code, column)
    by_theme = cells(theme="border_management")
    for code in SIX:
        for area, n in by_theme[code].items():
            assert n == count(client, mission=code, area=area, theme="border_management")

    only_theme = get(client, f"{API}/compare", axis="theme", theme="asylum")
    assert only_theme["theme"] == "asylum"
    for row in only_theme["rows"]:
        assert {k for k, v in row["cells"].items() if v} <= {"asylum"}


def test_comparison_period_narrows_the_counts(client):
    crisis = get(client, f"{API}/compare", **{"from": "2015-11", "to": "2016-02"})
    assert crisis["period"] == {"start": "2015-11-01", "end": "2016-02-29"}
    for row in crisis["rows"]:
        assert row["headline"]["activities"] == count(
            client, mission=row["mission"], **{"from": "2015-11", "to": "2016-02"}
        )


def test_joint_activities_are_listed_with_every_mission(client):
    joint = get(client, f"{API}/compare")["joint_activities"]
    assert joint
    for activity in joint:
        assert len(activity["missions"]) >= 2
        assert len(set(activity["missions"])) == len(activity["missions"])
    visit = [a for a in joint if "Preševo" in a["title"] and "Tabanovce" in a["title"]]
    assert len(visit) == 1
    assert visit[0]["missions"] == ["SRB", "MKD"]
    assert visit[0]["start"] == "2015-11"
    assert len({a["id"] for a in joint}) == len(joint)
    assert all(PartialDate.parse(a["start"]).start >= date(2014, 1, 1) for a in joint)


def test_comparison_refuses_bad_parameters(client):
    for params, loc in (
        ({"axis": "colour"}, "axis"),
        ({"theme": "cooking"}, "theme"),
        ({"dimension": "fifth"}, "dimension"),
        ({"from": "garbage"}, "from"),
        ({"to": "2016-02-30"}, "to"),
    ):
        response = client.get(f"{API}/compare", params=params)
        assert response.status_code == 422, params
        assert response.json()["detail"][0]["loc"] == ["query", loc]


# --- operations ------------------------------------------------------------------------------


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_docs_and_openapi(client):
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert "swagger" in docs.text.lower()
    schema = get(client, "/openapi.json")
    assert schema["info"]["title"] == "FieldLog"
    for path in (
        "/api/v1/activities",
        "/api/v1/activities/{activity_id}",
        "/api/v1/activities/{activity_id}/history",
        "/api/v1/missions",
        "/api/v1/missions/{code}",
        "/api/v1/missions/{code}/summary",
        "/api/v1/locations",
        "/api/v1/partners",
        "/api/v1/focal-points",
        "/api/v1/projects",
        "/api/v1/developments",
        "/api/v1/compare",
    ):
        assert path in schema["paths"], path
