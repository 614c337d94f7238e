"""The reference-data pages: developments, focal points, locations, partners, projects.

Lists for every signed-in user; developments logged by focal points, heads of mission, the CPC
desk and administrators (pages and POST /api/v1/developments); the other forms for
administrators only. Every change is audited; a refused form keeps what was typed, shows each
error next to its field and writes nothing.
"""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.missions.models import Development, FocalPointAppointment, Location, Partner, Project
from tests.support import demo_user

LISTS = ["/developments", "/focal-points", "/locations", "/partners", "/projects"]
SIGNED_IN = ["fp.mkd", "hom.mkd", "cpc", "admin"]
NOT_ADMIN = ["fp.mkd", "hom.mkd", "cpc"]


# --- helpers ---------------------------------------------------------------------------------


def page(client, path: str, status: int = 200, **params) -> str:
    response = client.get(path, params=params, follow_redirects=False)
    assert response.status_code == status, f"{path} {params}: {response.text[:300]}"
    assert response.headers["content-type"].startswith("text/html")
    return response.text


def post(client, path: str, form: dict):
    return client.post(path, data=form, follow_redirects=False)


def row(text: str, row_id: str) -> str:
    """The HTML of one table row, found by its id."""
    match = re.search(rf'<tr id="{row_id}">(.*?)</tr>', text, re.S)
    assert match, f"no row {row_id}"
    return match.group(1)


def control(text: str, name: str) -> str:
    """The opening tag of the form control for field `name`."""
    match = re.search(rf'<(?:input|select|textarea)\b[^>]*\bid="f-{name}"[^>]*>', text)
    assert match, f"no control for {name}"
    return match.group(0)


def assert_field_error(text: str, name: str) -> None:
    tag = control(text, name)
    assert 'aria-invalid="true"' in tag, tag
    assert f"f-{name}-error" in tag, tag
    assert f'id="f-{name}-error"' in text


def audit_entries(session, entity: str, entity_id: int) -> list[AuditEntry]:
    session.rollback()  # see what the app committed
    return list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity == entity, AuditEntry.entity_id == entity_id)
            .order_by(AuditEntry.id)
        )
    )


def counts(session) -> tuple[int, ...]:
    session.rollback()
    models = (Development, Location, Partner, Project, FocalPointAppointment, AuditEntry)
    return tuple(session.scalar(select(func.count()).select_from(m)) for m in models)


# --- lists -----------------------------------------------------------------------------------


@pytest.mark.parametrize("who", SIGNED_IN)
def test_every_list_renders_for_every_signed_in_role(client_as, who):
    client = client_as(who)
    for path in LISTS:
        text = page(client, path)
        assert "<h1>" in text and 'class="intro"' in text, path
        assert 'class="table-wrap"' in text and "<table" in text, path
        assert 'aria-current="page"' in text, path


def test_lists_show_the_seed_data(client_as):
    client = client_as("fp.mkd")
    developments = page(client, "/developments")
    # newest first, each date only as precise as its source
    assert developments.index("Decision No. 3/16") < developments.index("Kosovo exodus")
    assert "Q3 2015" in developments  # the opening of the route: a quarter, never a day
    assert '<time datetime="2015-09">Sep 2015</time>' in developments  # Horgoš
    assert "001 §4.2" in developments  # the source
    locations = page(client, "/locations")
    assert "Tabanovce" in locations and "Border crossing point" in locations
    assert "41.132, 22.509" in locations  # the Gevgelija office container's coordinates
    partners = page(client, "/partners")
    assert "United Nations High Commissioner for Refugees" in partners and "UNHCR" in partners
    projects = page(client, "/projects")
    assert "Mobile Police Station" in projects and "Extra-budgetary" in projects
    assert "Jan 2016 – Jun 2017" in projects  # the 18-month child-protection project
    assert "not known" in projects  # a project without dates says so


def test_focal_points_show_who_has_a_migration_focal_point(client_as):
    text = page(client_as("cpc"), "/focal-points")
    assert "2012" in row(text, "mfp-ALB")
    srb = row(text, "mfp-SRB")
    assert "2015" in srb and "Q1" not in srb  # "early 2015" is the year, not a quarter
    assert "Aug 2015" in row(text, "mfp-MKD")
    for code in ("ALB", "SRB", "MKD"):
        assert "No migration focal point" not in row(text, f"mfp-{code}")
    for code in ("KOS", "BIH", "MNE"):
        assert "No migration focal point" in row(text, f"mfp-{code}")
    # Kosovo: covered by the second-dimension focal point
    assert "Second dimension" in row(text, "mfp-KOS")
    notice = re.search(r'id="no-migration-focal-point">(.*?)</p>', text, re.S).group(1)
    for name in ("Bosnia and Herzegovina", "Kosovo", "Montenegro"):
        assert name in notice
    assert "Albania" not in notice


