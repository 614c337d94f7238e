"""The activities API: create, read, change, delete, history, and every way to get it wrong.

Every write names MKD as the lead mission, so these tests keep passing once the
`client` fixture signs in as a head of mission of MKD.
"""

from __future__ import annotations

import base64
import json

from sqlalchemy import func, select

from app.activities.models import Activity, ActivityTheme, activity_locations
from app.audit.models import AuditEntry
from tests.support import (
    DROP,
    TYPE_EXAMPLES,
    activity_body,
    count_rows,
    create_activity,
    error_at,
    errors_of,
    run_cases,
)

API = "/api/v1/activities"


def total(client) -> int:
    response = client.get(API, params={"limit": 1})
    assert response.status_code == 200, response.text
    return response.json()["total"]


def cursor_of(payload: dict) -> str:
    raw = json.dumps(payload).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


# --- create and read -----------------------------------------------------------------------


def test_create_answers_201_with_location_as_a_draft_entered_version_1(client):
    before = total(client)
    response = client.post(API, json=activity_body("meeting", other_missions=["SRB"]))
    assert response.status_code == 201, response.text
    created = response.json()
    assert response.headers["location"] == f"{API}/{created['id']}"
    assert created["status"] == "draft"
    assert created["version"] == 1
    assert created["provenance"] == "entered"
    assert created["mission"] == "MKD"
    assert created["other_missions"] == ["SRB"]
    assert created["is_joint"] is True
    assert created["start"] == "2016-03-15"
    assert created["meeting_kind"] == "coordination"
    assert created["team"] is None
    assert total(client) == before + 1

    read = client.get(response.headers["location"])
    assert read.status_code == 200
    assert read.json()["id"] == created["id"]
    assert read.json()["title"] == created["title"]


def test_every_type_is_created_with_its_own_fields(client):
    def check(activity_type):
        created = create_activity(client, activity_body(activity_type))
        read = client.get(f"{API}/{created['id']}").json()
        assert read["type"] == activity_type
        for name, value in TYPE_EXAMPLES[activity_type].items():
            if name == "period_from":
                assert read[name] == "2016-02-01"
            elif name == "period_to":
                assert read[name] == "2016-03-31"  # the last day of the period it names
            else:
                assert read[name] == value, name
        others = {n for t, fields in TYPE_EXAMPLES.items() if t != activity_type for n in fields}
        for name in others - set(TYPE_EXAMPLES[activity_type]):
            assert read[name] is None, name

    run_cases([(t, t) for t in TYPE_EXAMPLES], check)


def test_partial_dates_keep_their_precision_and_codes_any_case(client):
    created = create_activity(
        client, activity_body(start="2015-Q4", end="2016-02", mission="mkd", other_missions=["srb"])
    )
    read = client.get(f"{API}/{created['id']}").json()
    assert (read["start"], read["end"]) == ("2015-Q4", "2016-02")
    assert (read["mission"], read["other_missions"]) == ("MKD", ["SRB"])


def test_created_record_reads_back_exactly_as_the_create_answered(client):
    """The 201 body is the stored record: a GET right after answers the same."""
    created = create_activity(
        client,
        activity_body(
            themes=["regional_cooperation", "border_management"],
            locations=["tabanovce", "gevgelija"],
            partners=["unhcr", "iom"],
            other_missions=["SRB", "ALB"],
        ),
    )
    read = client.get(f"{API}/{created['id']}").json()
    assert read == created


def test_an_unknown_activity_answers_404_json_on_every_route(client):
    for response in (
        client.get(f"{API}/987654"),
        client.get(f"{API}/987654/history"),
        client.patch(f"{API}/987654", json={"version": 1, "title": "x"}),
        client.delete(f"{API}/987654", params={"version": 1}),
    ):
        assert response.status_code == 404, response.text
        assert response.json()["detail"][0]["type"] == "not_found"


# --- PATCH -----------------------------------------------------------------------------------


def test_patch_changes_only_the_fields_sent_and_bumps_the_version(client):
    created = create_activity(client, activity_body("training"))
    response = client.patch(
        f"{API}/{created['id']}", json={"version": 1, "title": "Renamed training"}
    )
    assert response.status_code == 200, response.text
    patched = response.json()
    assert patched["title"] == "Renamed training"
    assert patched["version"] == 2
    unchanged = {"title", "version", "updated_at"}
    assert {k: v for k, v in patched.items() if k not in unchanged} == {
        k: v for k, v in created.items() if k not in unchanged
    }
    assert client.get(f"{API}/{created['id']}").json() == patched


