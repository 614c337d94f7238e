"""Concurrent writers: nothing is lost, and the version check lets exactly one edit win.

Each thread talks through its own TestClient, made from the `client` fixture's
app, cookies and headers (so it is signed in the same way), and each request
gets its own session and transaction.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from fastapi.testclient import TestClient
from sqlalchemy import event, func, select

from app.activities import service
from app.activities.models import Activity
from app.activities.schemas import ActivityCreate
from app.audit.models import AuditEntry
from app.db import unit_of_work
from tests.support import count_rows, meeting_body

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
