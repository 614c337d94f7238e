"""Hardening found by an outside review: ids never reused, history that belongs to its
record alone, request size and signed-out bodies, forwarded headers, caching and the
Server header, and integer ids beyond what the database holds."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence

import pytest
import uvicorn
from alembic import command
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import delete, insert, select, text

from app.activities.models import Activity
from app.activities.schemas import ActivityCreate
from app.audit.models import AuditEntry
from app.cli import alembic_config, uvicorn_options
from app.config import Settings
from app.db import Base, highest_id_ever, make_engine, unit_of_work
from app.exchange.reading import MAX_BYTES as IMPORT_MAX_BYTES
from app.main import create_app

API = "/api/v1/activities"
NEVER_REUSED = {
    "activities",
    "api_tokens",
    "developments",
    "focal_point_appointments",
    "jobs",
    "locations",
    "missions",
    "partners",
    "projects",
    "saved_views",
    "users",
}

# The tables migration 0005 rebuilt with AUTOINCREMENT (later tables are created with it).
REBUILT_BY_0005 = NEVER_REUSED - {"saved_views", "jobs"}


def meeting(mission: str, title: str) -> dict:
    return {
        "mission": mission,
        "type": "meeting",
        "title": title,
        "start": "2016-03-02",
        "dimension": "cross_dimensional",
        "response_area": "reporting_liaising",
        "meeting_kind": "coordination",
    }


# --- 1. ids are never reused, and a record's history is its own ---------------------------


def test_the_id_of_a_deleted_highest_record_is_never_given_again(client_as):
    """The review's case: a Serbian draft, the newest record, is deleted; the next record
    (Albania's) must get a new id, and its history must not show the Serbian draft."""
    serbia, albania = client_as("fp.srb"), client_as("fp.alb")
    draft = serbia.post(API, json=meeting("SRB", "Serbian draft, deleted")).json()
    assert serbia.delete(f"{API}/{draft['id']}", params={"version": 1}).status_code == 204

    created = albania.post(API, json=meeting("ALB", "Albanian meeting"))
    assert created.status_code == 201, created.text
    new = created.json()
    assert new["id"] > draft["id"]
    history = albania.get(f"{API}/{new['id']}/history").json()
    assert [e["action"] for e in history] == ["create"]
    assert history[0]["after"]["title"] == "Albanian meeting"
    page = albania.get(f"/activities/{new['id']}")
    assert page.status_code == 200 and "Serbian draft" not in page.text


def test_history_starts_at_the_records_own_creation(client_as, engine):
    """Defence in depth: entries left under an id by an earlier record (as SQLite's reuse
    of ids produced) do not show in the history of the record that has the id now."""
    with unit_of_work(engine) as session:
        next_id = highest_id_ever(session, Activity.__table__) + 1
        for action, after in [
            ("create", {"title": "Serbian draft", "status": "draft"}),
            ("update", {"title": "Serbian draft, renamed"}),
            ("delete", None),
        ]:
            session.execute(
                insert(AuditEntry).values(
                    action=action, entity="activity", entity_id=next_id, after=after
                )
            )
    albania = client_as("fp.alb")
    new = albania.post(API, json=meeting("ALB", "Albanian meeting")).json()
    assert new["id"] == next_id  # the stale entries are under the id the record got
    history = albania.get(f"{API}/{new['id']}/history").json()
    assert [(e["action"], (e["after"] or {}).get("title")) for e in history] == [
        ("create", "Albanian meeting")
    ]
    changed = albania.patch(f"{API}/{new['id']}", json={"version": 1, "title": "Renamed"})
    assert changed.status_code == 200, changed.text
    history = albania.get(f"{API}/{new['id']}/history").json()
    assert [e["action"] for e in history] == ["create", "update"]
    page = albania.get(f"/activities/{new['id']}")
    assert "Serbian draft" not in page.text


def test_the_tables_people_see_have_autoincrement_on_sqlite(backend, template_url):
    """Declared in the models and present in the migrated database. Reflection does not
    see AUTOINCREMENT, so a later migration that rebuilds one of these tables and forgets
    to restate it fails here."""
    declared = {
        t.name for t in Base.metadata.sorted_tables if t.dialect_options["sqlite"]["autoincrement"]
    }
    assert declared == NEVER_REUSED
    if backend.name != "sqlite":
        return  # PostgreSQL's sequences never hand an id out twice: nothing more to check
    engine = make_engine(template_url)
    with engine.connect() as conn:
        schema = dict(
            conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'table'")).all()
        )
    engine.dispose()
    found = {name for name, sql in schema.items() if "AUTOINCREMENT" in sql}
    assert found == NEVER_REUSED


def test_the_migration_keeps_every_id_and_remembers_the_highest(backend):
    """Rows keep their ids through the rebuild; after it, a deleted highest id stays used;
    the audit trail stays append-only."""
    import app.models  # noqa: F401
    from app.accounts.demo_users import ensure_demo_users
    from app.accounts.models import User
    from app.accounts.service import create_token
    from app.activities import service as activities
    from app.missions.service import get_all as all_missions
    from app.seeding import seed

    url = backend.new_url()
    config = alembic_config(url)
    # Seeded by today's models at head, then taken down to 0004 (before the rebuild):
    # the models no longer fit the tables of 0004 (revision 0007 changed activities).
    command.upgrade(config, "head")
    engine = make_engine(url)
    with unit_of_work(engine) as session:
        seed(session)
        ensure_demo_users(session, all_missions(session))
        user = session.scalars(select(User)).first()
        create_token(session, user=user, name="migration test", days=1)
    engine.dispose()
    command.downgrade(config, "0004")

    def ids() -> dict[str, list[int]]:
        with engine.connect() as conn:
            return {
                t: list(conn.execute(text(f"SELECT id FROM {t} ORDER BY id")).scalars())
                for t in REBUILT_BY_0005
            }

    before = ids()
    assert all(before.values())
    engine.dispose()
    command.upgrade(config, "head")
    assert ids() == before

    def create(title: str) -> int:
        with unit_of_work(engine) as session:
            data = ActivityCreate.model_validate(meeting("MKD", title))
            return activities.create(session, data=data).id

    first = create("After the migration")
    assert first == max(before["activities"]) + 1
    with unit_of_work(engine) as session:
        session.execute(delete(Activity).where(Activity.id == first))
    assert create("After a delete") == first + 1
    with engine.connect() as conn, pytest.raises(Exception, match="append-only"):
        conn.execute(text("DELETE FROM audit_entries"))
    engine.dispose()
    backend.drop(url)


def test_bulk_loads_start_after_the_highest_id_ever_used(client_as, engine):
    """Imports and `fieldlog demo` choose their own ids: past a deleted highest one too."""
    from app.demo import generate
    from app.exchange.columns import IMPORT_NAMES

    fp = client_as("fp.mkd")

    def delete_a_new_draft() -> int:
        draft = fp.post(API, json=meeting("MKD", "Deleted draft")).json()
        assert fp.delete(f"{API}/{draft['id']}", params={"version": 1}).status_code == 204
        return draft["id"]

    deleted = delete_a_new_draft()
    generate(engine, count=3, seed=5)
    with unit_of_work(engine, write=False) as session:
        query = select(Activity.id).where(Activity.provenance == "synthetic")
        generated = list(session.scalars(query))
    assert generated and min(generated) > deleted

    deleted = delete_a_new_draft()
    row = {
        "external_id": "hardening-1",
        "type": "training",
        "title": "Imported training",
        "start": "2016-03-02",
        "dimension": "politico_military",
        "response_area": "policing_crime",
        "target_groups": "border_police",
        "participants_total": "20",
    }
    csv = ",".join(IMPORT_NAMES) + "\n" + ",".join(row.get(n, "") for n in IMPORT_NAMES) + "\n"
    response = fp.post("/api/v1/imports", files={"file": ("a.csv", csv.encode(), "text/csv")})
    assert response.status_code == 200 and response.json()["created"] == 1, response.text
    with unit_of_work(engine, write=False) as session:
        query = select(Activity.id).where(Activity.external_id == "hardening-1")
        assert session.scalar(query) > deleted


# --- 2. request size, and bodies from nobody -------------------------------------------------

LIMIT = 64 * 1024
CHUNK = 16 * 1024


@pytest.fixture
def limited(settings, engine):
    return create_app(settings.model_copy(update={"max_request_bytes": LIMIT}), engine)


def asgi_request(
    app,
    method: str,
    path: str,
    *,
    headers: Sequence[tuple[str, str]] = (),
    chunks: Sequence[bytes] = (),
    client: tuple[str, int] = ("203.0.113.7", 40000),
) -> tuple[list[dict], int]:
    """Call `app` as a server would, the body arriving in `chunks`; return the messages it
    sent and how many chunks it read."""
    pending = list(chunks)
    read = 0

    async def receive() -> dict:
        nonlocal read
        if not pending:
            return {"type": "http.disconnect"}
        read += 1
        return {"type": "http.request", "body": pending.pop(0), "more_body": bool(pending)}

    sent: list[dict] = []

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers],
        "client": client,
        "server": ("testserver", 80),
    }
    asyncio.run(app(scope, receive, send))
    return sent, read


