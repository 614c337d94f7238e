"""Builders and helpers shared by the test files: request bodies, form posts, signing in,
running many cases at once, and counting rows.

Fixtures live in tests/conftest.py; what is here is plain functions, so a test file
imports what it uses and a reader finds every builder in one place.
"""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.accounts.demo_users import DEMO_DOMAIN, DEMO_PASSWORD
from app.accounts.models import User

API = "/api/v1/activities"
DROP = object()  # as an override: leave this key out of the body
FOCAL_POINT_MKD = f"fp.mkd@{DEMO_DOMAIN}"

# What each activity type needs besides the common fields, with a valid example value each.
TYPE_EXAMPLES = {
    "monitoring_visit": {
        "dimension": "politico_military",
        "response_area": "monitoring",
        "team": "Police development unit team",
        "team_size": 2,
        "overnight": False,
        "persons_observed": 350,
        "observations": "Long queues at the crossing.",
        "findings": ["overcrowding", "understaffing"],
        "alert_level": "low",
        "alert_closed": False,
    },
    "training": {
        "dimension": "politico_military",
        "response_area": "policing_crime",
        "target_groups": ["border_police"],
        "participants_total": 24,
        "participants_women": 9,
        "participants_men": 15,
        "training_days": 2,
    },
    "report": {
        "dimension": "cross_dimensional",
        "response_area": "reporting_liaising",
        "reference_number": "SEC.FR/999/16",
        "report_kind": "spot",
        "recipients": ["cpc"],
        "self_initiated": True,
        "period_from": "2016-02",
        "period_to": "2016-03",
    },
    "meeting": {
        "dimension": "cross_dimensional",
        "response_area": "reporting_liaising",
        "meeting_kind": "coordination",
        "meeting_level": "working_level",
        "organisations_present": "UNHCR, IOM, Red Cross",
    },
    "event": {
        "dimension": "human",
        "response_area": "human_rights",
        "event_kind": "workshop",
        "attendees": 40,
        "outcome": "Recommendations adopted.",
    },
    "awareness": {
        "dimension": "human",
        "response_area": "awareness_raising",
        "audience_reached": 500,
    },
    "assistance": {
        "dimension": "politico_military",
        "response_area": "policing_crime",
        "assistance_kind": "equipment",
    },
    "research_support": {
        "dimension": "cross_dimensional",
        "response_area": "research",
        "research_topic": "Migration and local communities",
    },
}


def _without_dropped(data: dict) -> dict:
    return {k: v for k, v in data.items() if v is not DROP}


# --- API bodies ------------------------------------------------------------------------------


def activity_body(activity_type: str = "meeting", **overrides) -> dict:
    """A full, valid create body for an MKD-led activity of `activity_type`: every common
    field filled in and the type's own fields from TYPE_EXAMPLES; `overrides` win
    (DROP leaves a key out)."""
    data = {
        "mission": "MKD",
        "type": activity_type,
        "title": f"Test {activity_type.replace('_', ' ')} at Gevgelija",
        "start": "2016-03-15",
        "summary": "Written by the API tests.",
        "source": "tests",
        "themes": ["border_management"],
        "locations": ["gevgelija"],
        "partners": ["unhcr"],
        **TYPE_EXAMPLES[activity_type],
    }
    data.update(overrides)
    return _without_dropped(data)


def meeting_body(mission: str = "MKD", **overrides) -> dict:
    """The smallest valid create body: a coordination meeting led by `mission`, with no
    themes, places or partners (the fields of `meeting_form`); `overrides` win (DROP leaves
    a key out)."""
    return _without_dropped({"mission": mission, **meeting_form(), **overrides})


def create_activity(client: TestClient, body: dict) -> dict:
    """POST `body` to the activities API; the created activity (the test fails unless 201)."""
    response = client.post(API, json=body)
    assert response.status_code == 201, response.text
    return response.json()


def all_activities(client: TestClient, **params) -> list[dict]:
    """Every activity the list API gives `client` for these filters, following next_cursor."""
    items, cursor = [], None
    while True:
        query = {**params, "limit": 200, **({"cursor": cursor} if cursor else {})}
        response = client.get(API, params=query)
        assert response.status_code == 200, f"{params}: {response.text[:300]}"
        body = response.json()
        items += body["items"]
        cursor = body["next_cursor"]
        if not cursor:
            return items