def test_patch_replaces_themes_locations_partners_and_other_missions(client):
    created = create_activity(client, activity_body(themes=["border_management", "asylum"]))
    response = client.patch(
        f"{API}/{created['id']}",
        json={
            "version": 1,
            "themes": ["gender"],
            "locations": ["tabanovce"],
            "partners": ["iom", "red-cross"],
            "other_missions": ["SRB"],
        },
    )
    assert response.status_code == 200, response.text
    read = client.get(f"{API}/{created['id']}").json()
    assert read["themes"] == ["gender"]
    assert read["locations"] == ["tabanovce"]
    assert sorted(read["partners"]) == ["iom", "red-cross"]
    assert read["other_missions"] == ["SRB"]
    assert read["is_joint"] is True
    assert read["version"] == 2

    cleared = client.patch(
        f"{API}/{created['id']}",
        json={"version": 2, "themes": [], "locations": [], "partners": [], "other_missions": []},
    )
    assert cleared.status_code == 200, cleared.text
    read = client.get(f"{API}/{created['id']}").json()
    assert (read["themes"], read["locations"], read["partners"]) == ([], [], [])
    assert read["other_missions"] == [] and read["is_joint"] is False
    assert read["version"] == 3


def test_patch_of_links_only_still_moves_the_version(client):
    created = create_activity(client, activity_body())
    response = client.patch(f"{API}/{created['id']}", json={"version": 1, "partners": ["iom"]})
    assert response.status_code == 200, response.text
    assert response.json()["version"] == 2
    stale = client.patch(f"{API}/{created['id']}", json={"version": 1, "partners": ["unhcr"]})
    assert stale.status_code == 409


def test_changing_the_type_clears_the_old_types_fields(client, engine):
    created = create_activity(client, activity_body("monitoring_visit"))
    response = client.patch(
        f"{API}/{created['id']}",
        json={"version": 1, "type": "training", "participants_total": 12},
    )
    assert response.status_code == 200, response.text
    read = client.get(f"{API}/{created['id']}").json()
    assert read["type"] == "training"
    assert read["participants_total"] == 12
    for name in TYPE_EXAMPLES["monitoring_visit"]:
        if name not in ("dimension", "response_area"):
            assert read[name] is None, name
    with engine.connect() as conn:
        row = conn.execute(select(Activity.__table__).where(Activity.id == created["id"])).one()
    assert row.team is None and row.team_size is None and row.findings is None
    assert row.alert_level is None and row.participants_total == 12

    same_type = client.patch(f"{API}/{created['id']}", json={"version": 2, "type": "training"})
    assert same_type.status_code == 200, same_type.text
    assert same_type.json()["participants_total"] == 12


def test_changing_the_type_refuses_a_field_of_the_old_type(client):
    created = create_activity(client, activity_body("monitoring_visit"))
    response = client.patch(
        f"{API}/{created['id']}", json={"version": 1, "type": "training", "team": "Still here"}
    )
    assert "training" in error_at(response, ["body", "team"])["msg"]
    read = client.get(f"{API}/{created['id']}").json()
    assert (read["type"], read["version"], read["team"]) == ("monitoring_visit", 1, created["team"])


# --- DELETE ----------------------------------------------------------------------------------


def test_delete_answers_204_then_the_activity_is_gone(client, engine):
    created = create_activity(client, activity_body())
    before = total(client)
    response = client.delete(f"{API}/{created['id']}", params={"version": 1})
    assert response.status_code == 204
    assert response.content == b""
    assert client.get(f"{API}/{created['id']}").status_code == 404
    assert client.get(f"{API}/{created['id']}/history").status_code == 404
    assert client.patch(f"{API}/{created['id']}", json={"version": 1}).status_code == 404
    assert client.delete(f"{API}/{created['id']}", params={"version": 1}).status_code == 404
    assert total(client) == before - 1
    with engine.connect() as conn:
        actions = conn.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.entity == "activity", AuditEntry.entity_id == created["id"])
            .order_by(AuditEntry.id)
        ).all()
        links = conn.execute(
            select(func.count())
            .select_from(ActivityTheme.__table__)
            .where(ActivityTheme.activity_id == created["id"])
        ).scalar_one()
    assert actions == ["create", "delete"]
    assert links == 0


# --- history ---------------------------------------------------------------------------------