def reads_past_the_limit(chunks: Sequence[bytes]) -> int:
    """How many chunks it takes to pass LIMIT: reading stops right there."""
    total = 0
    for count, chunk in enumerate(chunks, start=1):
        total += len(chunk)
        if total > LIMIT:
            return count
    raise AssertionError("the chunks stay within the limit")


def answer(sent: list[dict]) -> tuple[int, dict[str, str], bytes]:
    starts = [m for m in sent if m["type"] == "http.response.start"]
    assert len(starts) == 1, starts  # one answer, never a second one after the refusal
    headers = {k.decode(): v.decode() for k, v in starts[0]["headers"]}
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return starts[0]["status"], headers, body


MEGABYTE = [b"x" * CHUNK] * 64  # 1 MB in 16 KB chunks, no Content-Length (chunked)
UPLOAD = [  # a well-formed start of a 1 MB file upload, so nothing refuses it for its form
    b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n'
    b"Content-Type: text/csv\r\n\r\n",
    *MEGABYTE,
]


def test_an_oversized_content_length_is_refused_before_reading(limited, tokens):
    sent, read = asgi_request(
        limited,
        "POST",
        API,
        headers=[
            ("authorization", f"Bearer {tokens['fp.mkd']}"),
            ("content-type", "application/json"),
            ("content-length", str(300 * 1024 * 1024)),
        ],
        chunks=MEGABYTE,
    )
    status, headers, body = answer(sent)
    assert (status, read) == (413, 0)
    assert headers["content-type"] == "application/json"
    assert b"too large" in body and b"0.0625 MB" in body