def errors_of(response) -> list[dict]:
    """The `detail` list of a 422 answer, checking each error has a loc, a type and words."""
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, list) and detail
    for err in detail:
        assert set(err) >= {"loc", "msg", "type"}
        assert isinstance(err["msg"], str) and err["msg"]
    return detail


def error_at(response, loc: list) -> dict:
    """The error whose loc is `loc`; fails listing every error when there is none."""
    detail = errors_of(response)
    found = [e for e in detail if e["loc"] == loc]
    assert found, f"no error at {loc}: {detail}"
    return found[0]


# --- page forms (what a browser posts: strings and lists) ------------------------------------


def meeting_form(**overrides) -> dict:
    """The activity form filled in for the smallest valid record, a coordination meeting;
    the form takes the mission from the person signed in."""
    form = {
        "type": "meeting",
        "title": "Coordination meeting with UNHCR",
        "start": "2016-03-02",
        "dimension": "cross_dimensional",
        "response_area": "reporting_liaising",
        "meeting_kind": "coordination",
    }
    form.update(overrides)
    return form


def visit_form(**overrides) -> dict:
    """What a focal point types to log a monitoring visit."""
    form = {
        "type": "monitoring_visit",
        "title": "PDU visit to Gevgelija",
        "start": "2015-11-19",
        "end": "",
        "dimension": "politico_military",
        "response_area": "monitoring",
        "themes": ["border_management", "early_warning"],
        "locations": ["gevgelija"],
        "partners": ["unhcr"],
        "project": "",
        "summary": "Long queues; police understaffed at night.",
        "source": "own observation",
        "team": "Police development unit team",
        "team_size": "2",
        "persons_observed": "350",
        "observations": "Queues of several hundred people.",
        "findings": ["understaffing", "overcrowding"],
        "alert_level": "elevated",
        "_action": "save",
    }
    form.update(overrides)
    return form


def training_form(**overrides) -> dict:
    """What a focal point types to log a training: the visit's common fields, the
    training's own fields instead of the visit's."""
    form = visit_form(
        type="training",
        title="Training for border police",
        start="2016-03",
        response_area="policing_crime",
        themes=["anti_trafficking"],
    )
    for name in ("team", "team_size", "persons_observed", "observations", "findings"):
        form.pop(name)
    form.pop("alert_level")
    form.update(
        {
            "target_groups": "border_police",
            "participants_total": "24",
            "participants_women": "9",
            "participants_men": "15",
            "training_days": "2",
        }
    )
    form.update(overrides)
    return form


# --- signing in as a person in a browser -----------------------------------------------------


def page_client(app) -> TestClient:
    """A client that keeps cookies and sees redirects, as a browser would before following."""
    return TestClient(app, raise_server_exceptions=False, follow_redirects=False)


def csrf_token(client: TestClient) -> str | None:
    """The CSRF token a browser would send back: the value of the csrftoken cookie."""
    return client.cookies.get("csrftoken")


def sign_in(
    client: TestClient, email: str = FOCAL_POINT_MKD, password: str = DEMO_PASSWORD, next="/"
):
    """Open the sign-in page (for the CSRF cookie) and post the form; the answer to the post."""
    client.get("/login")
    return client.post(
        "/login",
        data={"email": email, "password": password, "next": next, "csrftoken": csrf_token(client)},
    )


# --- running many cases ----------------------------------------------------------------------


def run_cases(cases, check) -> None:
    """Run `check(*args)` for every (case_id, *args); fail once, naming every case that failed.

    The cases share one database, which keeps the suite fast on PostgreSQL.
    """
    failures = []
    for case_id, *args in cases:
        try:
            check(*args)
        except AssertionError as exc:
            failures.append(f"{case_id}: {' '.join(str(exc).split())[:400]}")
    assert not failures, f"{len(failures)} case(s) failed:\n" + "\n".join(failures)


# --- reading the database --------------------------------------------------------------------


def demo_user(session, who: str) -> User:
    """The demo user whose email starts with `who@` ('fp.mkd', 'hom.srb', 'cpc', 'admin')."""
    user = session.scalar(select(User).where(User.email.like(f"{who}@%")))
    assert user is not None, f"no demo user {who}"
    return user


def count_rows(engine, table, *where) -> int:
    """How many rows of `table` (a model, table or column) match `where`, read on a fresh
    connection so it sees what the app committed."""
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(table).where(*where))