def test_history_lists_create_and_updates_with_the_changed_fields(client):
    created = create_activity(client, activity_body("training"))
    aid = created["id"]
    assert client.patch(f"{API}/{aid}", json={"version": 1, "title": "Second title"}).is_success
    assert client.patch(
        f"{API}/{aid}", json={"version": 2, "participants_total": 30, "themes": ["gender"]}
    ).is_success

    response = client.get(f"{API}/{aid}/history")
    assert response.status_code == 200
    history = response.json()
    assert [e["action"] for e in history] == ["create", "update", "update"]

    first = history[0]
    assert first["before"] is None
    assert first["after"]["title"] == created["title"]
    assert first["after"]["mission"] == "MKD"
    assert first["after"]["version"] == 1

    second = history[1]
    assert second["before"] == {"title": created["title"], "version": 1}
    assert second["after"] == {"title": "Second title", "version": 2}

    third = history[2]
    assert (
        set(third["before"])
        == set(third["after"])
        == {
            "participants_total",
            "themes",
            "version",
        }
    )
    assert third["before"]["participants_total"] == 24
    assert third["after"]["participants_total"] == 30
    assert third["after"]["themes"] == ["gender"]
    assert third["after"]["version"] == 3
    assert [e["at"] for e in history] == sorted(e["at"] for e in history)


# --- 409 on a stale version ------------------------------------------------------------------


def test_patch_with_a_stale_version_answers_409_and_changes_nothing(client):
    created = create_activity(client, activity_body())
    aid = created["id"]
    assert client.patch(f"{API}/{aid}", json={"version": 1, "title": "First edit"}).is_success
    current = client.get(f"{API}/{aid}").json()

    for version in (1, 3, 99):
        response = client.patch(
            f"{API}/{aid}",
            json={"version": version, "title": "Lost edit", "themes": ["gender"]},
        )
        assert response.status_code == 409, response.text
        assert response.json()["detail"][0]["type"] == "conflict"
        assert "version" in response.json()["detail"][0]["msg"]

    assert client.get(f"{API}/{aid}").json() == current
    history = client.get(f"{API}/{aid}/history").json()
    assert [e["action"] for e in history] == ["create", "update"]


def test_delete_with_a_stale_version_answers_409_and_deletes_nothing(client):
    created = create_activity(client, activity_body())
    aid = created["id"]
    assert client.patch(f"{API}/{aid}", json={"version": 1, "title": "First edit"}).is_success
    current = client.get(f"{API}/{aid}").json()
    count = total(client)

    error_at(client.delete(f"{API}/{aid}"), ["query", "version"])
    for version in (1, 3):
        response = client.delete(f"{API}/{aid}", params={"version": version})
        assert response.status_code == 409, response.text
        assert response.json()["detail"][0]["type"] == "conflict"

    assert client.get(f"{API}/{aid}").json() == current
    assert total(client) == count
    history = client.get(f"{API}/{aid}/history").json()
    assert [e["action"] for e in history] == ["create", "update"]


# --- unknown fields --------------------------------------------------------------------------


def test_create_refuses_unknown_fields_naming_each(client, engine):
    before = (total(client), count_rows(engine, AuditEntry))

    def check(key, value):
        err = error_at(client.post(API, json=activity_body(**{key: value})), ["body", key])
        assert err["type"] == "extra_forbidden"
        assert "not permitted" in err["msg"]

    run_cases(
        [
            ("status", "status", "approved"),
            ("version", "version", 1),
            ("created_by", "created_by", 1),
            ("created_by_id", "created_by_id", 1),
            ("provenance", "provenance", "study"),
            ("id", "id", 5),
            ("review_comment", "review_comment", "fine"),
            ("random-key", "surprise_key", "boo"),
        ],
        check,
    )
    assert (total(client), count_rows(engine, AuditEntry)) == before


def test_patch_refuses_unknown_fields_and_changes_nothing(client):
    created = create_activity(client, activity_body())
    current = client.get(f"{API}/{created['id']}").json()

    def check(key, value):
        response = client.patch(
            f"{API}/{created['id']}", json={"version": 1, "title": "Changed", key: value}
        )
        assert error_at(response, ["body", key])["type"] == "extra_forbidden"
        assert client.get(f"{API}/{created['id']}").json() == current

    run_cases(
        [
            ("status", "status", "approved"),
            ("created_by", "created_by", 1),
            ("provenance", "provenance", "study"),
            ("external_id", "external_id", "sneaky"),
            ("mission", "mission", "SRB"),
            ("random-key", "surprise_key", "boo"),
        ],
        check,
    )


# --- validation errors -----------------------------------------------------------------------

BIG = 2_147_483_648