def test_a_chunked_body_is_cut_off_at_the_limit(limited, tokens):
    sent, read = asgi_request(
        limited,
        "POST",
        API,
        headers=[
            ("authorization", f"Bearer {tokens['fp.mkd']}"),
            ("content-type", "application/json"),
        ],
        chunks=MEGABYTE,
    )
    status, headers, body = answer(sent)
    assert status == 413 and b'"type": "too_large"' in body
    assert read == reads_past_the_limit(MEGABYTE) < len(MEGABYTE)
    assert headers["x-content-type-options"] == "nosniff"  # the usual headers, still


@pytest.mark.parametrize("credentials", ["bearer", "cookie"])
def test_an_upload_is_cut_off_at_the_limit_on_the_page_too(limited, tokens, credentials):
    """A multipart post to a page: through the CSRF check's own reading of the form
    (a session cookie, even a made-up one) or straight to the route (a token)."""
    headers = [("content-type", "multipart/form-data; boundary=b")]
    if credentials == "bearer":
        headers.append(("authorization", f"Bearer {tokens['fp.mkd']}"))
    else:
        headers.append(("cookie", "fieldlog_session=made-up; csrftoken=also-made-up"))
    sent, read = asgi_request(limited, "POST", "/imports", headers=headers, chunks=UPLOAD)
    status, headers_out, body = answer(sent)
    assert status == 413 and headers_out["content-type"].startswith("text/html")
    assert b"too large" in body
    assert read == reads_past_the_limit(UPLOAD)