def test_list_filters(client_as):
    client = client_as("hom.srb")
    serbia = page(client, "/developments", country="Serbia")
    assert "Horgoš" in serbia and "Balkans route" in serbia  # region-wide ones too
    assert "Kosovo exodus" not in serbia
    in_2016 = page(client, "/developments", **{"from": "2016", "to": "2016-Q2"})
    assert (
        "Closing of the" in in_2016
        and "Horgoš" not in in_2016
        and "Decision No. 3/16" not in in_2016
    )
    crossings = page(client, "/locations", kind="border_crossing")
    assert "Gevgelija" in crossings and "Bujanovac field office" not in crossings
    assert "Tabanovce" not in crossings  # the study names no crossing there
    assert "Sarajevo" in page(client, "/locations", country="Bosnia and Herzegovina")
    assert "Tabanovce" not in page(client, "/locations", country="Bosnia and Herzegovina")
    un = page(client, "/partners", kind="un_agency")
    assert "UNHCR" in un and "Red Cross" not in un
    albania = page(client, "/projects", mission="ALB")
    assert "Protection of children" in albania and "Mobile Police Station" not in albania


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/developments", {"from": "2015-13"}, "from"),
        ("/developments", {"to": "someday"}, "to"),
        ("/developments", {"from": "2016", "to": "2015"}, "to"),
        ("/developments", {"country": "x" * 500}, "country"),
        ("/locations", {"kind": "castle"}, "kind"),
        ("/partners", {"kind": "x" * 5000}, "kind"),
        ("/projects", {"mission": "XXX"}, "mission"),
    ],
)
def test_bad_filters_are_explained_not_500(client_as, path, params, field):
    text = page(client_as("cpc"), path, status=422, **params)
    assert f'id="q-{field}-error"' in text
    assert "<table" in text or "0 " in text  # the page still answers with its list


@pytest.mark.parametrize("path", ["/developments?country=Ser%00bia", "/locations?country=%00"])
def test_nul_in_a_filter_is_refused_before_the_page(client_as, path):
    response = client_as("cpc").get(path)
    assert response.status_code == 400
    assert "NUL" in response.text


def test_add_and_edit_links_only_for_those_allowed(client_as):
    for who in NOT_ADMIN:
        client = client_as(who)
        assert 'href="/developments/new"' in page(client, "/developments")
        for path in LISTS[1:]:
            text = page(client, path)
            assert f'href="{path}/new"' not in text and "/edit" not in text, (who, path)
    admin = client_as("admin")
    assert 'href="/developments/new"' in page(admin, "/developments")
    for path in LISTS[1:]:
        text = page(admin, path)
        assert f'href="{path}/new"' in text and "/edit" in text, path


# --- developments ----------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["fp.mkd", "cpc"])
def test_logging_a_development_from_the_page(client_as, session, who):
    client = client_as(who)
    form_page = page(client, "/developments/new")
    assert 'name="csrftoken"' in form_page and control(form_page, "date")
    form = {
        "title": "Macedonia lets only Syrians, Iraqis and Afghans cross",
        "country": "Macedonia",
        "date": "2015-11-19",
        "summary": "Border tightening at Gevgelija.",
        "source": "001 §4.2",
    }
    response = post(client, "/developments/new", form)
    assert response.status_code == 303 and response.headers["location"] == "/developments"
    session.rollback()
    dev = session.scalar(select(Development).where(Development.title == form["title"]))
    assert dev.provenance == "entered" and dev.occurred_precision == "day"
    assert dev.code == "macedonia-lets-only-syrians-iraqis-and-afghans-cross-2015-11-19"
    [entry] = audit_entries(session, "development", dev.id)
    assert entry.action == "create" and entry.user_id == demo_user(session, who).id
    assert entry.after["date"] == "2015-11-19" and entry.after["provenance"] == "entered"
    listed = page(client, "/developments")
    assert "19 Nov 2015" in listed and "Entered" in listed
    # the same title and date again gets its own code
    assert post(client, "/developments/new", form).status_code == 303
    session.rollback()
    codes = session.scalars(select(Development.code).where(Development.title == form["title"]))
    assert sorted(codes) == [dev.code, dev.code + "-2"]