INVALID_CREATES = [
    # (case, body, loc, a word the message must hold)
    ("unknown-mission", activity_body(mission="XYZ"), ["body", "mission"], "no mission"),
    ("missing-mission", activity_body(mission=DROP), ["body", "mission"], "required"),
    (
        "unknown-location",
        activity_body(locations=["gevgelija", "atlantis"]),
        ["body", "locations", 1],
        "no location",
    ),
    ("unknown-partner", activity_body(partners=["nobody"]), ["body", "partners", 0], "no partner"),
    (
        "unknown-project",
        activity_body(project="no-such-project"),
        ["body", "project"],
        "no project",
    ),
    (
        "unknown-other-mission",
        activity_body(other_missions=["SRB", "XYZ"]),
        ["body", "other_missions", 1],
        "no mission",
    ),
    (
        "lead-in-other-missions",
        activity_body(other_missions=["SRB", "MKD"]),
        ["body", "other_missions", 1],
        "lead mission",
    ),
    (
        "lead-in-other-missions-lowercase",
        activity_body(other_missions=["mkd"]),
        ["body", "other_missions", 0],
        "lead mission",
    ),
    ("end-before-start", activity_body(start="2016-03", end="2016-01"), ["body", "end"], "before"),
    (
        "end-a-day-before-start",
        activity_body(start="2016-03-15", end="2016-03-14"),
        ["body", "end"],
        "before",
    ),
    (
        "negative-participants-total",
        activity_body("training", participants_total=-1, participants_women=DROP),
        ["body", "participants_total"],
        "greater than or equal to 0",
    ),
    (
        "negative-participants-women",
        activity_body("training", participants_women=-1),
        ["body", "participants_women"],
        "greater than or equal to 0",
    ),
    (
        "negative-team-size",
        activity_body("monitoring_visit", team_size=-2),
        ["body", "team_size"],
        "greater than or equal to 0",
    ),
    (
        "negative-attendees",
        activity_body("event", attendees=-5),
        ["body", "attendees"],
        "greater than or equal to 0",
    ),
    (
        "negative-audience",
        activity_body("awareness", audience_reached=-1),
        ["body", "audience_reached"],
        "greater than or equal to 0",
    ),
    (
        "women-above-total",
        activity_body("training", participants_total=10, participants_women=11),
        ["body", "participants_women"],
        "cannot be more",
    ),
    (
        "women-without-total",
        activity_body("training", participants_total=DROP),
        ["body", "participants_women"],
        "participants_total",
    ),
    (
        "team-on-training",
        activity_body("training", team="A team"),
        ["body", "team"],
        "monitoring visit",
    ),
    (
        "participants-on-meeting",
        activity_body("meeting", participants_total=5),
        ["body", "participants_total"],
        "training",
    ),
    (
        "audience-on-report",
        activity_body("report", audience_reached=5),
        ["body", "audience_reached"],
        "awareness",
    ),
    (
        "period-to-before-from",
        activity_body("report", period_from="2016-03", period_to="2016-01"),
        ["body", "period_to"],
        "before",
    ),
    ("unknown-type", activity_body(type="picnic"), ["body", "type"], "monitoring_visit"),
    (
        "unknown-response-area",
        activity_body(response_area="cooking"),
        ["body", "response_area"],
        "monitoring",
    ),
    ("unknown-dimension", activity_body(dimension="fourth"), ["body", "dimension"], "human"),
    ("unknown-theme", activity_body(themes=["asylum", "cooking"]), ["body", "themes", 1], "asylum"),
    (
        "unknown-alert-level",
        activity_body("monitoring_visit", alert_level="apocalyptic"),
        ["body", "alert_level"],
        "elevated",
    ),
    (
        "unknown-finding",
        activity_body("monitoring_visit", findings=["ufo"]),
        ["body", "findings", 0],
        "overcrowding",
    ),
    (
        "unknown-target-group",
        activity_body("training", target_groups=["police", "cats"]),
        ["body", "target_groups", 1],
        "police",
    ),
    ("title-301-chars", activity_body(title="x" * 301), ["body", "title"], "at most 300"),
    ("title-empty", activity_body(title=""), ["body", "title"], "at least 1"),
    ("title-missing", activity_body(title=DROP), ["body", "title"], "required"),
    (
        "summary-10001-chars",
        activity_body(summary="x" * 10_001),
        ["body", "summary"],
        "at most 10000",
    ),
    ("source-301-chars", activity_body(source="x" * 301), ["body", "source"], "at most 300"),
    ("title-nul", activity_body(title="Visit\x00to Gevgelija"), ["body", "title"], "NUL"),
    ("summary-nul", activity_body(summary="A\x00B"), ["body", "summary"], "NUL"),
    ("team-nul", activity_body("monitoring_visit", team="A\x00"), ["body", "team"], "NUL"),
    ("location-code-nul", activity_body(locations=["gev\x00"]), ["body", "locations", 0], "NUL"),
    (
        "participants-int32-max-plus-1",
        activity_body("training", participants_total=BIG, participants_women=DROP),
        ["body", "participants_total"],
        "less than or equal to 2147483647",
    ),
    (
        "participants-10e20",
        activity_body("training", participants_total=10**20, participants_women=DROP),
        ["body", "participants_total"],
        "2147483647",
    ),
    (
        "team-size-int32-max-plus-1",
        activity_body("monitoring_visit", team_size=BIG),
        ["body", "team_size"],
        "2147483647",
    ),
    (
        "attendees-10e20",
        activity_body("event", attendees=10**20),
        ["body", "attendees"],
        "2147483647",
    ),
    ("start-month-13", activity_body(start="2015-13"), ["body", "start"], "month"),
    ("start-30-february", activity_body(start="2015-02-30"), ["body", "start"], "day"),
    ("start-yesterday", activity_body(start="yesterday"), ["body", "start"], "YYYY"),
    ("start-a-number", activity_body(start=2015), ["body", "start"], "string"),
    ("start-year-1800", activity_body(start="1800"), ["body", "start"], "year"),
    ("start-missing", activity_body(start=DROP), ["body", "start"], "required"),
    ("end-month-13", activity_body(end="2016-13"), ["body", "end"], "month"),
    (
        "period-from-q5",
        activity_body("report", period_from="2016-Q5"),
        ["body", "period_from"],
        "YYYY",
    ),
    (
        "51-locations",
        activity_body(locations=["gevgelija"] * 51),
        ["body", "locations"],
        "at most 50",
    ),
]