def test_a_large_post_from_nobody_is_refused_unread(limited):
    sent, read = asgi_request(
        limited, "POST", API, headers=[("content-type", "application/json")], chunks=MEGABYTE
    )
    status, headers, body = answer(sent)
    assert (status, read) == (401, 0)
    assert headers["www-authenticate"] == "Bearer"
    assert b"Sign in first." in body

    sent, read = asgi_request(
        limited,
        "POST",
        "/imports",
        headers=[("content-type", "multipart/form-data; boundary=b"), ("cookie", "csrftoken=x")],
        chunks=MEGABYTE,
    )
    status, headers, _ = answer(sent)
    assert (status, read) == (303, 0)
    assert headers["location"] == "/login?next=%2Fimports"


def test_the_sign_in_form_still_takes_a_post_from_nobody(limited):
    sent, read = asgi_request(
        limited,
        "POST",
        "/login",
        headers=[("content-type", "application/x-www-form-urlencoded")],
        chunks=[b"email=a%40b.example&password=x"],
    )
    status, _, _ = answer(sent)
    assert read == 1 and status == 403  # read, then refused by the CSRF check


def test_size_limit_through_the_test_client(limited, tokens):
    headers = {"Authorization": f"Bearer {tokens['fp.mkd']}"}
    limited_client = TestClient(limited, headers=headers, raise_server_exceptions=False)
    response = limited_client.post(API, content=b"x" * (LIMIT + 1))
    assert response.status_code == 413
    assert response.json()["detail"][0]["type"] == "too_large"
    assert response.headers["cache-control"] == "no-store"
    small = limited_client.post(API, json=meeting("MKD", "Within the limit"))
    assert small.status_code == 201
    limited_client.close()


def test_the_default_limit_leaves_room_for_the_largest_import():
    assert Settings().max_request_bytes >= IMPORT_MAX_BYTES + 1024 * 1024
    with pytest.raises(ValidationError):
        Settings(max_request_bytes=1000)


# --- 3. forwarded headers --------------------------------------------------------------------


def seen_client(options: dict, client: tuple[str, int]) -> tuple[str, int]:
    """The client address an app sees when uvicorn runs with `options` and a request from
    `client` says X-Forwarded-For: 198.51.100.1."""
    seen = []

    async def recorder(scope, receive, send):
        seen.append(scope["client"])
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    config = uvicorn.Config(**{**options, "app": recorder, "factory": False, "log_config": None})
    config.load()
    asgi_request(
        config.loaded_app, "GET", "/", headers=[("x-forwarded-for", "198.51.100.1")], client=client
    )
    return seen[0]


def test_forwarded_for_is_believed_from_no_one_by_default():
    options = uvicorn_options(Settings(), host="127.0.0.1", port=8000)
    assert options["proxy_headers"] is False
    # uvicorn's own default would believe any process on this host
    assert seen_client(options, ("127.0.0.1", 5000)) == ("127.0.0.1", 5000)
    assert seen_client(options, ("203.0.113.7", 5000)) == ("203.0.113.7", 5000)