def test_a_development_keeps_the_precision_it_was_given(client_as, session):
    client = client_as("hom.srb")
    for date, shown in [("2015", "2015"), ("2015-Q4", "Q4 2015"), ("2015-11", "Nov 2015")]:
        form = {"title": f"Precision {date}", "country": "Serbia", "date": date}
        assert post(client, "/developments/new", form).status_code == 303
        text = page(client, "/developments", country="Serbia")
        [found] = [
            r for r in re.findall(r"<tr>(.*?)</tr>", text, re.S) if f"Precision {date}<" in r
        ]
        first_cell = re.search(r"<td[^>]*>(.*?)</td>", found, re.S).group(1)
        assert re.sub(r"<[^>]+>", "", first_cell).strip() == shown


# --- administrators' forms -------------------------------------------------------------------

ADMIN_FORMS = {
    "location": {
        "list": "/locations",
        "model": Location,
        "new": {
            "code": "presevo-annex",
            "name": "Preševo one-stop centre annex",
            "kind": "transit_centre",
            "country": "Serbia",
            "mission": "SRB",
            "latitude": "42.31",
            "longitude": "21.65",
            "source": "entered in a test",
        },
        "edit": {
            "name": "Preševo annex",
            "kind": "transit_centre",
            "country": "Serbia",
            "mission": "",
            "latitude": "",
            "longitude": "",
            "source": "entered in a test",
        },
        "changed": {"name": "Preševo annex", "mission": None, "latitude": None, "longitude": None},
    },
    "partner": {
        "list": "/partners",
        "model": Partner,
        "new": {
            "code": "legis",
            "name": "Legis",
            "acronym": "",
            "kind": "ngo",
            "country": "Macedonia",
            "source": "",
        },
        "edit": {
            "name": "Legis (Skopje)",
            "acronym": "LEGIS",
            "kind": "ngo",
            "country": "",
            "source": "",
        },
        "changed": {"name": "Legis (Skopje)", "acronym": "LEGIS", "country": None},
    },
    "project": {
        "list": "/projects",
        "model": Project,
        "new": {
            "code": "border-equipment",
            "title": "Equipment for border points",
            "mission": "MKD",
            "funding": "extra_budgetary",
            "start": "2016-Q1",
            "end": "",
            "summary": "",
            "source": "",
        },
        "edit": {
            "title": "Equipment for five border points",
            "mission": "MKD",
            "funding": "unified_budget",
            "start": "2016-Q1",
            "end": "2016-12",
            "summary": "",
            "source": "",
        },
        "changed": {
            "title": "Equipment for five border points",
            "funding": "unified_budget",
            "end": "2016-12",
        },
    },
    "focal_point": {
        "list": "/focal-points",
        "model": FocalPointAppointment,
        "new": {
            "code": "mne-migration",
            "mission": "MNE",
            "area": "migration",
            "holder": "Migration focal point",
            "start": "2016-09",
            "end": "",
            "notes": "",
            "source": "",
        },
        "edit": {
            "mission": "MNE",
            "area": "migration",
            "holder": "Migration focal point",
            "start": "2016-09",
            "end": "2017",
            "notes": "Ended with the project.",
            "source": "",
        },
        "changed": {"end": "2017", "notes": "Ended with the project."},
    },
}


@pytest.mark.parametrize("entity", list(ADMIN_FORMS))
def test_admin_adds_and_edits(client_as, session, entity):
    spec = ADMIN_FORMS[entity]
    admin = client_as("admin")
    path = spec["list"]
    assert control(page(admin, f"{path}/new"), "code")
    response = post(admin, f"{path}/new", spec["new"])
    assert response.status_code == 303, response.text[:500]
    assert response.headers["location"] == path
    session.rollback()
    model, code = spec["model"], spec["new"]["code"]
    record = session.scalar(select(model).where(model.code == code))
    assert record is not None
    [created] = audit_entries(session, entity, record.id)
    assert created.action == "create" and created.user_id == demo_user(session, "admin").id
    assert created.after["code"] == code

    edit_page = page(admin, f"{path}/{code}/edit")
    assert 'id="f-code"' not in edit_page and code in edit_page  # codes do not change
    for name, value in spec["new"].items():
        if name != "code" and value:
            assert f'value="{html.escape(value)}"' in edit_page or value in edit_page, name
    response = post(admin, f"{path}/{code}/edit", spec["edit"])
    assert response.status_code == 303, response.text[:500]
    created_entry, updated = audit_entries(session, entity, record.id)
    assert updated.action == "update" and updated.user_id == demo_user(session, "admin").id
    assert updated.after == spec["changed"]
    assert set(updated.before) == set(spec["changed"])
    for name, value in spec["changed"].items():
        assert updated.before[name] == created_entry.after[name] != value


