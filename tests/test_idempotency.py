"""Never twice: a create sent again with the same Idempotency-Key makes one record.

Through the API (the header) and the form (its hidden key), on both databases: a resend
answers with the record already made, another body with the same key is refused, keys
are per user, expired keys are purged, and two sends at the same moment still make one.
"""

from __future__ import annotations

import html
import json
import re
import threading
import time
from datetime import timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import event, select

from app.accounts.models import User
from app.activities import idempotency
from app.activities.models import Activity, IdempotencyKey
from app.activities.schemas import ActivityCreate
from app.audit.models import AuditEntry
from app.config import Settings
from app.db import session_factory, unit_of_work
from app.models_common import utcnow
from tests.support import (
    API,
    count_rows,
    demo_user,
    error_at,
    meeting_body,
    visit_form,
)
from tests.test_concurrency import run_together, twin

KEY = "0b8f6c1e-6a1d-4d55-9a7e-3f2b1c0d9e8a"


def send(client, body: dict, key: str | bytes | None = KEY):
    headers = {"Idempotency-Key": key} if key is not None else {}
    return client.post(API, json=body, headers=headers)


def created_audits(engine, activity_id: int) -> int:
    return count_rows(
        engine,
        AuditEntry,
        AuditEntry.action == "create",
        AuditEntry.entity == "activity",
        AuditEntry.entity_id == activity_id,
    )


# --- the API --------------------------------------------------------------------------------


def test_the_same_key_and_body_twice_make_one_record_and_answer_with_it(client, engine):
    before = count_rows(engine, Activity)
    body = meeting_body(title="Sent from a field tablet")
    first = send(client, body)
    assert first.status_code == 201, first.text
    assert "Idempotent-Replayed" not in first.headers
    # The retry spells the same body in another key order and spacing.
    reordered = json.dumps(dict(reversed(list(body.items()))), indent=2)
    again = client.post(
        API,
        content=reordered,
        headers={"Idempotency-Key": KEY, "Content-Type": "application/json"},
    )
    assert again.status_code == 200, again.text
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Location"] == first.headers["Location"]
    assert again.json() == first.json()
    assert count_rows(engine, Activity) == before + 1
    assert created_audits(engine, first.json()["id"]) == 1


def test_a_replay_answers_with_the_record_as_it_is_now(client):
    first = send(client, meeting_body(title="Before the edit")).json()
    client.patch(f"{API}/{first['id']}", json={"version": 1, "title": "After the edit"})
    again = send(client, meeting_body(title="Before the edit"))
    assert again.status_code == 200
    assert again.json()["id"] == first["id"] and again.json()["title"] == "After the edit"


def test_the_same_key_with_another_body_is_refused_with_the_reason(client, engine):
    first = send(client, meeting_body(title="The first meeting")).json()
    before = count_rows(engine, Activity)
    response = send(client, meeting_body(title="Another meeting"))
    error = error_at(response, ["header", "Idempotency-Key"])
    assert "already used for a different activity" in error["msg"]
    assert f"activity {first['id']}" in error["msg"]
    assert error["type"] == "idempotency_key_reused"
    assert count_rows(engine, Activity) == before


def test_keys_belong_to_their_user(client_as, engine):
    before = count_rows(engine, Activity)
    by_head = send(client_as("hom.mkd"), meeting_body())
    by_focal_point = send(client_as("fp.mkd"), meeting_body())
    assert (by_head.status_code, by_focal_point.status_code) == (201, 201)
    assert by_head.json()["id"] != by_focal_point.json()["id"]
    assert count_rows(engine, Activity) == before + 2


def test_without_a_key_every_send_creates(client, engine):
    before = count_rows(engine, Activity)
    answers = [send(client, meeting_body(), key=None) for _ in range(2)]
    assert [a.status_code for a in answers] == [201, 201]
    assert answers[0].json()["id"] != answers[1].json()["id"]
    assert count_rows(engine, Activity) == before + 2
    assert count_rows(engine, IdempotencyKey) == 0


@pytest.mark.parametrize(
    "key", ["", "x" * 101, "has space", "ünïcode".encode(), "semi;colon", "slash/key"], ids=repr
)
def test_a_malformed_key_is_refused_naming_the_header(client, engine, key):
    before = count_rows(engine, Activity)
    error = error_at(send(client, meeting_body(), key=key), ["header", "Idempotency-Key"])
    assert "1 to 100 letters, digits" in error["msg"]
    assert count_rows(engine, Activity) == before


