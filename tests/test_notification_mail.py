"""Notice mails against a real SMTP server (aiosmtpd, started by the test): who gets which
mail with which link, retries while the server is down, a resend with the same Message-ID
after a worker dies between sending and marking, nothing for a rolled-back change or for
someone who may no longer see the record, and one delivery per mail with two workers on
PostgreSQL (SKIP LOCKED)."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
import time
from datetime import timedelta
from email.message import Message

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from app.config import Settings
from app.db import session_factory
from app.models_common import utcnow
from app.notifications import outbox
from app.notifications.models import OutboxMail
from tests.support import API, create_activity, demo_user, meeting_body

BASE = "https://fieldlog.example.org"
COMMENT = "Say how many people were met."


class Inbox:
    """What the SMTP server received: (envelope recipients, parsed message)."""

    def __init__(self):
        self.received: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server, session, envelope):
        self.received.append(
            (
                list(envelope.rcpt_tos),
                email.message_from_bytes(envelope.content, policy=email.policy.default),
            )
        )
        return "250 OK"

    def to(self, address_start: str) -> list[Message]:
        return [m for rcpt, m in self.received if any(r.startswith(address_start) for r in rcpt)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_port() -> int:
    return _free_port()


@pytest.fixture
def start_smtp(smtp_port):
    started = []

    def start() -> Inbox:
        inbox = Inbox()
        controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
        controller.start()
        started.append(controller)
        return inbox

    yield start
    for controller in started:
        controller.stop()


@pytest.fixture
def mail_settings(db_url, smtp_port) -> Settings:
    return Settings(
        database_url=db_url,
        smtp_host="127.0.0.1",
        smtp_port=smtp_port,
        smtp_starttls=False,
        smtp_from="fieldlog@example.org",
        public_base_url=BASE,
    )


def _body(message: Message, subtype: str) -> str:
    for part in message.walk():
        if part.get_content_type() == f"text/{subtype}":
            return part.get_payload(decode=True).decode()
    raise AssertionError(f"no text/{subtype} part")


def _submit(client, activity_id: int, version: int) -> None:
    response = client.post(f"{API}/{activity_id}/submit", json={"version": version})
    assert response.status_code == 200, response.text


def test_submit_return_and_approve_mail_the_right_people_once(
    client_as, engine, mail_settings, start_smtp
):
    inbox = start_smtp()
    fp, hom = client_as("fp.mkd"), client_as("hom.mkd")
    returned = create_activity(fp, meeting_body(title="To be returned"))["id"]
    approved = create_activity(fp, meeting_body(title="To be approved"))["id"]
    _submit(fp, returned, 1)
    _submit(fp, approved, 1)
    hom.post(f"{API}/{returned}/return", json={"version": 2, "comment": COMMENT})
    hom.post(f"{API}/{approved}/approve", json={"version": 2})

    done = outbox.deliver_once(engine, mail_settings)
    assert done.sent == 4 and done.retried == done.dropped == 0
    assert outbox.deliver_once(engine, mail_settings).claimed == 0  # each once
    assert len(inbox.received) == 4
    to_hom = inbox.to("hom.mkd@")
    assert sorted(m["Subject"] for m in to_hom) == [
        "FieldLog: Waiting for your review: “To be approved” (MKD)",
        "FieldLog: Waiting for your review: “To be returned” (MKD)",
    ]
    to_fp = {m["Subject"].split(":")[1].strip(): m for m in inbox.to("fp.mkd@")}
    assert set(to_fp) == {"Returned to you", "Approved"}
    assert COMMENT in _body(to_fp["Returned to you"], "plain")
    for message, activity_id in [
        (to_fp["Returned to you"], returned),
        (to_fp["Approved"], approved),
    ]:
        assert f"{BASE}/activities/{activity_id}" in _body(message, "plain")
        assert f'href="{BASE}/activities/{activity_id}"' in _body(message, "html")
        assert message["From"] == "fieldlog@example.org"
    message_ids = [m["Message-ID"] for _, m in inbox.received]
    assert len(set(message_ids)) == 4 and all(i.startswith("<") for i in message_ids)
    assert all(len(rcpt) == 1 for rcpt, _ in inbox.received)


def test_mails_wait_while_the_server_is_down_and_go_when_it_is_back(
    client_as, engine, mail_settings, start_smtp, session
):
    fp = client_as("fp.mkd")
    _submit(fp, create_activity(fp, meeting_body(title="Sent later"))["id"], 1)
    now = utcnow()
    done = outbox.deliver_once(engine, mail_settings, now=now)
    assert done.retried == 1 and done.sent == 0
    [row] = session.scalars(select(OutboxMail)).all()
    assert row.status == "pending" and row.attempts == 1 and row.last_error
    assert row.next_attempt_at == now + outbox.backoff(1)
    inbox = start_smtp()
    assert outbox.deliver_once(engine, mail_settings, now=now).claimed == 0  # not yet due
    done = outbox.deliver_once(engine, mail_settings, now=now + outbox.backoff(1))
    assert done.sent == 1
    [(rcpt, message)] = inbox.received
    assert rcpt[0].startswith("hom.mkd@") and message["Message-ID"] == row.message_id


def test_a_worker_dying_between_sending_and_marking_resends_with_the_same_message_id(
    client_as, engine, mail_settings, start_smtp, monkeypatch, session
):
    inbox = start_smtp()
    fp = client_as("fp.mkd")
    _submit(fp, create_activity(fp, meeting_body(title="Sent twice"))["id"], 1)
    now = utcnow()

    def die(engine, row_id):
        raise SystemExit("killed after sending, before marking")

    with monkeypatch.context() as patched:
        patched.setattr(outbox, "mark_sent", die)
        with pytest.raises(SystemExit):
            outbox.deliver_once(engine, mail_settings, now=now)
    assert len(inbox.received) == 1
    # Within the lease nobody takes it again; after it, it goes again.
    assert outbox.deliver_once(engine, mail_settings, now=now + timedelta(seconds=5)).claimed == 0
    done = outbox.deliver_once(engine, mail_settings, now=now + outbox.LEASE + timedelta(seconds=1))
    assert done.sent == 1
    first, second = (m for _, m in inbox.received)
    assert first["Message-ID"] == second["Message-ID"]
    [row] = session.scalars(select(OutboxMail)).all()
    assert row.status == "sent"


def test_no_mail_for_a_rolled_back_change(client_as, engine, mail_settings, start_smtp):
    from app.activities import workflow
    from app.activities.models import Activity

    inbox = start_smtp()
    fp = client_as("fp.mkd")
    record = create_activity(fp, meeting_body(title="Never submitted"))
    with session_factory(engine, write=True)() as work:
        workflow.transition(
            work,
            activity=work.get(Activity, record["id"]),
            action=workflow.Action.SUBMIT,
            version=1,
            actor=demo_user(work, "fp.mkd"),
        )
        work.rollback()
    assert outbox.deliver_once(engine, mail_settings).claimed == 0
    assert inbox.received == []


def test_no_mail_reveals_a_record_to_someone_who_may_not_see_it(
    client_as, engine, mail_settings, start_smtp
):
    """Other missions' staff get nothing; a returned draft's author who moved to another
    mission before the mail went gets no mail about it (asked again when sending)."""
    inbox = start_smtp()
    fp, hom = client_as("fp.mkd"), client_as("hom.mkd")
    draft = create_activity(fp, meeting_body(title="Returned draft of Skopje"))["id"]
    _submit(fp, draft, 1)
    hom.post(f"{API}/{draft}/return", json={"version": 2, "comment": COMMENT})
    with session_factory(engine, write=True)() as work:
        from app.missions.service import get_by_code

        demo_user(work, "fp.mkd").mission = get_by_code(work, "SRB")
        work.commit()
    done = outbox.deliver_once(engine, mail_settings)
    assert done.sent == 1 and done.dropped == 1  # the head of mission's; not the draft's
    [(rcpt, message)] = inbox.received
    assert rcpt[0].startswith("hom.mkd@")
    assert "Returned draft of Skopje" in message["Subject"]


@pytest.mark.postgres
def test_two_workers_on_postgresql_send_each_mail_once(
    backend, client_as, engine, mail_settings, start_smtp
):
    if backend.name != "postgres":
        pytest.skip("SKIP LOCKED is PostgreSQL's; on SQLite one worker runs")
    inbox = start_smtp()
    fp = client_as("fp.mkd")
    for n in range(12):
        _submit(fp, create_activity(fp, meeting_body(title=f"Parallel {n}"))["id"], 1)

    class SlowTransport(outbox.SmtpTransport):
        def send(self, message):
            time.sleep(0.05)  # the other worker claims while this one sends
            super().send(message)

    rounds = []

    def work():
        while True:
            done = outbox.deliver_once(
                engine, mail_settings, transport=SlowTransport(mail_settings), limit=2
            )
            rounds.append(done)
            if done.claimed == 0:
                return

    workers = [threading.Thread(target=work) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=60)
    ids = [m["Message-ID"] for _, m in inbox.received]
    assert len(ids) == 12 and len(set(ids)) == 12
    assert sum(r.sent for r in rounds) == 12


def test_fieldlog_deliver_once_sends_what_waits(
    cli_database, client_as, monkeypatch, smtp_port, start_smtp
):
    from typer.testing import CliRunner

    from app.cli import app as cli
    from app.config import get_settings

    refused = CliRunner().invoke(cli, ["deliver", "--once"])
    assert refused.exit_code == 2 and "FIELDLOG_SMTP_HOST" in refused.output
    inbox = start_smtp()
    monkeypatch.setenv("FIELDLOG_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("FIELDLOG_SMTP_PORT", str(smtp_port))
    monkeypatch.setenv("FIELDLOG_SMTP_STARTTLS", "false")
    get_settings.cache_clear()
    fp = client_as("fp.mkd")
    _submit(fp, create_activity(fp, meeting_body(title="Sent by the command"))["id"], 1)
    result = CliRunner().invoke(cli, ["deliver", "--once"])
    assert result.exit_code == 0 and "Sent 1," in result.output, result.output
    assert len(inbox.received) == 1


def test_the_app_runs_the_worker_while_it_runs_when_smtp_is_set(
    engine, mail_settings, tokens, start_smtp
):
    from fastapi.testclient import TestClient

    from app.main import create_app

    inbox = start_smtp()
    settings = mail_settings.model_copy(update={"mail_interval_seconds": 0.2})
    headers = {"Authorization": f"Bearer {tokens['fp.mkd']}"}
    with TestClient(create_app(settings, engine), headers=headers) as fp:
        _submit(fp, create_activity(fp, meeting_body(title="Sent by the app"))["id"], 1)
        deadline = time.monotonic() + 20
        while not inbox.received and time.monotonic() < deadline:
            time.sleep(0.1)
    assert len(inbox.received) == 1
    assert "Sent by the app" in inbox.received[0][1]["Subject"]