def test_admin_edit_of_an_unknown_code_is_404(client_as):
    admin = client_as("admin")
    for path in LISTS[1:]:
        for code in ("no-such-thing", "x" * 300):
            assert admin.get(f"{path}/{code}/edit").status_code == 404, (path, code)
            assert post(admin, f"{path}/{code}/edit", {}).status_code == 404, (path, code)
        # a NUL in the address is refused before any page
        assert admin.get(f"{path}/nul%00byte/edit").status_code == 400


ADMIN_PATHS = [f"{p}/new" for p in LISTS[1:]] + [
    "/locations/tirana/edit",
    "/partners/unhcr/edit",
    "/projects/mobile-police-station/edit",
    "/focal-points/alb-migration/edit",
]


@pytest.mark.parametrize("who", NOT_ADMIN)
def test_only_admins_reach_the_admin_forms(client_as, session, who):
    client = client_as(who)
    before = counts(session)
    for path in ADMIN_PATHS:
        assert client.get(path).status_code == 403, path
        form = ADMIN_FORMS["location"]["new"] if path.startswith("/locations") else {}
        assert post(client, path, form).status_code == 403, path
    assert counts(session) == before


def test_anonymous_is_sent_to_sign_in(client_as):
    anonymous = client_as(None)
    for path in [*LISTS, "/developments/new", *ADMIN_PATHS]:
        response = anonymous.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/login?next="), path


# --- refused input ---------------------------------------------------------------------------

VALID_DEVELOPMENT = {"title": "A development", "country": "Serbia", "date": "2016-03"}
VALID_LOCATION = ADMIN_FORMS["location"]["new"]
VALID_FOCAL_POINT = ADMIN_FORMS["focal_point"]["new"]
VALID_PROJECT = ADMIN_FORMS["project"]["new"]

BAD_FORMS = [
    ("title too long", "fp.mkd", "/developments/new", VALID_DEVELOPMENT, {"title": "t" * 301}),
    ("NUL in summary", "cpc", "/developments/new", VALID_DEVELOPMENT, {"summary": "a\x00b"}),
    ("blank title", "cpc", "/developments/new", VALID_DEVELOPMENT, {"title": "   "}),
    ("bad date", "hom.mkd", "/developments/new", VALID_DEVELOPMENT, {"date": "2015-13"}),
    ("no such day", "hom.mkd", "/developments/new", VALID_DEVELOPMENT, {"date": "2015-02-30"}),
    ("date as words", "hom.mkd", "/developments/new", VALID_DEVELOPMENT, {"date": "autumn"}),
    ("country too long", "cpc", "/developments/new", VALID_DEVELOPMENT, {"country": "c" * 81}),
    ("latitude > 90", "admin", "/locations/new", VALID_LOCATION, {"latitude": "95"}),
    ("latitude words", "admin", "/locations/new", VALID_LOCATION, {"latitude": "north"}),
    ("longitude inf", "admin", "/locations/new", VALID_LOCATION, {"longitude": "1e400"}),
    ("longitude nan", "admin", "/locations/new", VALID_LOCATION, {"longitude": "nan"}),
    ("latitude alone", "admin", "/locations/new", VALID_LOCATION, {"longitude": ""}),
    ("unknown mission", "admin", "/locations/new", VALID_LOCATION, {"mission": "XXX"}),
    ("unknown kind", "admin", "/locations/new", VALID_LOCATION, {"kind": "castle"}),
    ("duplicate code", "admin", "/locations/new", VALID_LOCATION, {"code": "tabanovce"}),
    ("bad code", "admin", "/locations/new", VALID_LOCATION, {"code": "Tabanovce 2"}),
    ("long code", "admin", "/locations/new", VALID_LOCATION, {"code": "a" * 81}),
    ("NUL in name", "admin", "/locations/new", VALID_LOCATION, {"name": "Pre\x00ševo"}),
    ("duplicate fp", "admin", "/focal-points/new", VALID_FOCAL_POINT, {"code": "alb-migration"}),
    ("end first", "admin", "/focal-points/new", VALID_FOCAL_POINT, {"end": "2016-Q1"}),
    ("no mission", "admin", "/focal-points/new", VALID_FOCAL_POINT, {"mission": ""}),
    ("bad start", "admin", "/focal-points/new", VALID_FOCAL_POINT, {"start": "2016-00"}),
    ("holder too long", "admin", "/focal-points/new", VALID_FOCAL_POINT, {"holder": "h" * 201}),
    ("project mission", "admin", "/projects/new", VALID_PROJECT, {"mission": "ZZZ"}),
    ("project end", "admin", "/projects/new", VALID_PROJECT, {"end": "2015"}),
    ("edit latitude", "admin", "/locations/tirana/edit", VALID_LOCATION, {"latitude": "-91"}),
    ("edit end", "admin", "/projects/mobile-police-station/edit", VALID_PROJECT, {"end": "x"}),
    (
        "edit fp end",
        "admin",
        "/focal-points/srb-migration/edit",
        VALID_FOCAL_POINT,
        {"end": "2014"},
    ),
]


