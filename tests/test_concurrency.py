"""Concurrent writers: nothing is lost, and the version check lets exactly one edit win.

Each thread talks through its own TestClient, made from the `client` fixture's
app, cookies and headers (so it is signed in the same way), and each request
gets its own session and transaction.
"""

from __future__ import annotations

import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select
from sqlalchemy.engine import make_url

from app.activities import service
from app.activities.models import Activity
from app.activities.schemas import ActivityCreate
from app.audit.models import AuditEntry
from app.config import Settings
from app.db import make_engine, unit_of_work
from app.main import create_app
from tests.support import count_rows, meeting_body, sign_in

API = "/api/v1/activities"
THREADS, EACH = 4, 10


def body(title: str) -> dict:
    """A meeting with themes, a place and a partner, so each write also fills link tables
    and theme aggregates that concurrent writers share."""
    return meeting_body(
        title=title,
        start="2016-04-12",
        themes=["regional_cooperation"],
        locations=["gevgelija"],
        partners=["unhcr"],
    )


def twin(client: TestClient) -> TestClient:
    """Another client on the same app, signed in as `client` is."""
    return TestClient(
        client.app,
        base_url=str(client.base_url),
        headers=dict(client.headers),
        cookies=client.cookies,
        raise_server_exceptions=False,
    )


def run_together(jobs):
    """Run the callables in threads that start at the same moment; return their results."""
    barrier = threading.Barrier(len(jobs))

    def start(job):
        barrier.wait(timeout=10)
        return job()

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        return list(pool.map(start, jobs))


def test_each_backend_is_set_up_for_concurrent_writers(backend, engine):
    """WAL lets readers read while one writes; BEGIN IMMEDIATE makes writers wait their turn."""
    statements = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    with unit_of_work(engine) as session:
        session.execute(select(func.count(Activity.id)))
    with unit_of_work(engine, write=False) as session:
        session.execute(select(func.count(Activity.id)))
    with engine.connect() as conn:
        if backend.name == "sqlite":
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000
            assert "BEGIN IMMEDIATE" in statements
            assert statements.count("BEGIN") >= 1
        else:
            level = conn.exec_driver_sql("SHOW transaction_isolation").scalar()
            assert level == "read committed"


def test_concurrent_creates_through_the_api_lose_nothing(client, engine):
    before = count_rows(engine, Activity)
    clients = [twin(client) for _ in range(THREADS)]

    def writer(n):
        def job():
            results = []
            for i in range(EACH):
                response = clients[n].post(API, json=body(f"Concurrent {n}-{i}"))
                results.append((response.status_code, response.json().get("id")))
            return results

        return job

    try:
        results = run_together([writer(n) for n in range(THREADS)])
    finally:
        for c in clients:
            c.close()
    statuses = [status for batch in results for status, _ in batch]
    new_ids = [i for batch in results for _, i in batch]
    assert statuses == [201] * THREADS * EACH
    assert len(set(new_ids)) == THREADS * EACH
    assert count_rows(engine, Activity) == before + THREADS * EACH
    assert count_rows(engine, Activity, Activity.title.like("Concurrent %")) == THREADS * EACH
    with engine.connect() as conn:
        audited = conn.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "create", AuditEntry.entity_id.in_(new_ids))
        )
    assert audited == THREADS * EACH
    listed = client.get(API, params={"q": "Concurrent", "limit": 200}).json()
    assert listed["total"] == THREADS * EACH


def test_concurrent_creates_through_sessions_lose_nothing(engine):
    before = count_rows(engine, Activity)

    def writer(n):
        def job():
            for i in range(EACH):
                with unit_of_work(engine) as session:
                    data = ActivityCreate.model_validate(body(f"Session {n}-{i}"))
                    service.create(session, data=data)
            return n

        return job

    assert sorted(run_together([writer(n) for n in range(THREADS)])) == list(range(THREADS))
    assert count_rows(engine, Activity) == before + THREADS * EACH
    assert count_rows(engine, Activity, Activity.title.like("Session %")) == THREADS * EACH


def test_two_concurrent_patches_of_one_version_one_wins_one_conflicts(client):
    created = client.post(API, json=body("Race"))
    assert created.status_code == 201, created.text
    aid = created.json()["id"]
    clients = [twin(client) for _ in range(2)]
    try:
        for version in (1, 2, 3):
            titles = [f"Edit {version}a", f"Edit {version}b"]
            jobs = [
                lambda c=c, t=t, v=version: c.patch(f"{API}/{aid}", json={"version": v, "title": t})
                for c, t in zip(clients, titles, strict=True)
            ]
            responses = run_together(jobs)
            statuses = sorted(r.status_code for r in responses)
            assert statuses == [200, 409], [r.text for r in responses]
            [winner] = [r.json() for r in responses if r.status_code == 200]
            [loser] = [r.json() for r in responses if r.status_code == 409]
            assert loser["detail"][0]["type"] == "conflict"
            stored = client.get(f"{API}/{aid}").json()
            assert stored["version"] == version + 1
            assert stored["title"] == winner["title"]
    finally:
        for c in clients:
            c.close()
    history = client.get(f"{API}/{aid}/history").json()
    assert [e["action"] for e in history] == ["create", "update", "update", "update"]


WRITERS, WRITES_EACH = 8, 6


