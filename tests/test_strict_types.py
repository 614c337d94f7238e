"""Integers and booleans in JSON bodies are JSON's own: nothing is coerced.

`true` is not 1, `"5"` is not 5, `5.0` is not 5 and `"yes"` is not true: each is refused
with a 422 naming the field and saying what to send. The form and the importer, which read
typed text, convert it to numbers and booleans themselves and keep working.
"""

from __future__ import annotations

import re

from app.activities.fields import FIELDS, TYPE_FIELDS, Widget
from app.activities.models import Activity
from app.vocab import ActivityType
from tests.support import (
    API,
    activity_body,
    count_rows,
    create_activity,
    csrf_token,
    error_at,
    page_client,
    run_cases,
    sign_in,
    visit_form,
)

NOT_INTEGERS = {
    "a boolean": (True, "not true or false"),
    "false": (False, "not true or false"),
    "a numeral in a string": ("5", "not text"),
    "an empty string": ("", "not text"),
    "a fraction": (5.5, "without a fraction"),
    "a tiny fraction": (1e-9, "without a fraction"),
}
NOT_BOOLEANS = {
    "1": 1,
    "0": 0,
    '"yes"': "yes",
    '"true"': "true",
    '"false"': "false",
    '"on"': "on",
}


def _fields_of(widget: Widget) -> list[tuple[str, str]]:
    """(type, field) for every type's own field of this widget."""
    return [
        (activity_type.value, name)
        for activity_type in ActivityType
        for name in TYPE_FIELDS[activity_type]
        if FIELDS[name].widget == widget
    ]


def test_every_count_refuses_booleans_strings_and_floats_on_create(client, engine):
    before = count_rows(engine, Activity)
    counts = _fields_of(Widget.NUMBER)
    assert {name for _, name in counts} >= {"participants_total", "team_size", "training_days"}

    def check(activity_type, name, value, words):
        response = client.post(API, json=activity_body(activity_type, **{name: value}))
        error = error_at(response, ["body", name])
        assert error["type"] == "int_type"
        assert words in error["msg"]

    run_cases(
        (
            (f"{name}={kind}", activity_type, name, value, words)
            for activity_type, name in counts
            for kind, (value, words) in NOT_INTEGERS.items()
        ),
        check,
    )
    assert count_rows(engine, Activity) == before


def test_every_boolean_field_refuses_numbers_and_words_on_create(client, engine):
    before = count_rows(engine, Activity)
    booleans = _fields_of(Widget.BOOL)
    assert {name for _, name in booleans} >= {"overnight", "alert_closed", "self_initiated"}

    def check(activity_type, name, value):
        response = client.post(API, json=activity_body(activity_type, **{name: value}))
        error = error_at(response, ["body", name])
        assert (error["type"], error["msg"]) == ("bool_type", "give true or false (JSON booleans)")

    run_cases(
        (
            (f"{name}={kind}", activity_type, name, value)
            for activity_type, name in booleans
            for kind, value in NOT_BOOLEANS.items()
        ),
        check,
    )
    assert count_rows(engine, Activity) == before


def test_patch_refuses_coerced_counts_booleans_and_versions(client):
    created = create_activity(client, activity_body("training"))
    url = f"{API}/{created['id']}"

    def check(body, field, kind):
        response = client.patch(url, json=body)
        assert error_at(response, ["body", field])["type"] == kind

    run_cases(
        [
            (
                "count true",
                {"version": 1, "participants_total": True},
                "participants_total",
                "int_type",
            ),
            (
                "count text",
                {"version": 1, "participants_total": "30"},
                "participants_total",
                "int_type",
            ),
            (
                "count 30.5",
                {"version": 1, "participants_total": 30.5},
                "participants_total",
                "int_type",
            ),
            ("version text", {"version": "1", "title": "Renamed"}, "version", "int_type"),
            ("version true", {"version": True, "title": "Renamed"}, "version", "int_type"),
            ("version 1.5", {"version": 1.5, "title": "Renamed"}, "version", "int_type"),
        ],
        check,
    )
    read = client.get(url).json()
    assert (read["version"], read["participants_total"], read["title"]) == (
        1,
        created["participants_total"],
        created["title"],
    )


def test_a_transition_refuses_a_version_that_is_not_an_integer(client):
    created = create_activity(client, activity_body("meeting"))
    for version in ("1", True, 1.5):
        response = client.post(f"{API}/{created['id']}/submit", json={"version": version})
        assert error_at(response, ["body", "version"])["type"] == "int_type", version
    assert client.get(f"{API}/{created['id']}").json()["status"] == "draft"


def test_real_integers_and_booleans_are_still_taken(client):
    """5.0 is the number 5 in JSON (JSON Schema counts it an integer): it is taken as 5."""
    created = create_activity(
        client,
        activity_body("monitoring_visit", team_size=3.0, persons_observed=0, overnight=True),
    )
    assert (created["team_size"], created["persons_observed"], created["overnight"]) == (3, 0, True)
    patched = client.patch(
        f"{API}/{created['id']}", json={"version": 1, "overnight": False, "team_size": 4}
    )
    assert patched.status_code == 200, patched.text
    assert (patched.json()["overnight"], patched.json()["team_size"]) == (False, 4)


def test_the_form_still_turns_typed_numbers_and_ticks_into_integers_and_booleans(app, client):
    browser = page_client(app)
    assert sign_in(browser).status_code == 303
    browser.get("/activities/new")
    response = browser.post(
        "/activities/new",
        data=visit_form(team_size="2", persons_observed="1 200", overnight="on")
        | {"csrftoken": csrf_token(browser)},
    )
    assert response.status_code == 303, response.text[:2000]
    activity_id = re.fullmatch(r"/activities/(\d+)\?done=created", response.headers["location"])
    assert activity_id, response.headers["location"]
    created = client.get(f"{API}/{activity_id.group(1)}").json()
    assert (created["team_size"], created["persons_observed"], created["overnight"]) == (
        2,
        1200,
        True,
    )