@pytest.mark.parametrize(
    ("who", "path", "valid", "bad"), [case[1:] for case in BAD_FORMS], ids=[c[0] for c in BAD_FORMS]
)
def test_refused_forms_keep_the_input_explain_and_write_nothing(
    client_as, session, who, path, valid, bad
):
    client = client_as(who)
    before = counts(session)
    form = {**valid, **bad}
    response = post(client, path, form)
    assert response.status_code == 422, response.text[:500]
    text = response.text
    assert "Nothing was saved" in text
    [field] = bad
    assert_field_error(text, field)
    for name, value in form.items():
        if not value or not re.search(rf'id="f-{name}"', text):
            continue  # blank, or not a field of this form (an edit form takes no code)
        if control(text, name).startswith("<select"):
            continue  # a select shows only its own choices
        shown = html.escape(value.replace("\x00", "\ufffd"), quote=False)
        assert shown in text, f"{name}={value!r} not kept"
    assert counts(session) == before


def test_every_problem_is_shown_at_once(client_as):
    form = {**VALID_FOCAL_POINT, "code": "alb-migration", "mission": "", "end": "2015"}
    text = post(client_as("admin"), "/focal-points/new", form).text
    for name in ("code", "mission", "end"):
        assert_field_error(text, name)


def test_what_people_type_is_escaped(client_as):
    form = {**VALID_DEVELOPMENT, "title": '<script>alert("x")</script>', "date": "never"}
    text = post(client_as("cpc"), "/developments/new", form).text
    assert "<script>alert" not in text and "&lt;script&gt;" in text


# --- the API ---------------------------------------------------------------------------------

API = "/api/v1/developments"
API_BODY = {
    "title": "EU-Turkey statement takes effect",
    "country": "Western Balkans",
    "date": "2016-03-20",
    "summary": "Arrivals in Greece fall.",
    "source": "003",
}


def test_api_logs_a_development(client_as, session):
    response = client_as("cpc").post(API, json=API_BODY)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["date"] == "2016-03-20" and body["provenance"] == "entered"
    assert body["code"] == "eu-turkey-statement-takes-effect-2016-03-20"
    session.rollback()
    dev = session.scalar(select(Development).where(Development.code == body["code"]))
    [entry] = audit_entries(session, "development", dev.id)
    assert entry.action == "create" and entry.user_id == demo_user(session, "cpc").id
    listed = client_as("fp.srb").get(API, params={"country": "Serbia"}).json()
    assert body["code"] in [d["code"] for d in listed]  # region-wide: on every timeline


@pytest.mark.parametrize("who", SIGNED_IN)
def test_every_signed_in_role_may_log_developments_by_api(client_as, who):
    assert client_as(who).post(API, json={**API_BODY, "date": "2016-Q1"}).status_code == 201


def test_api_refuses_anonymous(client_as, session):
    before = counts(session)
    response = client_as(None).post(API, json=API_BODY)
    assert response.status_code == 401
    assert counts(session) == before


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"date": "2016-13"}, "date"),
        ({"date": 2016}, "date"),
        ({"title": ""}, "title"),
        ({"title": "t" * 301}, "title"),
        ({"title": None}, "title"),
        ({"country": "Serb\x00ia"}, "country"),
        ({"summary": "s" * 10_001}, "summary"),
        ({"provenance": "study"}, "provenance"),
        ({"code": "my-own-code"}, "code"),
    ],
)
def test_api_answers_422_per_field(client_as, session, change, field):
    before = counts(session)
    response = client_as("cpc").post(API, json={**API_BODY, **change})
    assert response.status_code == 422, response.text
    locs = [tuple(e["loc"]) for e in response.json()["detail"]]
    assert ("body", field) in locs, locs
    assert counts(session) == before


def test_api_needs_the_required_fields(client_as):
    response = client_as("fp.mkd").post(API, json={})
    assert response.status_code == 422
    fields = {e["loc"][-1] for e in response.json()["detail"]}
    assert fields == {"title", "country", "date"}