def test_invalid_create_answers_422_naming_the_field_and_writes_nothing(client, engine):
    def counts():
        return (
            total(client),
            count_rows(engine, AuditEntry),
            count_rows(engine, activity_locations),
            count_rows(engine, ActivityTheme),
        )

    before = counts()

    def check(body, loc, word):
        err = error_at(client.post(API, json=body), loc)
        assert word.lower() in err["msg"].lower(), err

    run_cases(INVALID_CREATES, check)
    assert counts() == before, "a refused create left rows behind"


def test_several_errors_are_reported_together(client):
    response = client.post(
        API,
        json=activity_body(
            "training", locations=["atlantis"], partners=["nobody"], team="T", end="2015-01"
        ),
    )
    locs = {tuple(e["loc"]) for e in errors_of(response)}
    assert {
        ("body", "locations", 0),
        ("body", "partners", 0),
        ("body", "team"),
        ("body", "end"),
    } <= locs


def test_duplicate_external_id_is_refused(client):
    create_activity(client, activity_body(external_id="mkd-test-1"))
    before = total(client)
    response = client.post(API, json=activity_body(external_id="mkd-test-1"))
    assert "exists" in error_at(response, ["body", "external_id"])["msg"]
    assert total(client) == before


INVALID_PATCHES = [
    ("end-before-start", {"end": "2016-01"}, ["body", "end"], "before"),
    ("start-after-end", {"start": "2016-05"}, ["body", "end"], "before"),
    ("unknown-location", {"locations": ["atlantis"]}, ["body", "locations", 0], "no location"),
    ("unknown-partner", {"partners": ["nobody"]}, ["body", "partners", 0], "no partner"),
    ("unknown-project", {"project": "nope"}, ["body", "project"], "no project"),
    ("lead-in-other-missions", {"other_missions": ["MKD"]}, ["body", "other_missions", 0], "lead"),
    ("field-of-another-type", {"team": "A team"}, ["body", "team"], "monitoring visit"),
    ("women-above-total", {"participants_women": 99}, ["body", "participants_women"], "more"),
    ("unknown-theme", {"themes": ["cooking"]}, ["body", "themes", 0], "asylum"),
    ("unknown-type", {"type": "picnic"}, ["body", "type"], "training"),
    ("negative-total", {"participants_total": -3}, ["body", "participants_total"], "greater"),
    ("title-301-chars", {"title": "x" * 301}, ["body", "title"], "at most 300"),
    ("title-nul", {"title": "a\x00b"}, ["body", "title"], "NUL"),
    ("version-missing", {"version": DROP}, ["body", "version"], "required"),
    ("version-zero", {"version": 0}, ["body", "version"], "greater than or equal to 1"),
    ("version-10e20", {"version": 10**20}, ["body", "version"], "less than or equal"),
]


