"""The database itself refuses bad rows, whatever code writes them.

Rows go in through SQLAlchemy Core, past the ORM and the API's validation, so
only the schema's CHECK, FOREIGN KEY and UNIQUE constraints stand in the way.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from app.activities.models import Activity, ActivityTheme, activity_other_missions
from app.audit.models import AuditEntry
from app.db import insert_rows
from app.missions.models import FocalPointAppointment, Location, Mission

ACTIVITIES = Activity.__table__
SEEDED_EXTERNAL_ID = "srb-border-crossing-monitoring"


def mission_id(session, code: str) -> int:
    return session.scalar(select(Mission.id).where(Mission.code == code))


def activity_row(session, **overrides) -> dict:
    """A monitoring visit that satisfies every constraint, with `overrides`."""
    now = datetime(2016, 3, 1, 12, 0)
    row = {
        "mission_id": mission_id(session, "MKD"),
        "type": "monitoring_visit",
        "title": "Raw row",
        "start_date": date(2016, 3, 1),
        "start_precision": "day",
        "end_date": None,
        "end_precision": None,
        "dimension": "politico_military",
        "response_area": "monitoring",
        "summary": "",
        "source": "tests",
        "status": "draft",
        "provenance": "entered",
        "created_at": now,
        "updated_at": now,
        "version": 1,
        "team": "Raw team",
        "team_size": 2,
    }
    row.update(overrides)
    return row


def insert_activity(session, **overrides) -> int:
    result = session.execute(insert(ACTIVITIES).values(**activity_row(session, **overrides)))
    return result.inserted_primary_key[0]


def assert_each_refused(session, cases, write) -> None:
    """`write(*args)` must raise IntegrityError for every (case, *args); each in a savepoint.

    Fails once, naming every case the database let through or refused otherwise.
    """
    wrong = []
    for case, *args in cases:
        savepoint = session.begin_nested()
        try:
            write(*args)
            session.flush()
        except IntegrityError:
            pass
        except Exception as exc:
            wrong.append(f"{case}: {type(exc).__name__} instead of IntegrityError")
        else:
            wrong.append(f"{case}: the database accepted it")
        savepoint.rollback()
    assert not wrong, "\n".join(wrong)


def test_a_valid_raw_row_goes_in(session):
    """The control: the rows below fail for the one thing each changes."""
    new_id = insert_activity(session, external_id="raw-1")
    training = insert_activity(
        session,
        type="training",
        team=None,
        team_size=None,
        participants_total=10,
        participants_women=10,
        end_date=date(2016, 3, 1),
        end_precision="day",
    )
    session.execute(insert(ActivityTheme.__table__).values(activity_id=new_id, theme="asylum"))
    session.execute(
        insert(activity_other_missions).values(
            activity_id=new_id, mission_id=mission_id(session, "SRB")
        )
    )
    session.flush()
    stored = session.execute(select(ACTIVITIES).where(ACTIVITIES.c.id.in_([new_id, training])))
    assert {row.title for row in stored} == {"Raw row"}


REFUSED_ACTIVITIES = [
    ("training-field-on-visit", {"participants_total": 5}),
    ("report-field-on-visit", {"reference_number": "SEC.FR/1/16"}),
    ("visit-field-on-training", {"type": "training", "team_size": None}),
    (
        "negative-participants",
        {"type": "training", "team": None, "team_size": None, "participants_total": -1},
    ),
    ("negative-team-size", {"team_size": -1}),
    (
        "negative-audience",
        {"type": "awareness", "team": None, "team_size": None, "audience_reached": -3},
    ),
    (
        "women-above-total",
        {
            "type": "training",
            "team": None,
            "team_size": None,
            "participants_total": 10,
            "participants_women": 11,
        },
    ),
    ("end-before-start", {"end_date": date(2016, 2, 29), "end_precision": "day"}),
    ("end-without-precision", {"end_date": date(2016, 3, 2)}),
    ("precision-without-end", {"end_precision": "day"}),
    ("unknown-type", {"type": "picnic", "team": None, "team_size": None}),
    ("unknown-status", {"status": "lost"}),
    ("unknown-provenance", {"provenance": "rumour"}),
    ("unknown-response-area", {"response_area": "cooking"}),
    ("unknown-dimension", {"dimension": "fourth"}),
    ("unknown-precision", {"start_precision": "week"}),
    ("unknown-alert-level", {"alert_level": "apocalyptic"}),
    ("version-zero", {"version": 0}),
    ("unknown-mission", {"mission_id": 987654}),
    ("duplicate-external-id", {"external_id": SEEDED_EXTERNAL_ID}),
    ("missing-title", {"title": None}),
    ("missing-version", {"version": None}),
]


def test_the_database_refuses_each_bad_activity_row(session):
    assert_each_refused(session, REFUSED_ACTIVITIES, lambda o: insert_activity(session, **o))
    # and the refusals left nothing behind
    assert session.scalar(select(ACTIVITIES.c.id).where(ACTIVITIES.c.title == "Raw row")) is None


def test_the_database_refuses_bad_link_rows(session):
    activity = insert_activity(session)
    srb = mission_id(session, "SRB")
    session.execute(insert(ActivityTheme.__table__).values(activity_id=activity, theme="asylum"))
    themes, joint = ActivityTheme.__table__, activity_other_missions
    assert_each_refused(
        session,
        [
            ("unknown-theme", themes, {"activity_id": activity, "theme": "cooking"}),
            ("duplicate-theme", themes, {"activity_id": activity, "theme": "asylum"}),
            ("theme-of-no-activity", themes, {"activity_id": 987654, "theme": "asylum"}),
            ("unknown-joint-mission", joint, {"activity_id": activity, "mission_id": 987654}),
            ("joint-of-no-activity", joint, {"activity_id": 987654, "mission_id": srb}),
        ],
        lambda table, values: session.execute(insert(table).values(**values)),
    )
    assert session.scalar(select(ACTIVITIES.c.id).where(ACTIVITIES.c.id == activity)) == activity


def test_external_ids_are_unique_between_new_rows_too(session):
    insert_activity(session, external_id="same")
    with pytest.raises(IntegrityError):
        insert_activity(session, external_id="same")


def mission_row(**overrides) -> dict:
    row = {
        "code": "TST",
        "name": "Test mission",
        "short_name": "Test",
        "host_country": "Nowhere",
        "hq_city": "Nowhere",
        "mandate_summary": "",
        "mandate_reference": "",
        "source": "",
    }
    row.update(overrides)
    return row


def test_a_new_mission_code_goes_in(session):
    session.execute(insert(Mission.__table__).values(**mission_row()))
    assert mission_id(session, "TST") is not None


def test_the_database_refuses_bad_missions(session):
    assert_each_refused(
        session,
        [
            ("duplicate-code", {"code": "MKD"}),
            ("code-too-short", {"code": "X"}),
            ("missing-name", {"name": None}),
        ],
        lambda o: session.execute(insert(Mission.__table__).values(**mission_row(**o))),
    )


def test_the_database_refuses_bad_reference_rows(session):
    place = {"code": "nowhere", "name": "Nowhere", "kind": "other", "country": "X", "source": ""}
    post = {
        "code": "tst-fp",
        "mission_id": mission_id(session, "MKD"),
        "area": "migration",
        "holder": "Nobody",
        "start_date": date(2016, 1, 1),
        "start_precision": "year",
        "notes": "",
        "source": "",
    }
    locations, posts = Location.__table__, FocalPointAppointment.__table__
    # the controls go in
    session.execute(insert(locations).values(**place))
    session.execute(insert(posts).values(**post))
    assert_each_refused(
        session,
        [
            ("duplicate-location-code", locations, {**place, "code": "gevgelija"}),
            ("unknown-location-kind", locations, {**place, "code": "n2", "kind": "castle"}),
            ("latitude-out-of-range", locations, {**place, "code": "n3", "latitude": 91.0}),
            ("unknown-location-mission", locations, {**place, "code": "n4", "mission_id": 987654}),
            ("post-of-no-mission", posts, {**post, "code": "p2", "mission_id": 987654}),
            ("unknown-post-area", posts, {**post, "code": "p3", "area": "cooking"}),
            (
                "post-ends-before-it-starts",
                posts,
                {**post, "code": "p4", "end_date": date(2015, 1, 1)},
            ),
        ],
        lambda table, values: session.execute(insert(table).values(**values)),
    )


def test_bulk_insert_stores_what_an_insert_stores(session):
    """db.insert_rows (COPY on PostgreSQL) against a plain INSERT: the same values, and
    the same SQL NULL or JSON null in JSON columns (findings keeps SQL NULL, an audit
    entry's empty `before` is JSON null)."""
    rows = [
        activity_row(session, external_id="plain-0", findings=["understaffing"]),
        activity_row(session, external_id="plain-1", findings=None, team_size=None),
    ]
    session.execute(insert(ACTIVITIES), rows)
    insert_rows(session, ACTIVITIES, [dict(r, external_id=f"bulk-{n}") for n, r in enumerate(rows)])
    audit = {
        "at": datetime(2016, 3, 1, 12, 0, 0, 123456),
        "user_id": None,
        "action": "create",
        "entity": "activity",
        "before": None,
        "after": {"title": "Raw row", "themes": ["asylum"], "start": "2016-03"},
    }
    session.execute(insert(AuditEntry.__table__), [dict(audit, entity_id=1, detail="plain")])
    insert_rows(session, AuditEntry.__table__, [dict(audit, entity_id=1, detail="bulk")])

    def stored(prefix: str) -> list[tuple]:
        columns = [c for c in ACTIVITIES.columns if c.name not in ("id", "external_id")]
        query = select(*columns, Activity.findings.is_(None)).where(
            Activity.external_id.like(f"{prefix}-%")
        )
        return [tuple(row) for row in session.execute(query.order_by(Activity.external_id))]

    assert stored("plain") == stored("bulk")
    assert stored("bulk")[1][-1] is True  # SQL NULL, as the CHECKs on other types require

    def entry(detail: str) -> tuple:
        query = select(
            AuditEntry.at, AuditEntry.before.is_(None), AuditEntry.after, AuditEntry.user_id
        ).where(AuditEntry.detail == detail)
        return tuple(session.execute(query).one())

    assert entry("plain") == entry("bulk")


def test_bulk_insert_is_refused_like_an_insert(session):
    insert_activity(session, external_id="taken")
    with pytest.raises(IntegrityError):
        insert_rows(session, ACTIVITIES, [activity_row(session, external_id="taken")])
    session.rollback()
    with pytest.raises(IntegrityError):
        insert_rows(session, ACTIVITIES, [activity_row(session, status="lost")])