def test_forwarded_for_is_believed_from_the_named_proxies_only():
    settings = Settings(forwarded_allow_ips="10.0.0.0/8, 127.0.0.1")
    options = uvicorn_options(settings, host="127.0.0.1", port=8000)
    assert options["proxy_headers"] is True
    assert options["forwarded_allow_ips"] == "10.0.0.0/8,127.0.0.1"
    assert seen_client(options, ("10.1.2.3", 5000))[0] == "198.51.100.1"
    assert seen_client(options, ("203.0.113.7", 5000)) == ("203.0.113.7", 5000)
    with pytest.raises(ValidationError, match="not an address"):
        Settings(forwarded_allow_ips="proxy.example")


# --- 4. headers: no-store, no Server ---------------------------------------------------------


def test_no_server_header():
    assert uvicorn_options(Settings(), host="127.0.0.1", port=8000)["server_header"] is False


@pytest.mark.parametrize(
    "path",
    [
        "/activities",
        "/missions/MKD",
        "/api/v1/missions",
        f"{API}?limit=5",
        "/api/v1/exports/activities.csv",
        "/api/v1/exports/activities.xlsx",
        "/report.docx",
        "/api/v1/activities/2147483648",  # an error answer
    ],
)
def test_signed_in_answers_are_not_stored(client, path):
    response = client.get(path)
    assert response.status_code < 500
    assert response.headers["cache-control"] == "no-store"


def test_static_files_may_be_cached_and_the_sign_in_page_is_not(anonymous):
    assert "no-store" not in anonymous.get("/static/css/app.css").headers.get("cache-control", "")
    assert anonymous.get("/login").headers["cache-control"] == "no-store"


# --- 5. integer ids beyond what the database holds ------------------------------------------

TOO_BIG = 99_999_999_999
SUBJECTS = ["admin", "hom.mkd", "fp.mkd", "cpc"]


def int_routes(app) -> list[tuple[str, str, list[str]]]:
    """(method, path, integer path parameters) of every route that has one."""
    found = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute):
            continue
        names = [p.name for p in route.dependant.path_params if p.field_info.annotation is int]
        if names:
            found.extend((method, context.path, names) for method in sorted(context.methods))
    return found


@pytest.mark.parametrize("value", [TOO_BIG, -1, 0, 2_147_483_648])
def test_every_integer_path_parameter_is_range_checked(app, client_as, value):
    routes = int_routes(app)
    assert {path for _, path, _ in routes} >= {
        "/account/tokens/{token_id}/revoke",
        "/admin/users/{user_id}",
        f"{API}/{{activity_id}}",
    }
    clients = {who: client_as(who) for who in SUBJECTS}
    failures = []
    for method, path, names in routes:
        url = path
        for name in names:
            url = url.replace(f"{{{name}}}", str(value))
        url = re.sub(r"\{code\}", "MKD", url)
        got = {}
        for who, client in clients.items():
            kwargs = {}
            if method in ("POST", "PATCH"):
                kwargs = (
                    {"json": {"version": 1}}
                    if url.startswith("/api/")
                    else {"data": {"version": "1"}}
                )
            if method == "DELETE":
                kwargs = {"params": {"version": 1}}
            got[who] = client.request(method, url, **kwargs).status_code
        if any(code >= 500 for code in got.values()) or not {404, 422} & set(got.values()):
            failures.append(f"{method} {url}: {got}")
    assert not failures, "\n".join(failures)


def test_integer_form_fields_beyond_range_are_refused_clearly(client_as):
    hom = client_as("hom.mkd")
    record = hom.post(API, json=meeting("MKD", "For the form test")).json()
    for path in ("edit", "submit", "delete"):
        response = hom.post(f"/activities/{record['id']}/{path}", data={"version": str(TOO_BIG)})
        assert 400 <= response.status_code < 500, (path, response.status_code)
    tokens = hom.post("/account/tokens", data={"name": "x", "days": str(TOO_BIG)})
    assert tokens.status_code == 422