def _patch_changes_nothing(client, engine, cases):
    created = create_activity(client, activity_body("training", start="2016-03", end="2016-04"))
    current = client.get(f"{API}/{created['id']}").json()
    audit = count_rows(engine, AuditEntry)

    def check(patch, loc, word):
        body = {"version": 1, "summary": "This change must not be kept.", **patch}
        body = {k: v for k, v in body.items() if v is not DROP}
        err = error_at(client.patch(f"{API}/{created['id']}", json=body), loc)
        assert word.lower() in err["msg"].lower(), err
        assert client.get(f"{API}/{created['id']}").json() == current
        assert count_rows(engine, AuditEntry) == audit

    run_cases(cases, check)


def test_invalid_patch_answers_422_naming_the_field_and_changes_nothing(client, engine):
    _patch_changes_nothing(client, engine, INVALID_PATCHES)


def test_patch_setting_a_required_field_to_null_names_that_field(client, engine):
    _patch_changes_nothing(
        client,
        engine,
        [
            ("title-null", {"title": None}, ["body", "title"], "null"),
            ("start-null", {"start": None}, ["body", "start"], "null"),
            ("response-area-null", {"response_area": None}, ["body", "response_area"], "null"),
        ],
    )


# --- list query parameters -------------------------------------------------------------------

BAD_QUERIES = [
    ("from-garbage", {"from": "garbage"}, ["query", "from"], "YYYY"),
    ("from-month-13", {"from": "2015-13"}, ["query", "from"], "month"),
    ("to-30-february", {"to": "2015-02-30"}, ["query", "to"], "day"),
    ("from-too-long", {"from": "2015-11-19-extra"}, ["query", "from"], "at most 10"),
    ("limit-0", {"limit": 0}, ["query", "limit"], "greater than or equal to 1"),
    ("limit-negative", {"limit": -5}, ["query", "limit"], "greater than or equal to 1"),
    ("limit-100000", {"limit": 100000}, ["query", "limit"], "less than or equal"),
    ("limit-text", {"limit": "ten"}, ["query", "limit"], "integer"),
    ("sort-nonsense", {"sort": "nonsense"}, ["query", "sort"], "start"),
    ("sort-sql", {"sort": "title; DROP TABLE activities"}, ["query", "sort"], "start"),
    ("type-unknown", {"type": "picnic"}, ["query", "type"], "monitoring_visit"),
    ("area-unknown", {"area": "cooking"}, ["query", "area"], "monitoring"),
    ("theme-unknown", {"theme": "cooking"}, ["query", "theme"], "asylum"),
    ("status-unknown", {"status": "lost"}, ["query", "status"], "draft"),
    ("joint-not-boolean", {"joint": "perhaps"}, ["query", "joint"], "boolean"),
    ("q-201-chars", {"q": "x" * 201}, ["query", "q"], "at most 200"),
    ("cursor-random", {"cursor": "not-a-cursor-at-all"}, ["query", "cursor"], "cursor"),
    ("cursor-empty-json", {"cursor": cursor_of({})}, ["query", "cursor"], "cursor"),
    ("cursor-a-list", {"cursor": cursor_of([1, 2])}, ["query", "cursor"], "cursor"),
    (
        "cursor-bad-date",
        {"cursor": cursor_of({"s": "-start", "v": "soon", "i": 1})},
        ["query", "cursor"],
        "cursor",
    ),
    (
        "cursor-id-a-string",
        {"cursor": cursor_of({"s": "-start", "v": "2015-01-01", "i": "1"})},
        ["query", "cursor"],
        "cursor",
    ),
    ("cursor-501-chars", {"cursor": "A" * 501}, ["query", "cursor"], "at most 500"),
]


def test_bad_list_parameters_answer_422_naming_the_parameter(client):
    def check(params, loc, word):
        err = error_at(client.get(API, params=params), loc)
        assert word.lower() in err["msg"].lower(), err

    run_cases(BAD_QUERIES, check)


def test_a_cursor_from_another_sort_is_refused(client):
    def check(made_for, used_for):
        first = client.get(API, params={"sort": made_for, "limit": 3}).json()
        assert first["next_cursor"]
        again = client.get(API, params={"sort": made_for, "cursor": first["next_cursor"]})
        assert again.status_code == 200
        response = client.get(API, params={"sort": used_for, "cursor": first["next_cursor"]})
        assert "cursor" in error_at(response, ["query", "cursor"])["msg"]

    run_cases(
        [("start-to-title", "-start", "title"), ("asc-to-desc", "start", "-start")],
        check,
    )