def test_eight_concurrent_writers_get_no_error_and_lose_no_record(client, engine):
    """Eight clients creating at once: every create answers 201 and is stored once."""
    before = count_rows(engine, Activity)
    clients = [twin(client) for _ in range(WRITERS)]

    def writer(n):
        def job():
            return [clients[n].post(API, json=body(f"Eight {n}-{i}")) for i in range(WRITES_EACH)]

        return job

    try:
        responses = [
            r for batch in run_together([writer(n) for n in range(WRITERS)]) for r in batch
        ]
    finally:
        for c in clients:
            c.close()
    assert [r.status_code for r in responses] == [201] * WRITERS * WRITES_EACH, [
        r.text for r in responses if r.status_code != 201
    ]
    assert len({r.json()["id"] for r in responses}) == WRITERS * WRITES_EACH
    assert count_rows(engine, Activity) == before + WRITERS * WRITES_EACH


def test_a_write_request_holds_sqlite_s_write_lock_only_for_its_writing(backend, db_url, tokens):
    """Authentication and validation read in a plain BEGIN; BEGIN IMMEDIATE comes after them,
    just before the first write, and nothing about who is asking is read while it is held."""
    if backend.name != "sqlite":
        pytest.skip("SQLite's write lock")
    engine = make_engine(db_url)
    statements: list[tuple[int, str]] = []

    @event.listens_for(engine, "connect")
    def _trace(dbapi_connection, _record):
        dbapi_connection.set_trace_callback(
            lambda sql: statements.append((id(dbapi_connection), sql))
        )

    try:
        with TestClient(create_app(Settings(database_url=db_url), engine)) as api:
            api.headers["Authorization"] = f"Bearer {tokens['hom.mkd']}"
            statements.clear()
            assert api.post(API, json=body("Lock")).status_code == 201
    finally:
        engine.dispose()
    [writer] = {c for c, sql in statements if sql.startswith("INSERT INTO activities ")}
    # without what SQLite runs inside a virtual table (the FTS5 index's own writes: "-- …")
    own = [sql for c, sql in statements if c == writer and not sql.startswith("--")]
    locked_at = own.index("BEGIN IMMEDIATE")
    before, during = own[:locked_at], own[locked_at:]
    assert before[0] == "BEGIN"
    assert any("FROM api_tokens" in sql for sql in before)
    assert any("FROM missions" in sql for sql in before)  # validation: the mission exists
    assert during[-1] == "COMMIT"
    # while locked: the writes (the search index's row is replaced: DELETE, then INSERT),
    # and FTS5 reading its own shadow tables ('main'.…), nothing else
    written = [sql for sql in during[1:-1] if "'main'." not in sql]
    assert {sql.split()[0] for sql in written} <= {"INSERT", "DELETE"}, written
    assert all(sql.startswith("INSERT") or "activity_search" in sql for sql in written), written
    assert during[1].startswith("INSERT INTO activities ")


def test_a_database_still_locked_after_the_wait_answers_503_not_500(backend, db_url, tokens):
    if backend.name != "sqlite":
        pytest.skip("SQLite's write lock")
    engine = make_engine(db_url, busy_timeout_ms=50)
    blocker = sqlite3.connect(make_url(db_url).database, isolation_level=None)
    try:
        with TestClient(create_app(Settings(database_url=db_url), engine)) as api:
            api.headers["Authorization"] = f"Bearer {tokens['hom.mkd']}"
            assert api.get(API).status_code == 200  # touches the token while it still can
            blocker.execute("BEGIN IMMEDIATE")
            refused = api.post(API, json=body("Blocked"))
            assert api.get(API).status_code == 200  # readers are not held up
            form = api.get("/activities/new")
            assert form.status_code == 200
        assert refused.status_code == 503, refused.text
        assert refused.headers["retry-after"] == "2"
        [problem] = refused.json()["detail"]
        assert problem["type"] == "database_busy"
        assert "busy" in problem["msg"] and "nothing was saved" in problem["msg"]
    finally:
        blocker.close()
        engine.dispose()
    assert count_rows(make_engine(db_url), Activity, Activity.title == "Blocked") == 0


def test_two_app_instances_share_the_sign_in_throttle(db_url):
    """Failures counted by one worker process slow the next attempt at another: the
    throttle lives in the database, not in a process's memory."""
    first, second = (make_engine(db_url) for _ in range(2))
    try:
        workers = [create_app(Settings(database_url=db_url), e) for e in (first, second)]
        at = [
            TestClient(w, raise_server_exceptions=False, follow_redirects=False, client=(ip, 5))
            for w, ip in zip(workers, ("203.0.113.9", "203.0.113.9"), strict=True)
        ]
        for _ in range(5):
            assert sign_in(at[0], password="wrong-password-123").status_code == 401
        refused = sign_in(at[1])  # the right password, at the other worker
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) >= 1
    finally:
        first.dispose()
        second.dispose()


def test_serve_starts_the_number_of_workers_asked_for(monkeypatch):
    """`fieldlog serve --workers 2` gives uvicorn two processes, each building the app from
    the factory's import string (uvicorn cannot fork an app object)."""
    import uvicorn
    from typer.testing import CliRunner

    from app.cli import app as cli

    started = []
    monkeypatch.setattr(uvicorn, "run", lambda **options: started.append(options))
    assert CliRunner().invoke(cli, ["serve", "--workers", "2"]).exit_code == 0
    assert CliRunner().invoke(cli, ["serve"]).exit_code == 0
    assert [o["workers"] for o in started] == [2, 1]
    assert started[0]["app"] == "app.main:create_app" and started[0]["factory"] is True
    assert CliRunner().invoke(cli, ["serve", "--workers", "0"]).exit_code == 2
