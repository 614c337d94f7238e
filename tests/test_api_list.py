"""The activity list: filters, sort orders and keyset paging over the seed data."""

from __future__ import annotations

import re
from datetime import date, datetime

from sqlalchemy import select

from app.activities.models import Activity
from app.partial_dates import PartialDate
from tests.support import create_activity, meeting_body, run_cases

API = "/api/v1/activities"
JOINT_VISIT = "srb-mkd-joint-visit-presevo-tabanovce"


def page(client, **params) -> dict:
    response = client.get(API, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def walk(client, *, limit: int = 7, on_page=None, **params) -> tuple[list[dict], set[int]]:
    """Every item of a list, following next_cursor; and the totals the pages reported."""
    items, totals, cursor = [], set(), None
    for number in range(1, 2000):
        query = {**params, "limit": limit}
        if cursor:
            query["cursor"] = cursor
        body = page(client, **query)
        assert body["limit"] == limit
        assert len(body["items"]) <= limit
        items += body["items"]
        totals.add(body["total"])
        cursor = body["next_cursor"]
        if not cursor:
            return items, totals
        assert len(body["items"]) == limit, "a page before the last one is short"
        if on_page:
            on_page(number)
    raise AssertionError("the walk never ended")


def everything(client, **params) -> list[dict]:
    items, _ = walk(client, limit=200, **params)
    return items


def ids(items) -> list[int]:
    return [item["id"] for item in items]


def start_of(item) -> date:
    return PartialDate.parse(item["start"]).start


def in_text(word: str):
    return lambda a: word.lower() in a["title"].lower() or word.lower() in a["summary"].lower()


SEARCHED = ("title", "summary", "observations", "outcome", "organisations_present")
SEARCHED += ("research_topic", "review_comment")


def has_words(*words: str):
    """Full-text search (app/activities/search.py): every word begins a word of the record's
    texts, or of its places (seeded location codes begin with the place's name)."""

    def check(a) -> bool:
        texts = " ".join(a.get(name) or "" for name in SEARCHED) + " " + " ".join(a["locations"])
        return all(re.search(rf"\b{w}", texts, re.IGNORECASE) for w in words)

    return check


def involves(code: str):
    return lambda a: a["mission"] == code or code in a["other_missions"]


def starts_between(first: date | None, last: date | None):
    """The period rule of app/activities/counting.py: all of the record's (partial) date
    lies in [first, last], so "2015" is not between 2015-01 and 2015-03."""
    return lambda a: (
        (first is None or start_of(a) >= first)
        and (last is None or PartialDate.parse(a["start"]).end <= last)
    )


# --- filters ---------------------------------------------------------------------------------

FILTERS = [
    # (case, query, which of all the activities must come back)
    ("mission-MKD", {"mission": "MKD"}, involves("MKD")),
    ("mission-lowercase", {"mission": "mkd"}, involves("MKD")),
    ("mission-SRB", {"mission": "SRB"}, involves("SRB")),
    ("mission-KOS", {"mission": "KOS"}, involves("KOS")),
    ("type", {"type": "training"}, lambda a: a["type"] == "training"),
    ("area", {"area": "reporting_liaising"}, lambda a: a["response_area"] == "reporting_liaising"),
    ("theme", {"theme": "border_management"}, lambda a: "border_management" in a["themes"]),
    ("provenance", {"provenance": "reconstructed"}, lambda a: a["provenance"] == "reconstructed"),
    (
        "from-month-to-month",
        {"from": "2015-11", "to": "2016-02"},
        starts_between(date(2015, 11, 1), date(2016, 2, 29)),
    ),
    ("from-year", {"from": "2016"}, starts_between(date(2016, 1, 1), None)),
    ("to-quarter", {"to": "2015-Q3"}, starts_between(None, date(2015, 9, 30))),
    (
        "from-day-to-day",
        {"from": "2016-03-07", "to": "2016-03-11"},
        starts_between(date(2016, 3, 7), date(2016, 3, 11)),
    ),
    # words: in the list's order asked for (a search's own default is best match first)
    ("q-lowercase", {"q": "tabanovce", "sort": "-start"}, has_words("tabanovce")),
    ("q-uppercase", {"q": "TABANOVCE", "sort": "-start"}, has_words("tabanovce")),
    ("q-in-summary", {"q": "undated study", "sort": "-start"}, has_words("undated", "study")),
    ("joint", {"joint": "true"}, lambda a: bool(a["other_missions"])),
    ("joint-false-is-no-filter", {"joint": "false", "mission": "KOS"}, involves("KOS")),
    (
        "combined",
        {"mission": "MKD", "type": "monitoring_visit", "from": "2016-03", "to": "2016-04"},
        lambda a: (
            involves("MKD")(a)
            and a["type"] == "monitoring_visit"
            and starts_between(date(2016, 3, 1), date(2016, 4, 30))(a)
        ),
    ),
    (
        "joint-and-area",
        {"mission": "SRB", "joint": "true", "area": "policing_crime"},
        lambda a: (
            involves("SRB")(a) and a["other_missions"] and a["response_area"] == "policing_crime"
        ),
    ),
]


def test_each_filter_returns_exactly_the_matching_activities(client):
    all_items = everything(client)
    assert len(all_items) >= 200

    def check(query, wanted):
        expected = [a for a in all_items if wanted(a)]
        assert expected, "the case should match something in the seed data"
        got, totals = walk(client, limit=200, **query)
        assert ids(got) == ids(expected)
        assert totals == {len(expected)}

    run_cases(FILTERS, check)


def test_filters_that_match_nothing_answer_an_empty_page(client):
    for query in ({"mission": "MNE", "type": "awareness"}, {"from": "2030"}, {"q": "zzzqqq"}):
        body = page(client, **query)
        assert body == {
            "items": [],
            "total": 0,
            "total_is_lower_bound": False,
            "limit": 50,
            "next_cursor": None,
        }


def test_the_joint_november_2015_visit_shows_under_both_missions(client):
    def find(**query):
        return [a for a in everything(client, **query) if a["external_id"] == JOINT_VISIT]

    for code in ("SRB", "MKD"):
        [visit] = find(mission=code)
        assert visit["mission"] == "SRB"
        assert visit["other_missions"] == ["MKD"]
        assert visit["start"] == "2015-11"
    assert find(mission="ALB") == []
    assert len(find(joint="true", **{"from": "2015-11", "to": "2015-11"})) == 1


def test_status_filter_tells_drafts_from_approved_records(client):
    draft = create_activity(client, meeting_body(title="A fresh draft"))
    drafts = everything(client, status="draft")
    assert draft["id"] in ids(drafts)
    assert {a["status"] for a in drafts} == {"draft"}
    assert draft["id"] not in ids(everything(client, status="approved"))


def test_q_is_case_insensitive_beyond_ascii(client):
    """Place names in the region carry diacritics: Preševo, Brčko, Horgoš. Any case, with
    or without the diacritics, in Latin or Cyrillic letters, finds the same records."""
    for spellings in (
        ("Preševo", "PREŠEVO", "preševo", "Presevo", "Прешево"),
        ("BRČKO", "brcko", "Брчко"),
        ("horgoŠ", "Horgos", "Хоргош"),
    ):
        found = [sorted(ids(everything(client, q=word))) for word in spellings]
        assert found[0], spellings
        assert all(f == found[0] for f in found), spellings
    assert JOINT_VISIT in {a["external_id"] for a in everything(client, q="PREŠEVO")}


def test_q_punctuation_is_never_a_wildcard(client):
    """Full-text search reads words: %, _ and \\ are neither wildcards nor escapes but
    separate words; a query of punctuation alone matches nothing."""
    percent = create_activity(client, meeting_body(title="Coverage of 100% of crossings"))
    underscore = create_activity(client, meeting_body(title="Check of the a_c register"))
    plain = create_activity(client, meeting_body(title="Check of the abc register"))
    backslash = create_activity(client, meeting_body(title="Path C:\\temp\\report"))
    for nothing in ("%", "_", "\\", "%_%", "\\%"):
        assert everything(client, q=nothing) == [], nothing
    hundred = ids(everything(client, q="100%"))
    assert percent["id"] in hundred and plain["id"] not in hundred
    assert underscore["id"] in ids(everything(client, q="a_c"))
    temp = ids(everything(client, q="\\temp"))
    assert backslash["id"] in temp and plain["id"] not in temp


# --- sort orders -----------------------------------------------------------------------------


def test_each_sort_order_is_kept_across_pages(client, engine):
    """The study records: many share a start date ("2015"), so ties are broken by id."""
    with engine.connect() as conn:
        by_title = conn.scalars(select(Activity.id).order_by(Activity.title, Activity.id)).all()

    keys = {
        "start": lambda a: (start_of(a), a["id"]),
        "created": lambda a: (datetime.fromisoformat(a["created_at"]), a["id"]),
        "updated": lambda a: (datetime.fromisoformat(a["updated_at"]), a["id"]),
    }

    def check(sort):
        got, _ = walk(client, limit=25, sort=sort, provenance="study")
        assert len(got) > 50
        name, descending = sort.lstrip("-"), sort.startswith("-")
        if name == "title":
            # titles follow the database's collation, ties broken by id
            returned = set(ids(got))
            expected = [i for i in by_title if i in returned]
            assert ids(got) == (expected[::-1] if descending else expected)
            if engine.dialect.name == "sqlite":
                in_python = sorted(got, key=lambda a: (a["title"], a["id"]), reverse=descending)
                assert ids(got) == ids(in_python)
        else:
            assert ids(got) == ids(sorted(got, key=keys[name], reverse=descending))

    sorts = ["start", "-start", "title", "-title", "created", "-created", "updated", "-updated"]
    run_cases([(s, s) for s in sorts], check)


def test_default_order_is_newest_start_first(client):
    got = page(client, limit=100)["items"]
    assert got == sorted(got, key=lambda a: (start_of(a), a["id"]), reverse=True)
    assert got == page(client, limit=100, sort="-start")["items"]


# --- keyset paging ---------------------------------------------------------------------------

WALKS = [
    ("mission-MKD", {"mission": "MKD"}),
    ("mission-MKD-by-title", {"mission": "MKD", "sort": "title"}),
    ("study-records-with-tied-dates", {"provenance": "study", "sort": "start"}),
    ("srb-by-update-desc", {"mission": "SRB", "sort": "-updated"}),
    ("srb-created", {"mission": "SRB", "sort": "created"}),
]


def test_paging_with_limit_7_matches_one_big_page(client):
    def check(query):
        big = page(client, limit=200, **query)
        assert big["next_cursor"] is None, "the big page should hold everything"
        assert len(big["items"]) > 7
        walked, totals = walk(client, limit=7, **query)
        assert ids(walked) == ids(big["items"])  # same rows, same order
        assert len(set(ids(walked))) == len(walked)  # no repeats
        assert totals == {big["total"]} == {len(walked)}

    run_cases(WALKS, check)


def test_rows_added_during_a_walk_cause_no_repeat_and_no_skip(client):
    query = {"mission": "MKD", "sort": "-start"}
    original = ids(page(client, limit=200, **query)["items"])
    first_page = page(client, limit=7, **query)["items"]
    oldest = page(client, limit=1, mission="MKD", sort="start")["items"][0]
    added = {}

    def add_rows(number):
        if number == 3:
            # one row among those already walked, one among those still to come
            added["walked"] = create_activity(
                client, meeting_body(start=first_page[0]["start"], title="Behind")
            )["id"]
            added["ahead"] = create_activity(
                client, meeting_body(start=oldest["start"], title="Ahead")
            )["id"]
            body = {"version": 1, "title": "Edited meanwhile"}
            assert client.patch(f"{API}/{added['walked']}", json=body).status_code == 200

    walked, totals = walk(client, limit=7, on_page=add_rows, **query)
    walked_ids = ids(walked)
    assert len(walked_ids) == len(set(walked_ids))
    assert [i for i in walked_ids if i in set(original)] == original
    assert added["ahead"] in walked_ids
    assert added["walked"] not in walked_ids
    assert totals == {len(original), len(original) + 2}


def test_limit_above_the_cap_is_capped(client):
    default = page(client)
    assert default["limit"] == 50 and len(default["items"]) == 50
    for asked in (201, 500, 1000):
        body = page(client, limit=asked)
        assert body["limit"] == 200
        assert len(body["items"]) == 200
        assert body["next_cursor"] is not None
        assert body["total"] > 200
    assert client.get(API, params={"limit": 1001}).status_code == 422


def test_total_counts_every_match_not_the_page(client):
    all_items = everything(client)
    for limit in (1, 7, 200):
        assert page(client, limit=limit)["total"] == len(all_items)