def test_unknown_mission_filter_answers_422_naming_mission(client):
    error = error_at(client.get(API, params={"mission": "XYZ"}), ["query", "mission"])
    assert "no mission" in error["msg"] and "XYZ" in error["msg"]


# --- nothing hostile is a 500 ----------------------------------------------------------------

WRONG_VALUES = {
    "list": [],
    "object": {"$ne": None, "a": [{"b": [[{"c": None}]]}]},
    "float": 1.5,
    "bool": True,
    "huge-int": 10**30,
    "huge-string": "x" * 20_001,
    "null": None,
    "nul-string": "\x00",
}
OWNER = {name: t for t, fields in TYPE_EXAMPLES.items() for name in fields}
FIELDS = list(
    dict.fromkeys(
        [
            "mission",
            "other_missions",
            "type",
            "title",
            "start",
            "end",
            "locations",
            "partners",
            "project",
            "dimension",
            "response_area",
            "themes",
            "summary",
            "source",
            "external_id",
            *OWNER,
        ]
    )
)


# Kinds of value some fields accept (a nullable field takes null, a number takes true, a
# list field takes []): these also go field by field, so that the rest of the record is
# valid and the value reaches the service.
LIST_FIELDS = ("other_missions", "locations", "partners", "themes", "findings", "recipients")
NUMBER_FIELDS = [
    n for fields in TYPE_EXAMPLES.values() for n, v in fields.items() if type(v) in (int, bool)
]
PER_FIELD = {"null": FIELDS, "bool": NUMBER_FIELDS, "list": LIST_FIELDS}


def test_wrong_json_types_in_any_field_are_never_a_500(client):
    """Every field, every wrong kind of value, in a create and in a patch."""
    target = create_activity(client, activity_body("monitoring_visit"))
    version = target["version"]
    before = total(client)
    failures = []

    def send(label, fields):
        nonlocal version
        activity_type = OWNER.get(next(iter(fields)), "meeting") if len(fields) == 1 else "meeting"
        response = client.post(API, json=activity_body(activity_type, **fields))
        if response.status_code >= 500:
            failures.append(f"POST {label}: {response.status_code}")
        elif response.status_code == 201:
            client.delete(f"{API}/{response.json()['id']}", params={"version": 1})
        response = client.patch(f"{API}/{target['id']}", json={"version": version, **fields})
        if response.status_code >= 500:
            failures.append(f"PATCH {label}: {response.status_code}")
        elif response.status_code == 200:
            version = response.json()["version"]

    for kind, value in WRONG_VALUES.items():
        send(f"every field={kind}", dict.fromkeys(FIELDS, value))
        for name in PER_FIELD.get(kind, ()):
            send(f"{name}={kind}", {name: value})
    assert failures == []
    assert total(client) == before


def _raw(content: bytes, content_type: str = "application/json") -> dict:
    return {"content": content, "headers": {"content-type": content_type}}


def _never_500(client, requests) -> None:
    """Send each (case, method, path, kwargs); none may answer 5xx. "{id}" is an MKD activity."""
    created = create_activity(client, activity_body())
    before = total(client)

    def check(method, path, kwargs):
        response = client.request(method, path.replace("{id}", str(created["id"])), **kwargs)
        assert response.status_code < 500, f"{response.status_code} {response.text[:200]}"
        if response.status_code != 204:
            assert response.headers["content-type"].startswith("application/json")
        if method == "POST":
            assert 400 <= response.status_code < 500
            assert total(client) == before

    run_cases(requests, check)


def test_hostile_create_bodies_are_never_a_500(client):
    _never_500(
        client,
        [
            ("invalid-json", "POST", API, _raw(b'{"mission": "MKD",')),
            ("json-then-garbage", "POST", API, _raw(b'{"mission": "MKD"} garbage')),
            ("empty-body", "POST", API, _raw(b"")),
            ("json-null", "POST", API, _raw(b"null")),
            ("json-string", "POST", API, _raw(b'"activity"')),
            ("json-number", "POST", API, _raw(b"42")),
            ("array-instead-of-object", "POST", API, {"json": [activity_body()]}),
            ("array-of-arrays", "POST", API, {"json": [[[]]]}),
            ("nan", "POST", API, _raw(b'{"mission": "MKD", "team_size": NaN}')),
            ("infinity", "POST", API, _raw(b'{"mission": "MKD", "team_size": 1e400}')),
            ("not-utf8", "POST", API, _raw(b"\xff\xfe\xfa")),
            ("lone-surrogate", "POST", API, _raw(b'{"mission": "MKD", "title": "\\ud800"}')),
            ("form-body", "POST", API, _raw(b"mission=MKD", "application/x-www-form-urlencoded")),
            ("text-body", "POST", API, _raw(b"mission: MKD", "text/plain")),
            ("one-megabyte-title", "POST", API, {"json": activity_body(title="x" * 1_000_000)}),
            ("deep-nesting", "POST", API, _raw(b'{"themes": ' + b"[" * 5000 + b"]" * 5000 + b"}")),
            (
                "5000-keys",
                "POST",
                API,
                {"json": {**activity_body(), **{f"k{i}": i for i in range(5000)}}},
            ),
            ("key-with-nul", "POST", API, {"json": {**activity_body(), "ti\x00tle": "x"}}),
        ],
    )


