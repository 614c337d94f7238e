"""One query model per resource: the same filters and periods sent to a resource's page,
its JSON API and its export give the same answer, on both databases.

Each case is sent to every surface of the resource; each answer is read into an outcome:
("rows", titles) or ("period", first day, last day) when accepted, ("refused", fields) with
the parameters named (JSON `loc`, or the message next to the page's control) when not."""

from __future__ import annotations

import base64
import csv
import html
import io
import json
import re
from datetime import datetime

from app.partial_dates import PartialDate
from tests.support import run_cases


def forged_cursor(sort: str, value: str, row_id: int) -> str:
    raw = json.dumps({"s": sort, "v": value, "i": row_id}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def refused(*fields: str) -> tuple:
    return ("refused", frozenset(fields))


ROWS = "rows"

# (case id, query parameters, expected: ROWS or refused(field, ...), surfaces)
# Order, cursor and page size belong to the list (page and API), not to the export.
ALL, LIST = "page, API and export", "page and API"
ACTIVITY_CASES = [
    ("no filters", {"mission": "MKD", "type": "training"}, ROWS, ALL),
    ("year", {"mission": "mkd", "from": "2015", "to": "2015"}, ROWS, ALL),
    ("quarter", {"mission": "SRB", "from": "2015-Q4", "to": "2016-Q1"}, ROWS, ALL),
    ("quarter typed small", {"mission": "SRB", "from": "2015-q4", "to": "2016-q1"}, ROWS, ALL),
    ("month", {"type": "monitoring_visit", "from": "2015-11", "to": "2015-11"}, ROWS, ALL),
    ("day", {"mission": "MKD", "from": "2015-11-19", "to": "2015-12-31"}, ROWS, ALL),
    ("day to its own month", {"from": "2015-11-19", "to": "2015-11"}, ROWS, ALL),
    ("location", {"location": "gevgelija", "from": "2016"}, ROWS, ALL),
    ("theme and joint", {"theme": "anti_trafficking", "joint": "1"}, ROWS, ALL),
    ("words and area", {"q": "training", "area": "policing_crime"}, ROWS, ALL),
    ("status", {"status": "approved", "mission": "ALB"}, ROWS, ALL),
    ("blank fields as a form sends them", {"mission": "ALB", "type": "", "q": " "}, ROWS, ALL),
    ("end before start", {"from": "2016", "to": "2015"}, refused("to"), ALL),
    ("end month before start", {"from": "2015-12", "to": "2015-11-30"}, refused("to"), ALL),
    ("end before start quarter", {"from": "2015-Q4", "to": "2015-09"}, refused("to"), ALL),
    ("bad date", {"from": "garbage"}, refused("from"), ALL),
    ("no such month", {"to": "2015-13"}, refused("to"), ALL),
    ("no such day", {"from": "2015-02-30"}, refused("from"), ALL),
    ("unknown mission", {"mission": "XYZ"}, refused("mission"), ALL),
    ("mission code too long", {"mission": "MKDMKDMKD"}, refused("mission"), ALL),
    ("unknown type", {"type": "spaceship"}, refused("type"), ALL),
    ("unknown theme", {"theme": "x"}, refused("theme"), ALL),
    ("unknown location", {"location": "atlantis"}, refused("location"), ALL),
    ("unknown provenance", {"provenance": "rumour"}, refused("provenance"), ALL),
    ("search too long", {"q": "x" * 201}, refused("q"), ALL),
    ("two bad", {"type": "x", "from": "2016", "to": "2015"}, refused("type", "to"), ALL),
    ("order", {"mission": "MKD", "type": "training", "sort": "title"}, ROWS, LIST),
    ("unknown order", {"sort": "colour"}, refused("sort"), LIST),
    ("huge page size", {"limit": "99999999999"}, refused("limit"), LIST),
    ("page size 0", {"limit": "0"}, refused("limit"), LIST),
    ("page size not a number", {"limit": "lots"}, refused("limit"), LIST),
    ("bad cursor", {"cursor": "not-a-cursor"}, refused("cursor"), LIST),
    (
        "forged id",
        {"cursor": forged_cursor("-start", "2015-01-01", 2**31)},
        refused("cursor"),
        LIST,
    ),
    ("forged value", {"cursor": forged_cursor("-start", "soon", 1)}, refused("cursor"), LIST),
    (
        "cursor of another order",
        {"sort": "title", "cursor": forged_cursor("-start", "2016-01-01", 5)},
        refused("cursor"),
        LIST,
    ),
]


def _page_refusals(text: str) -> frozenset:
    """The parameters the page names; each with a control has the message next to it."""
    fields = set(re.findall(r'<li data-field="(\w+)">', text))
    for name in fields:
        if f'id="flt-{name}"' in text:
            control = re.search(rf'<(?:input|select)[^>]* id="flt-{name}"[^>]*>', text).group(0)
            assert f"flt-{name}-error" in control and 'aria-invalid="true"' in control, control
            assert f'<small id="flt-{name}-error" class="field-error">' in text, name
    return frozenset(fields)


def activities_page(client, params: dict) -> tuple:
    response = client.get("/activities", params={"limit": 200, **params})
    if response.status_code == 422:
        assert 'name="q"' in response.text, "the filter form is shown again"
        typed = {k: v for k, v in params.items() if k in ("from", "to", "q") and v.strip()}
        for value in typed.values():
            assert f'value="{html.escape(value)}"' in response.text, "what was typed is kept"
        return ("refused", _page_refusals(response.text))
    assert response.status_code == 200, response.status_code
    assert 'rel="next"' not in response.text, "a case should fit on one page"
    titles = re.findall(r'class="title-cell"><a href="/activities/\d+">(.*?)</a>', response.text)
    total = int(re.search(r"<strong>([\d,]+) activit", response.text).group(1).replace(",", ""))
    assert total == len(titles)
    # a search marks the words it found (<mark>): the titles are the text without the marks
    titles = [re.sub(r"</?mark>", "", t) for t in titles]
    return (ROWS, sorted(html.unescape(t) for t in titles))


def _json_refusals(response) -> tuple:
    assert response.status_code == 422, (response.status_code, response.text[:300])
    locs = [e["loc"] for e in response.json()["detail"]]
    assert all(loc[0] == "query" and len(loc) == 2 for loc in locs), locs
    return ("refused", frozenset(loc[1] for loc in locs))


def activities_api(client, params: dict) -> tuple:
    response = client.get("/api/v1/activities", params={"limit": 200, **params})
    if response.status_code != 200:
        return _json_refusals(response)
    body = response.json()
    assert body["next_cursor"] is None and body["total"] == len(body["items"])
    return (ROWS, sorted(item["title"] for item in body["items"]))


def activities_export(client, params: dict) -> tuple:
    response = client.get("/api/v1/exports/activities.csv", params=params)
    if response.status_code != 200:
        return _json_refusals(response)
    header, *rows = csv.reader(io.StringIO(response.text))
    return (ROWS, sorted(row[header.index("title")] for row in rows))


def test_activity_filters_mean_the_same_on_the_page_the_api_and_the_export(client):
    def check(params, expected, where):
        surfaces = {"page": activities_page, "api": activities_api}
        if where == ALL:
            surfaces["export"] = activities_export
        outcomes = {name: read(client, params) for name, read in surfaces.items()}
        first = outcomes["api"]
        if expected == ROWS:
            assert first[0] == ROWS and first[1], f"no rows: pick a case that matches some {first}"
        else:
            assert first == expected, outcomes
        assert all(o == first for o in outcomes.values()), outcomes

    run_cases(ACTIVITY_CASES, check)


def test_the_location_filter_keeps_activities_at_that_place(client):
    at = client.get("/api/v1/activities", params={"location": "gevgelija", "limit": 200}).json()
    assert at["total"] > 0
    assert all("gevgelija" in item["locations"] for item in at["items"])
    everywhere = client.get("/api/v1/activities", params={"limit": 1}).json()["total"]
    assert at["total"] < everywhere
    page = client.get("/activities", params={"location": "gevgelija"}).text
    assert re.search(r'<optgroup label="[^"]+"><option value="[^"]+">', page), "grouped by country"
    assert re.search(r'<option value="gevgelija" selected>', page)


# --- periods: mission dashboard, comparison, background report --------------------------------

PERIOD_CASES = [
    ("all time", {}, None),
    ("from a year", {"from": "2015"}, None),
    ("years", {"from": "2015", "to": "2016"}, None),
    ("quarters", {"from": "2015-Q4", "to": "2016-Q1"}, None),
    ("quarter typed small", {"from": "2015-q4"}, None),
    ("one month", {"from": "2015-11", "to": "2015-11"}, None),
    ("one day", {"from": "2015-11-19", "to": "2015-11-19"}, None),
    ("day to its own month", {"from": "2015-11-19", "to": "2015-11"}, None),
    ("until a month", {"to": "2016-03"}, None),
    ("end before start", {"from": "2016", "to": "2015"}, refused("to")),
    ("end month before start", {"from": "2015-12", "to": "2015-11-30"}, refused("to")),
    ("end before start quarter", {"from": "2015-Q4", "to": "2015-09"}, refused("to")),
    ("bad date", {"from": "yesterday"}, refused("from")),
    ("no such month", {"to": "2015-13"}, refused("to")),
    ("no such day", {"from": "2015-02-30"}, refused("from")),
    ("both bad", {"from": "soon", "to": "later"}, refused("from", "to")),
]


def expected_period(params: dict) -> tuple:
    start = PartialDate.parse(params["from"].upper()) if params.get("from") else None
    end = PartialDate.parse(params["to"].upper()) if params.get("to") else None
    return (
        "period",
        start.start.isoformat() if start else None,
        end.end.isoformat() if end else None,
    )


def _as_iso(text: str) -> str | None:
    if text in ("the beginning", "today"):
        return None
    return datetime.strptime(text, "%d %b %Y").date().isoformat()


def _dashboard_page(client, url: str, params: dict) -> tuple:
    response = client.get(url, params=params)
    text = response.text
    if response.status_code == 422:
        fields = set(re.findall(r'<small id="period-(\w+)-error" class="field-error"', text))
        for name in fields:
            control = re.search(rf'<input id="period-{name}"[^>]*>', text).group(0)
            assert f"period-{name}-error" in control and 'aria-invalid="true"' in control
            assert f'value="{params[name]}"' in control, "what was typed is kept"
        labels = {"Theme": "theme", "Dimension": "dimension", "Compare by": "axis"}
        for label in re.findall(r'<p class="form-error" role="alert">([^:<]+):', text):
            fields.add(labels[label])
        return ("refused", frozenset(fields))
    assert response.status_code == 200, response.status_code
    lede = re.search(r'<p class="lede">(.*?)</p>', text, flags=re.S).group(1)
    if re.search(r"\ball time\b", lede):
        return ("period", None, None)
    found = re.search(r"(\d\d \w{3} \d{4}|the beginning) – (\d\d \w{3} \d{4}|today)", lede)
    return ("period", _as_iso(found.group(1)), _as_iso(found.group(2)))


def _period_api(client, url: str, params: dict, *, inside=None) -> tuple:
    response = client.get(url, params=params)
    if response.status_code != 200:
        return _json_refusals(response)
    body = response.json()
    period = (body[inside] if inside else body)["period"]
    return ("period", period["start"], period["end"])


def _report_page(client, params: dict) -> tuple:
    response = client.get("/missions/MKD/report", params=params)
    if response.status_code == 422:
        message = re.search(r"<p>(.*?)</p>", response.text.split("<article>", 1)[1]).group(1)
        return ("refused", frozenset(re.findall(r"(?:^|; )(\w+): ", html.unescape(message))))
    assert response.status_code == 200, response.status_code
    start = PartialDate.parse(params["from"].upper()) if params.get("from") else None
    end = PartialDate.parse(params["to"].upper()) if params.get("to") else None
    shown = re.search(r"Background report, <strong>(.*?)</strong>", response.text).group(1)
    if start and end:
        assert html.unescape(shown) == f"{start.human()} – {end.human()}"
    elif start or end:
        assert (start or end).human() in shown
    else:
        assert shown == "all dates"
    return expected_period(params)  # the report shows partial dates, not days: checked above


PERIOD_SURFACES = {
    "mission page": lambda c, p: _dashboard_page(c, "/missions/MKD", p),
    "summary API": lambda c, p: _period_api(c, "/api/v1/missions/MKD/summary", p),
    "dashboard API": lambda c, p: _period_api(
        c, "/api/v1/missions/MKD/dashboard", p, inside="summary"
    ),
    "compare page": lambda c, p: _dashboard_page(c, "/compare", p),
    "compare API": lambda c, p: _period_api(c, "/api/v1/compare", p),
    "report page": _report_page,
}


def test_periods_mean_the_same_on_every_dashboard_page_api_and_report(client):
    def check(params, expected):
        outcomes = {name: read(client, params) for name, read in PERIOD_SURFACES.items()}
        want = expected or expected_period(params)
        assert all(o == want for o in outcomes.values()), (want, outcomes)

    run_cases(PERIOD_CASES, check)


COMPARE_CASES = [
    ("by type and theme", {"axis": "type", "theme": "anti_trafficking"}, None),
    ("dimension", {"dimension": "human", "axis": "theme"}, None),
    ("unknown axis", {"axis": "nonsense"}, refused("axis")),
    ("unknown theme", {"theme": "x"}, refused("theme")),
    ("unknown dimension", {"dimension": "x"}, refused("dimension")),
    ("all wrong", {"axis": "n", "theme": "x", "from": "2016", "to": "2015"}, None),
]


def test_comparison_choices_mean_the_same_on_the_page_and_the_api(client):
    def check(params, expected):
        page = _dashboard_page(client, "/compare", params)
        api = _period_api(client, "/api/v1/compare", params)
        if expected is not None:
            assert api == expected, api
        assert page == api, (page, api)

    run_cases(COMPARE_CASES, check)
    everything = _period_api(client, "/api/v1/compare", COMPARE_CASES[-1][1])
    assert everything == refused("axis", "theme", "to")
