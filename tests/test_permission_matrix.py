"""Every route × every role × own mission / other mission / nobody signed in.

The table below is the policy written out by hand (README "Roles"), independent
of app/accounts/policy.py. The route table is read from the app: a route without
a Permission, or without a row here, fails the test.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from fastapi.routing import APIRoute, iter_route_contexts

from app.accounts import saved_views
from app.accounts import service as accounts
from app.accounts.deps import Permission
from app.activities import service as activities
from app.activities.schemas import ActivityCreate
from app.exchange import jobs
from app.notifications.models import Notice
from app.vocab import Provenance, Status
from tests.support import csrf_token, demo_user, meeting_body, meeting_form

SUBJECTS = ["anon", "fp", "hom", "cpc", "admin"]
CONTEXTS = ["own", "other"]
WHO = {"anon": None, "fp": "fp.mkd", "hom": "hom.mkd", "cpc": "cpc", "admin": "admin"}
MISSION = {"own": "MKD", "other": "SRB"}
LOGIN = "login"  # pages send people who are not signed in to the sign-in page


@dataclass
class Case:
    """How to call one route, and what each subject gets, in each context.

    `expect` maps subject -> status, or subject -> {context: status}.
    `status` is the record's workflow state for routes on one activity.
    """

    method: str
    path: str
    expect: dict
    status: str | None = None
    body: dict | None = None
    form: dict | None = None
    params: dict = field(default_factory=dict)


def _all(code, anon=401):
    return {"anon": anon, "fp": code, "hom": code, "cpc": code, "admin": code}


READ_DRAFT = {
    "anon": 401,
    "fp": {"own": 200, "other": 404},
    "hom": {"own": 200, "other": 404},
    "cpc": 404,
    "admin": 404,
}
READ_SUBMITTED = {**READ_DRAFT, "cpc": 200}
# A row of one's own (a token, a saved view, a notice): changed for its owner, not found
# for everyone else.
OWN_ONLY = {
    "anon": LOGIN,
    **{who: {"own": 303, "other": 404} for who in ("fp", "hom", "cpc", "admin")},
}
READ_APPROVED = _all(200)
# A job (app/exchange/jobs.py) is read by its owner only.
OWN_JOB = {
    "anon": LOGIN,
    **{who: {"own": 200, "other": 404} for who in ("fp", "hom", "cpc", "admin")},
}

CASES = [
    # reference data and dashboards: every signed-in role reads, nobody else
    Case("GET", "/api/v1/missions", _all(200)),
    Case("GET", "/api/v1/missions/{code}", _all(200)),
    Case("GET", "/api/v1/locations", _all(200)),
    Case("GET", "/api/v1/partners", _all(200)),
    Case("GET", "/api/v1/focal-points", _all(200)),
    Case("GET", "/api/v1/projects", _all(200)),
    Case("GET", "/api/v1/developments", _all(200)),
    Case("GET", "/api/v1/missions/{code}/summary", _all(200)),
    Case("GET", "/api/v1/missions/{code}/dashboard", _all(200)),
    Case("GET", "/api/v1/compare", _all(200)),
    Case("GET", "/api/v1/activities", _all(200)),
    # one activity: visibility by status and mission
    Case("GET", "/api/v1/activities/{activity_id}", READ_DRAFT, status="draft"),
    Case("GET", "/api/v1/activities/{activity_id}", READ_SUBMITTED, status="submitted"),
    Case("GET", "/api/v1/activities/{activity_id}", READ_APPROVED, status="approved"),
    Case("GET", "/api/v1/activities/{activity_id}/history", READ_DRAFT, status="draft"),
    Case("GET", "/api/v1/activities/{activity_id}/history", READ_APPROVED, status="approved"),
    # creating: mission staff, for their own mission only
    Case(
        "POST",
        "/api/v1/activities",
        {
            "anon": 401,
            "fp": {"own": 201, "other": 403},
            "hom": {"own": 201, "other": 403},
            "cpc": 403,
            "admin": 403,
        },
        body={},
    ),
    # editing: drafts by the mission's staff; approved ones by its head of mission only
    Case(
        "PATCH",
        "/api/v1/activities/{activity_id}",
        {
            "anon": 401,
            "fp": {"own": 200, "other": 404},
            "hom": {"own": 200, "other": 404},
            "cpc": 403,
            "admin": 403,
        },
        status="draft",
        body={"title": "Changed title"},
    ),
    Case(
        "PATCH",
        "/api/v1/activities/{activity_id}",
        {"anon": 401, "fp": 403, "hom": {"own": 200, "other": 403}, "cpc": 403, "admin": 403},
        status="approved",
        body={"title": "Changed title"},
    ),
    Case(
        "PATCH",
        "/api/v1/activities/{activity_id}",
        {
            "anon": 401,
            "fp": {"own": 403, "other": 404},
            "hom": {"own": 200, "other": 404},
            "cpc": 403,
            "admin": 403,
        },
        status="submitted",
        body={"title": "Changed title"},
    ),
    Case(
        "DELETE",
        "/api/v1/activities/{activity_id}",
        {
            "anon": 401,
            "fp": {"own": 204, "other": 404},
            "hom": {"own": 204, "other": 404},
            "cpc": 403,
            "admin": 403,
        },
        status="draft",
    ),
    Case(
        "DELETE",
        "/api/v1/activities/{activity_id}",
        {"anon": 401, "fp": 403, "hom": 403, "cpc": 403, "admin": 403},
        status="approved",
    ),
    # the workflow
    Case(
        "POST",
        "/api/v1/activities/{activity_id}/submit",
        {
            "anon": 401,
            "fp": {"own": 200, "other": 404},
            "hom": {"own": 200, "other": 404},
            "cpc": 403,
            "admin": 403,
        },
        status="draft",
        body={},
    ),
    Case(
        "POST",
        "/api/v1/activities/{activity_id}/approve",
        {"anon": 401, "fp": 403, "hom": {"own": 200, "other": 404}, "cpc": 403, "admin": 403},
        status="submitted",
        body={},
    ),
    Case(
        "POST",
        "/api/v1/activities/{activity_id}/return",
        {"anon": 401, "fp": 403, "hom": {"own": 200, "other": 404}, "cpc": 403, "admin": 403},
        status="submitted",
        body={"comment": "Add the number of persons observed."},
    ),
    # pages and operations
    Case("GET", "/healthz", _all(200, anon=200)),
    Case("GET", "/sw.js", _all(200, anon=200)),
    Case("GET", "/missions/{code}", _all(200, anon=LOGIN)),
    Case("GET", "/compare", _all(200, anon=LOGIN)),
    Case("GET", "/login", {"anon": 200, "fp": 303, "hom": 303, "cpc": 303, "admin": 303}),
    Case("POST", "/login", _all(401, anon=401), form={"email": "x@y.z", "password": "nope"}),
    Case("POST", "/logout", _all(303, anon=LOGIN), form={}),
    Case("GET", "/", _all(303, anon=LOGIN)),
    Case("GET", "/my-work", {**_all(403, anon=LOGIN), "fp": 200, "hom": 200}),
    Case("GET", "/docs", _all(200, anon=LOGIN)),
    Case("GET", "/openapi.json", _all(200)),
    Case("GET", "/account", _all(200, anon=LOGIN)),
    Case("POST", "/account/tokens", _all(200, anon=LOGIN), form={"name": "laptop", "days": "7"}),
    Case(
        "POST",
        "/account/tokens/{token_id}/revoke",
        OWN_ONLY,
        form={},
    ),
    Case("GET", "/saved-views", _all(200, anon=LOGIN)),
    Case(
        "POST",
        "/saved-views",
        _all(303, anon=LOGIN),
        form={"name": "View {context}", "address": "/activities?mission=MKD"},
    ),
    Case(
        "POST",
        "/saved-views/{view_id}/delete",
        OWN_ONLY,
        form={},
    ),
    # notifications: everyone signed in has their own; someone else's notice is not found
    Case("GET", "/notifications", _all(200, anon=LOGIN)),
    Case(
        "POST",
        "/notifications/{notice_id}/read",
        OWN_ONLY,
        form={"read": "true"},
    ),
    Case("POST", "/notifications/read-all", _all(303, anon=LOGIN), form={}),
    Case("POST", "/notifications/preferences", _all(303, anon=LOGIN), form={"returned": "digest"}),
    Case("GET", "/admin/users", {**_all(403, anon=LOGIN), "admin": 200}),
    Case(
        "POST",
        "/admin/users",
        {**_all(403, anon=LOGIN), "admin": 303},
        form={
            "email": "new.person.{context}@osce.example",
            "name": "New Person",
            "role": "cpc_desk",
            "mission": "",
            "password": "a-long-and-unusual-passphrase",
        },
    ),
    Case(
        "POST",
        "/admin/users/{user_id}",
        {**_all(403, anon=LOGIN), "admin": 303},
        form={"role": "focal_point", "mission": "MNE", "active": "true"},
    ),
    # reference data pages: every signed-in role reads; developments are logged by all four
    # roles; locations, partners, projects and focal points are changed by administrators
    Case("GET", "/developments", _all(200, anon=LOGIN)),
    Case("GET", "/focal-points", _all(200, anon=LOGIN)),
    Case("GET", "/locations", _all(200, anon=LOGIN)),
    Case("GET", "/partners", _all(200, anon=LOGIN)),
    Case("GET", "/projects", _all(200, anon=LOGIN)),
    Case("GET", "/developments/new", _all(200, anon=LOGIN)),
    Case(
        "POST",
        "/developments/new",
        _all(303, anon=LOGIN),
        form={"title": "Matrix development ({context})", "country": "Serbia", "date": "2016-03"},
    ),
    # Nobody signed in gets 401 from the API, before the body or the CSRF cookie the anonymous
    # client carries from the pages above are looked at.
    Case(
        "POST",
        "/api/v1/developments",
        _all(201),
        body={"title": "Matrix development", "country": "Western Balkans", "date": "2016-Q1"},
    ),
    Case("GET", "/locations/new", {**_all(403, anon=LOGIN), "admin": 200}),
    Case(
        "POST",
        "/locations/new",
        {**_all(403, anon=LOGIN), "admin": 303},
        form={"code": "matrix-{context}", "name": "Matrix", "kind": "other", "country": "Serbia"},
    ),
    Case("GET", "/partners/new", {**_all(403, anon=LOGIN), "admin": 200}),
    Case(
        "POST",
        "/partners/new",
        {**_all(403, anon=LOGIN), "admin": 303},
        form={"code": "matrix-{context}", "name": "Matrix", "kind": "ngo"},
    ),
    Case("GET", "/projects/new", {**_all(403, anon=LOGIN), "admin": 200}),
    Case(
        "POST",
        "/projects/new",
        {**_all(403, anon=LOGIN), "admin": 303},
        form={
            "code": "matrix-{context}",
            "title": "Matrix",
            "mission": "MKD",
            "funding": "unified_budget",
        },
    ),
    Case("GET", "/focal-points/new", {**_all(403, anon=LOGIN), "admin": 200}),
    Case(
        "POST",
        "/focal-points/new",
        {**_all(403, anon=LOGIN), "admin": 303},
        form={
            "code": "matrix-{context}",
            "mission": "MNE",
            "area": "migration",
            "holder": "Migration focal point",
            "start": "2016",
        },
    ),
    # The matrix fills {code} with a mission code (MKD, SRB), which names no location, partner,
    # project or appointment: the administrator passes the permission and finds nothing (404);
    # everyone else is refused first. tests/test_reference_pages.py edits real records.
    Case("GET", "/locations/{code}/edit", {**_all(403, anon=LOGIN), "admin": 404}),
    Case(
        "POST",
        "/locations/{code}/edit",
        {**_all(403, anon=LOGIN), "admin": 404},
        form={"name": "Matrix", "kind": "other", "country": "Serbia"},
    ),
    Case("GET", "/partners/{code}/edit", {**_all(403, anon=LOGIN), "admin": 404}),
    Case(
        "POST",
        "/partners/{code}/edit",
        {**_all(403, anon=LOGIN), "admin": 404},
        form={"name": "Matrix", "kind": "ngo"},
    ),
    Case("GET", "/projects/{code}/edit", {**_all(403, anon=LOGIN), "admin": 404}),
    Case(
        "POST",
        "/projects/{code}/edit",
        {**_all(403, anon=LOGIN), "admin": 404},
        form={"title": "Matrix", "mission": "MKD", "funding": "unified_budget"},
    ),
    Case("GET", "/focal-points/{code}/edit", {**_all(403, anon=LOGIN), "admin": 404}),
    Case(
        "POST",
        "/focal-points/{code}/edit",
        {**_all(403, anon=LOGIN), "admin": 404},
        form={"mission": "MNE", "area": "migration", "holder": "Matrix", "start": "2016"},
    ),
    # activity pages: the API's rules, with sign-in redirects and 303s after form posts
    Case("GET", "/activities", _all(200, anon=LOGIN)),
    Case("GET", "/activities/new", {**_all(403, anon=LOGIN), "fp": 200, "hom": 200}),
    Case(
        "POST",
        "/activities/new",
        {**_all(403, anon=LOGIN), "fp": 303, "hom": 303},
        form=meeting_form(),
    ),
    Case("GET", "/activities/{activity_id}", {**READ_DRAFT, "anon": LOGIN}, status="draft"),
    Case("GET", "/activities/{activity_id}", {**READ_SUBMITTED, "anon": LOGIN}, status="submitted"),
    Case("GET", "/activities/{activity_id}", _all(200, anon=LOGIN), status="approved"),
    Case(
        "GET",
        "/activities/{activity_id}/edit",
        {
            "anon": LOGIN,
            "fp": {"own": 200, "other": 404},
            "hom": {"own": 200, "other": 404},
            "cpc": 403,
            "admin": 403,
        },
        status="draft",
    ),
    Case(
        "GET",
        "/activities/{activity_id}/edit",
        {"anon": LOGIN, "fp": 403, "hom": {"own": 200, "other": 403}, "cpc": 403, "admin": 403},
        status="approved",
    ),
    Case(
        "POST",
        "/activities/{activity_id}/edit",
        {
            "anon": LOGIN,
            "fp": {"own": 303, "other": 404},
            "hom": {"own": 303, "other": 404},
            "cpc": 403,
            "admin": 403,
        },
        status="draft",
        form=meeting_form(version="1", title="Changed title"),
    ),
    Case(
        "POST",
        "/activities/{activity_id}/edit",
        {"anon": LOGIN, "fp": 403, "hom": {"own": 303, "other": 403}, "cpc": 403, "admin": 403},
        status="approved",
        form=meeting_form(version="1", title="Changed title"),
    ),
    Case(
        "POST",
        "/activities/{activity_id}/edit",
        {
            "anon": LOGIN,
            "fp": {"own": 403, "other": 404},
            "hom": {"own": 303, "other": 404},
            "cpc": 403,
            "admin": 403,
        },
        status="submitted",
        form=meeting_form(version="1", title="Changed title"),
    ),
    Case(
        "GET",
        "/activities/{activity_id}/delete",
        {
            "anon": LOGIN,
            "fp": {"own": 200, "other": 404},
            "hom": {"own": 200, "other": 404},
            "cpc": 403,
            "admin": 403,
        },
        status="draft",
    ),
    Case(
        "GET",
        "/activities/{activity_id}/delete",
        {"anon": LOGIN, "fp": 403, "hom": 403, "cpc": 403, "admin": 403},
        status="approved",
    ),
    Case(
        "POST",
        "/activities/{activity_id}/delete",
        {
            "anon": LOGIN,
            "fp": {"own": 303, "other": 404},
            "hom": {"own": 303, "other": 404},
            "cpc": 403,
            "admin": 403,
        },
        status="draft",
        form={"version": "1"},
    ),
    Case(
        "POST",
        "/activities/{activity_id}/delete",
        {"anon": LOGIN, "fp": 403, "hom": 403, "cpc": 403, "admin": 403},
        status="approved",
        form={"version": "1"},
    ),
    Case(
        "POST",
        "/activities/{activity_id}/submit",
        {
            "anon": LOGIN,
            "fp": {"own": 303, "other": 404},
            "hom": {"own": 303, "other": 404},
            "cpc": 403,
            "admin": 403,
        },
        status="draft",
        form={"version": "1"},
    ),
    Case(
        "POST",
        "/activities/{activity_id}/approve",
        {"anon": LOGIN, "fp": 403, "hom": {"own": 303, "other": 404}, "cpc": 403, "admin": 403},
        status="submitted",
        form={"version": "1"},
    ),
    Case(
        "POST",
        "/activities/{activity_id}/return",
        {"anon": LOGIN, "fp": 403, "hom": {"own": 303, "other": 404}, "cpc": 403, "admin": 403},
        status="submitted",
        form={"version": "1", "comment": "Add the number of persons observed."},
    ),
    # exchange: importing is for mission staff (into their own mission; an empty post is a
    # 422 that names the missing file); exports, templates and reports are for every
    # signed-in role, filtered by what each may see
    Case("GET", "/imports", _all(200, anon=LOGIN)),
    Case("POST", "/imports", {**_all(403, anon=LOGIN), "fp": 422, "hom": 422}, form={}),
    Case("POST", "/api/v1/imports", {**_all(403, anon=401), "fp": 422, "hom": 422}, body={}),
    Case("GET", "/api/v1/imports/template.csv", _all(200)),
    Case("GET", "/api/v1/imports/template.xlsx", _all(200)),
    Case("GET", "/api/v1/exports/activities.csv", _all(200)),
    Case("GET", "/api/v1/exports/activities.xlsx", _all(200)),
    Case("GET", "/api/v1/exports/activities.json", _all(200)),
    Case("GET", "/exports/activities.csv", _all(200, anon=LOGIN)),
    Case("GET", "/exports/activities.xlsx", _all(200, anon=LOGIN)),
    Case("GET", "/exports/activities.json", _all(200, anon=LOGIN)),
    Case("GET", "/missions/{code}/report", _all(200, anon=LOGIN)),
    Case("GET", "/missions/{code}/report.docx", _all(200, anon=LOGIN)),
    Case("GET", "/report", _all(200, anon=LOGIN)),
    Case("GET", "/report.docx", _all(200, anon=LOGIN)),
    # jobs (long imports, exports, reports): each its owner's alone; anyone signed in may
    # start an export or a report (of what they may see)
    Case("GET", "/jobs", _all(200, anon=LOGIN)),
    Case("GET", "/jobs/{job_id}", OWN_JOB),
    Case("GET", "/jobs/{job_id}/status", OWN_JOB),
    Case("GET", "/jobs/{job_id}/download", OWN_JOB),
    Case(
        "POST",
        "/jobs/export",
        _all(303, anon=LOGIN),
        form={"mission": "MKD", "from": "2016-01", "to": "2016-01", "format": "csv"},
    ),
    Case("POST", "/jobs/report", _all(303, anon=LOGIN), form={"from": "2016-01", "to": "2016-01"}),
]


def _api_routes(app) -> list[tuple[str, set[str], APIRoute]]:
    """(path, methods, route) for every route the app serves, included routers too."""
    found = []
    for ctx in iter_route_contexts(app.routes):
        if isinstance(ctx.original_route, APIRoute):
            found.append((ctx.path, set(ctx.methods or ()), ctx.original_route))
    return found


def _route_keys(app) -> set[tuple[str, str]]:
    return {(method, path) for path, methods, _ in _api_routes(app) for method in methods}


def _permissions(dependant) -> list[Permission]:
    found = []
    for dep in dependant.dependencies:
        if isinstance(dep.call, Permission):
            found.append(dep.call)
        found.extend(_permissions(dep))
    return found


def test_every_route_declares_a_permission(app):
    routes = _api_routes(app)
    assert len(routes) > 30, "the route table looks empty: is the app's router read right?"
    missing = [
        f"{sorted(methods)} {path}"
        for path, methods, route in routes
        if not _permissions(route.dependant)
    ]
    assert not missing, f"routes without a Permission dependency: {missing}"


def test_every_route_is_in_the_matrix(app):
    covered = {(c.method, c.path) for c in CASES}
    missing = _route_keys(app) - covered
    assert not missing, f"routes missing from the permission matrix: {sorted(missing)}"
    stale = covered - _route_keys(app)
    assert not stale, f"matrix rows for routes that no longer exist: {sorted(stale)}"


def _make_activity(session, mission: str, status: str) -> int:
    activity = activities.create(
        session,
        data=ActivityCreate(**meeting_body(mission)),
        status=Status(status),
        provenance=Provenance.ENTERED,
    )
    session.commit()
    return activity.id


def _expected(case: Case, subject: str, context: str):
    value = case.expect[subject]
    return value[context] if isinstance(value, dict) else value


def _call(client, case: Case, subject: str, context: str, session, tokens):
    path = case.path.replace("{code}", MISSION[context])
    body = case.body
    if "{activity_id}" in path:
        activity_id = _make_activity(session, MISSION[context], case.status)
        path = path.replace("{activity_id}", str(activity_id))
        if (
            body is not None
            and case.method != "POST"
            or path.endswith(("/submit", "/approve", "/return"))
        ):
            body = {**(body or {}), "version": 1}
        params = {"version": 1} if case.method == "DELETE" else {}
    else:
        params = {}
    if case.path == "/api/v1/activities" and case.method == "POST":
        body = meeting_body(MISSION[context])
    if "{token_id}" in path:
        # a fresh token of the caller's (own) or of someone else's (other), never the
        # token the test client signs in with
        owner = WHO[subject] if context == "own" else "hom.srb"
        token, _ = accounts.create_token(
            session, user=demo_user(session, owner), name="to revoke", days=1
        )
        session.commit()
        path = path.replace("{token_id}", str(token.id))
    if "{view_id}" in path:
        # a fresh saved view of the caller's (own) or of someone else's (other)
        owner = WHO[subject] if context == "own" else "hom.srb"
        view = saved_views.save(
            session,
            user=demo_user(session, owner),
            name=f"to delete {subject} {context} {case.method}",
            address="/compare",
            shared=False,
        )
        session.commit()
        path = path.replace("{view_id}", str(view.id))
    if "{notice_id}" in path:
        owner = WHO[subject] if context == "own" else "hom.srb"
        notice = Notice(user_id=demo_user(session, owner).id, kind="account", text="matrix")
        session.add(notice)
        session.commit()
        path = path.replace("{notice_id}", str(notice.id))
    if "{job_id}" in path:
        owner = WHO[subject] if context == "own" else "hom.srb"
        job = jobs.create(
            session, kind="export", owner_id=demo_user(session, owner).id, title="m", params={}
        )
        jobs.finish(session, job.id, jobs.Outcome(True, "ok", output=b"x", output_name="m.csv"))
        session.commit()
        path = path.replace("{job_id}", str(job.id))
    if "{user_id}" in path:
        path = path.replace("{user_id}", str(demo_user(session, "fp.mne").id))
    session.rollback()  # end the read transaction: the request may need the write lock
    if case.form is not None:
        # as a browser would: the form carries the CSRF cookie's token once it has one
        form = {k: v.replace("{context}", context) for k, v in case.form.items()}
        if csrf_token(client):
            form["csrftoken"] = csrf_token(client)
        return client.request(case.method, path, data=form, params=params, follow_redirects=False)
    return client.request(case.method, path, json=body, params=params, follow_redirects=False)


@pytest.mark.parametrize("subject", SUBJECTS)
def test_permission_matrix(subject, client_as, session, tokens):
    client = client_as(WHO[subject])
    failures = []
    for case in CASES:
        for context in CONTEXTS:
            if (
                subject == "anon"
                and "_id}" in case.path
                and context == "other"
                and any(f"{{{name}}}" in case.path for name in ("token_id", "view_id", "job_id"))
            ):
                continue
            expected = _expected(case, subject, context)
            response = _call(
                client, case, subject if subject != "anon" else "fp", context, session, tokens
            )
            got = response.status_code
            if expected == LOGIN:
                ok = got == 303 and response.headers["location"].startswith("/login")
            else:
                ok = got == expected
            if not ok:
                failures.append(
                    f"{case.method} {case.path} [{case.status or '-'}] as {subject}/{context}: "
                    f"expected {expected}, got {got} {response.text[:120]}"
                )
    assert not failures, "\n".join(failures)