def test_hostile_patch_and_delete_requests_are_never_a_500(client):
    one = f"{API}/{{id}}"
    _never_500(
        client,
        [
            ("array", "PATCH", one, {"json": [{"version": 1}]}),
            ("invalid-json", "PATCH", one, _raw(b"{version: 1}")),
            ("version-a-string", "PATCH", one, {"json": {"version": "one"}}),
            ("version-a-float", "PATCH", one, {"json": {"version": 1.5}}),
            ("version-null", "PATCH", one, {"json": {"version": None}}),
            ("empty-object", "PATCH", one, {"json": {}}),
            ("other-missions-null", "PATCH", one, {"json": {"version": 1, "other_missions": None}}),
            ("delete-version-text", "DELETE", one + "?version=one", {}),
            ("delete-version-10e20", "DELETE", one + "?version=99999999999999999999", {}),
        ],
    )


def test_out_of_range_ids_are_never_a_500(client):
    _never_500(
        client,
        [
            ("id-zero", "GET", f"{API}/0", {}),
            ("id-negative", "GET", f"{API}/-1", {}),
            ("id-text", "GET", f"{API}/abc", {}),
            ("id-float", "GET", f"{API}/1.5", {}),
            ("get-id-int32-max-plus-1", "GET", f"{API}/2147483648", {}),
            ("get-id-10e20", "GET", f"{API}/99999999999999999999", {}),
            ("patch-id-int32-max-plus-1", "PATCH", f"{API}/2147483648", {"json": {"version": 1}}),
            ("delete-id-int32-max-plus-1", "DELETE", f"{API}/2147483648?version=1", {}),
            ("history-id-10e20", "GET", f"{API}/99999999999999999999/history", {}),
            ("limit-10e20", "GET", f"{API}?limit=99999999999999999999", {}),
        ],
    )


def test_forged_cursors_are_never_a_500(client):
    def forged(sort, value, row_id):
        return f"{API}?sort={sort}&cursor={cursor_of({'s': sort, 'v': value, 'i': row_id})}"

    _never_500(
        client,
        [
            ("id-int32-max-plus-1", "GET", forged("-start", "2015-01-01", 2**31), {}),
            ("id-10e30", "GET", forged("-start", "2015-01-01", 10**30), {}),
            ("title-with-nul", "GET", forged("title", "a\x00b", 1), {}),
            ("date-year-9999", "GET", forged("-start", "9999-12-31", 1), {}),
            ("created-with-timezone", "GET", forged("-created", "2016-01-01T00:00+05:00", 1), {}),
        ],
    )


def test_nul_bytes_in_paths_and_query_strings_are_never_a_500(client):
    _never_500(
        client,
        [
            ("list-mission", "GET", f"{API}?mission=%00", {}),
            ("list-q", "GET", f"{API}?q=%00", {}),
            ("list-q-wildcards", "GET", f"{API}?q=%25_%5C", {}),
            ("mission", "GET", "/api/v1/missions/%00", {}),
            ("mission-summary", "GET", "/api/v1/missions/%00/summary", {}),
            ("locations-mission", "GET", "/api/v1/locations?mission=%00", {}),
            ("focal-points-mission", "GET", "/api/v1/focal-points?mission=%00", {}),
            ("projects-mission", "GET", "/api/v1/projects?mission=%00", {}),
            ("developments-country", "GET", "/api/v1/developments?country=%00", {}),
            ("compare-theme", "GET", "/api/v1/compare?theme=%00", {}),
            ("compare-from", "GET", "/api/v1/compare?from=%00", {}),
            ("5000-char-mission-code", "GET", "/api/v1/missions/" + "x" * 5000, {}),
        ],
    )