def test_keys_of_every_allowed_character_and_length_are_accepted(client):
    for key in ("a", "A-z_0.9:x", "k" * 100):
        assert send(client, meeting_body(), key=key).status_code == 201, key


def test_a_key_whose_record_was_deleted_says_so_and_creates_nothing(client, engine):
    first = send(client, meeting_body()).json()
    assert client.delete(f"{API}/{first['id']}", params={"version": 1}).status_code == 204
    before = count_rows(engine, Activity)
    response = send(client, meeting_body())
    assert response.status_code == 409
    assert "made with this Idempotency-Key was deleted" in response.json()["detail"][0]["msg"]
    assert count_rows(engine, Activity) == before


def test_the_header_is_documented(client):
    operation = client.get("/openapi.json").json()["paths"]["/api/v1/activities"]["post"]
    header = next(p for p in operation["parameters"] if p["name"] == "Idempotency-Key")
    assert header["in"] == "header" and not header.get("required", False)
    assert "Idempotent-Replayed" in operation["description"]


# --- keeping and purging keys ---------------------------------------------------------------


def _store_key(session, user: User, key: str, age_days: float) -> None:
    session.add(
        IdempotencyKey(
            user_id=user.id,
            key=key,
            body_hash="0" * 64,
            created_at=utcnow() - timedelta(days=age_days),
        )
    )


def test_a_create_purges_keys_older_than_the_window_and_keeps_the_rest(engine):
    with unit_of_work(engine) as session:
        head = demo_user(session, "hom.mkd")
        _store_key(session, head, "old", 31)
        _store_key(session, head, "older", 400)
        _store_key(session, head, "recent", 29)
    with unit_of_work(engine) as session:
        head = demo_user(session, "hom.mkd")
        idempotency.create_once(
            session,
            data=ActivityCreate.model_validate(meeting_body()),
            actor=head,
            key="new",
            keep_days=30,
        )
    with engine.connect() as conn:
        kept = set(conn.scalars(select(IdempotencyKey.key)))
    assert kept == {"recent", "new"}


def test_a_key_past_the_window_no_longer_answers(engine):
    body = ActivityCreate.model_validate(meeting_body())
    with unit_of_work(engine) as session:
        head = demo_user(session, "hom.mkd")
        first = idempotency.create_once(session, data=body, actor=head, key=KEY, keep_days=7)
        first_id = first.activity.id
    with unit_of_work(engine) as session:
        row = session.scalar(select(IdempotencyKey).where(IdempotencyKey.key == KEY))
        row.created_at = utcnow() - timedelta(days=8)
    with unit_of_work(engine) as session:
        head = demo_user(session, "hom.mkd")
        later = idempotency.create_once(session, data=body, actor=head, key=KEY, keep_days=7)
        assert not later.replayed and later.activity.id != first_id


def test_the_window_is_a_setting_of_at_least_a_week(db_url):
    assert Settings(database_url=db_url).idempotency_days == 30
    assert Settings(database_url=db_url, idempotency_days=7).idempotency_days == 7
    with pytest.raises(ValidationError, match="greater than or equal to 7"):
        Settings(database_url=db_url, idempotency_days=6)


# --- two sends at the same moment -----------------------------------------------------------


def test_two_simultaneous_sends_with_one_key_make_one_record(client, engine):
    before = count_rows(engine, Activity)
    clients = [twin(client) for _ in range(2)]
    try:
        for round_ in range(3):
            key, body = f"race-{round_}", meeting_body(title=f"Race {round_}")
            answers = run_together([lambda c=c, b=body, k=key: send(c, b, key=k) for c in clients])
            assert sorted(a.status_code for a in answers) == [200, 201], [a.text for a in answers]
            assert answers[0].json()["id"] == answers[1].json()["id"]
    finally:
        for c in clients:
            c.close()
    assert count_rows(engine, Activity) == before + 3


