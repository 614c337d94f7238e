"""Weekly digests from the seed data (Skopje, February 2016), made once per week, and
the silent-mission flag on /compare; on both databases."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from typer.testing import CliRunner

from app.activities.models import Activity
from app.cli import app as cli
from app.config import Settings
from app.db import session_factory
from app.missions.service import get_by_code
from app.notifications import digest, outbox
from app.notifications.models import DigestSent, OutboxMail
from tests.support import API, create_activity, demo_user, meeting_body

WEEK = "2016-W07"  # 15–21 February 2016


class Collected:
    """A transport that keeps the messages instead of sending them."""

    def __init__(self):
        self.messages = []

    def send(self, message):
        self.messages.append(message)

    def close(self):
        pass


def _week_visits(session, code: str = "MKD") -> list[Activity]:
    mission = get_by_code(session, code)
    return list(
        session.scalars(
            select(Activity)
            .where(
                Activity.mission_id == mission.id,
                Activity.start_date.between(date(2016, 2, 15), date(2016, 2, 21)),
            )
            .order_by(Activity.start_date, Activity.id)
        )
    )


def _section(text: str, code: str) -> str:
    """One mission's part of a digest's text."""
    start = text.index(f"== {code} ")
    end = text.find("\n== ", start + 1)
    return text[start : end if end > 0 else None]


def _digest_text(session, who: str, week: str = WEEK) -> str:
    session.rollback()
    user = demo_user(session, who)
    digests = select(OutboxMail).where(
        OutboxMail.user_id == user.id, OutboxMail.notice_id.is_(None)
    )
    [row] = session.scalars(digests).all()
    assert row.subject == f"FieldLog weekly digest, {week}"
    return row.body_text


def test_the_skopje_digest_for_a_week_of_february_2016_lists_its_visits_and_alerts(
    client_as, engine, session, db_url
):
    visits = _week_visits(session)
    assert len(visits) == 4 and all(v.type == "monitoring_visit" for v in visits)
    alerted = visits[1]
    hom = client_as("hom.mkd")
    raised = hom.patch(
        f"{API}/{alerted.id}", json={"version": alerted.version, "alert_level": "high"}
    )
    assert raised.status_code == 200, raised.text
    session.rollback()

    settings = Settings(database_url=db_url, public_base_url="https://fl.example.org")
    with session_factory(engine, write=True)() as work:
        made = digest.make_digests(work, settings, digest.parse_week(WEEK))
        work.commit()
    assert made >= 7  # six heads of mission and the CPC desk

    text = _digest_text(session, "hom.mkd")
    assert "2016-W07 (2016-02-15 – 2016-02-21)" in text
    assert "This week: 4 records" in text
    for visit in visits:
        assert (
            f"{visit.start_date} {visit.title}: https://fl.example.org/activities/{visit.id}"
            in text
        )
    assert "Open alerts: 1" in text
    assert f"high alert, 2016-02-17 {alerted.title}" in text
    assert "== MKD" in text and "== SRB" not in text  # their own mission only
    assert "SILENT" not in text

    desk = _digest_text(session, "cpc")
    assert "== MKD" in desk and "== BIH" in desk  # every mission, per mission
    mkd = _section(desk, "MKD")
    assert "This week: 4 approved records" in mkd and "Open alerts: 1" in mkd
    bih = _section(desk, "BIH")
    assert "SILENT: nothing logged in the 4 weeks up to 2016-02-21" in bih

    # The worker sends a digest like any mail, HTML and text, with its own Message-ID.
    collected = Collected()
    sent = outbox.deliver_once(engine, settings, transport=collected)
    assert sent.sent == made + 1  # and the CPC desk's notice of the raised alert
    message = next(m for m in collected.messages if m["To"].startswith("hom.mkd@"))
    assert message["Message-ID"].endswith(".digest@fieldlog>")
    html = message.get_body(("html",)).get_content()
    assert f'href="https://fl.example.org/activities/{alerted.id}"' in html


def test_a_digest_goes_once_per_week_however_often_the_command_runs(cli_database, session):
    first = CliRunner().invoke(cli, ["digest", "--week", WEEK])
    assert first.exit_code == 0, first.output
    session.rollback()
    rows = session.scalars(select(OutboxMail)).all()  # no notices here: digests only
    assert rows and len(rows) == len(session.scalars(select(DigestSent)).all())
    again = CliRunner().invoke(cli, ["digest", "--week", WEEK])
    assert again.exit_code == 0 and "0 made" in again.output
    session.rollback()
    assert len(session.scalars(select(OutboxMail)).all()) == len(rows)
    refused = CliRunner().invoke(cli, ["digest", "--week", "2016-7"])
    assert refused.exit_code == 2 and "YYYY-Www" in refused.output


def test_compare_flags_the_missions_with_nothing_logged_in_the_chosen_weeks(client_as):
    cpc = client_as("cpc")
    page = cpc.get("/compare", params={"from": "2016-01", "to": "2016-02"})
    assert page.status_code == 200
    flag = page.text[page.text.index('class="notice silent-missions"') :]
    flag = flag[: flag.index("</aside>")]
    assert "4 weeks up to 29 Feb 2016" in flag
    assert 'href="/missions/BIH"' in flag and "last record started 01 Jan 2015" in flag
    assert 'href="/missions/MKD"' not in flag  # Skopje logged visits in February
    # Later, Skopje has gone quiet too.
    later = cpc.get("/compare", params={"from": "2016-11", "to": "2016-12"}).text
    assert 'href="/missions/MKD"' in later[later.index("silent-missions") :]
    # A head of mission also sees their own focal points who logged nothing lately.
    hom = client_as("hom.mkd").get("/compare", params={"to": "2016-02"}).text
    flag = hom[hom.index("silent-missions") :]
    assert "Focal point Focal point Skopje (demo) (MKD)" in flag, flag[:800]
    assert "(SRB)" not in flag.split("</aside>")[0]


def test_notices_chosen_for_the_digest_go_in_it_instead_of_a_mail_each(
    client_as, engine, session, db_url
):
    from app.models_common import utcnow

    hom, fp = client_as("hom.mkd"), client_as("fp.mkd")
    chosen = hom.post(
        "/notifications/preferences", data={"submitted": "digest"}, follow_redirects=False
    )
    assert chosen.status_code == 303
    record_id = create_activity(fp, meeting_body(title="Gathered for Monday"))["id"]
    submitted = fp.post(f"{API}/{record_id}/submit", json={"version": 1})
    assert submitted.status_code == 200
    session.rollback()
    assert session.scalars(select(OutboxMail)).all() == []  # no mail of its own
    today = utcnow().date()
    settings = Settings(database_url=db_url)
    with session_factory(engine, write=True)() as work:
        digest.make_digests(work, settings, today - timedelta(days=today.weekday()))
        work.commit()
    text = _digest_text(
        session, "hom.mkd", week=digest.week_label(today - timedelta(days=today.weekday()))
    )
    mine = text[text.index("== Your notifications this week ==") :]
    assert "Gathered for Monday" in mine and f"/activities/{record_id}" in mine