def test_a_send_waiting_on_an_uncommitted_one_answers_with_its_record(backend, engine):
    """The second send starts while the first is made but not yet committed: it waits
    (SQLite: for the write lock; PostgreSQL: on the key's unique index, then its insert
    fails and the savepoint is rolled back) and answers with the first one's record."""
    savepoint_rollbacks = []
    event.listen(engine, "rollback_savepoint", lambda *args: savepoint_rollbacks.append(args))
    body = ActivityCreate.model_validate(meeting_body(title="Queued twice"))
    first_session = session_factory(engine, write=True)()
    head = demo_user(first_session, "hom.mkd")
    first = idempotency.create_once(first_session, data=body, actor=head, key=KEY, keep_days=30)
    second: dict = {}

    def resend():
        with unit_of_work(engine) as session:
            result = idempotency.create_once(
                session, data=body, actor=demo_user(session, "hom.mkd"), key=KEY, keep_days=30
            )
            second.update(id=result.activity.id, replayed=result.replayed)

    thread = threading.Thread(target=resend)
    thread.start()
    time.sleep(0.5)
    assert not second, "the second send did not wait for the first"
    first_session.commit()
    first_session.close()
    thread.join(timeout=10)
    assert second == {"id": first.activity.id, "replayed": True}
    assert count_rows(engine, Activity, Activity.title == "Queued twice") == 1
    if backend.name == "postgres":
        assert savepoint_rollbacks, "the second insert should have failed on the unique key"


# --- the form -------------------------------------------------------------------------------


def form_key(page: str) -> str:
    found = re.search(r'<input type="hidden" name="idempotency_key" value="([^"]*)"', page)
    assert found, "the form has no idempotency_key"
    return found.group(1)


def test_each_new_form_carries_a_fresh_key_and_the_edit_form_none(client_as):
    fp = client_as("fp.mkd")
    keys = {form_key(fp.get("/activities/new").text) for _ in range(2)}
    assert len(keys) == 2 and all(idempotency.is_valid(k) for k in keys)
    created = send(client_as("fp.mkd"), meeting_body(), key=None).json()
    edit = fp.get(f"/activities/{created['id']}/edit").text
    assert 'name="idempotency_key"' not in edit


def test_the_key_is_kept_across_a_type_refresh_and_an_error(client_as):
    fp = client_as("fp.mkd")
    key = form_key(fp.get("/activities/new").text)
    refreshed = fp.post("/activities/new", data=visit_form(_action="refresh", idempotency_key=key))
    assert refreshed.status_code == 200 and form_key(refreshed.text) == key
    wrong = fp.post("/activities/new", data=visit_form(start="19.11.2015", idempotency_key=key))
    assert wrong.status_code == 422 and form_key(wrong.text) == key


def test_a_form_posted_twice_saves_once_and_both_answers_lead_to_the_record(client_as, engine):
    fp = client_as("fp.mkd")
    key = form_key(fp.get("/activities/new").text)
    before = count_rows(engine, Activity)
    answers = [
        fp.post("/activities/new", data=visit_form(idempotency_key=key), follow_redirects=False)
        for _ in range(2)
    ]
    assert [a.status_code for a in answers] == [303, 303]
    assert answers[0].headers["location"] == answers[1].headers["location"]
    assert answers[0].headers["location"].endswith("?done=created")
    assert count_rows(engine, Activity) == before + 1


def test_a_changed_form_with_the_same_key_says_so_and_keeps_what_was_typed(client_as, engine):
    fp = client_as("fp.mkd")
    key = form_key(fp.get("/activities/new").text)
    first = fp.post("/activities/new", data=visit_form(idempotency_key=key), follow_redirects=False)
    first_id = int(re.search(r"/activities/(\d+)", first.headers["location"]).group(1))
    before = count_rows(engine, Activity)
    changed = visit_form(idempotency_key=key, title="A different visit")
    response = fp.post("/activities/new", data=changed, follow_redirects=False)
    page = html.unescape(response.text)
    assert response.status_code == 422
    assert f"already saved, with other values, as activity {first_id}" in page
    assert 'value="A different visit"' in page and 'value="2015-11-19"' in page
    assert count_rows(engine, Activity) == before
    # Saving again after the warning is a choice made knowingly: it gets a key of its own.
    new_key = form_key(response.text)
    assert new_key != key
    again = fp.post(
        "/activities/new", data={**changed, "idempotency_key": new_key}, follow_redirects=False
    )
    assert again.status_code == 303
    assert count_rows(engine, Activity) == before + 1


def test_a_damaged_form_key_is_a_message_not_a_record(client_as, engine):
    fp = client_as("fp.mkd")
    before = count_rows(engine, Activity)
    response = fp.post("/activities/new", data=visit_form(idempotency_key="not a key!"))
    assert response.status_code == 422 and "hidden key was damaged" in html.unescape(response.text)
    assert 'value="PDU visit to Gevgelija"' in response.text
    assert count_rows(engine, Activity) == before
