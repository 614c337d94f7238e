"""The write path: every way an activity is written (by hand, by import, by the seed
loader, by the demo generator) keeps the aggregates equal to an independent recount and
writes its audit trail, in the same transaction as the rows themselves.

The edits made by hand (create, update, delete, submit, approve, return) are checked
against the recount in tests/test_dashboards.py.
"""

from __future__ import annotations

import csv
import io
import shutil

import pytest
import yaml
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.activities import aggregates, bulk, writes
from app.activities import service as activities
from app.activities.models import Activity
from app.activities.schemas import ActivityCreate, ActivityUpdate
from app.audit.models import AuditEntry
from app.db import session_factory, unit_of_work
from app.demo import generate
from app.exchange.importer import import_file
from app.models_common import utcnow
from app.seeding import SEEDS_DIR, seed
from app.vocab import Provenance, Status


def _state(engine) -> dict:
    """What a write must change together or not at all: rows, aggregates, audit trail."""
    with unit_of_work(engine, write=False) as session:
        return _state_in(session)


def _state_in(session) -> dict:
    return {
        "activities": session.scalar(select(func.count(Activity.id))),
        "aggregates": aggregates.snapshot(session),
        "audit": session.scalar(
            select(func.count(AuditEntry.id)).where(AuditEntry.entity == "activity")
        ),
    }


def _assert_aggregates_match_recount(engine) -> None:
    with unit_of_work(engine, write=False) as session:
        assert aggregates.snapshot(session) == aggregates.recount(session.scalars(select(Activity)))


# --- bulk loads --------------------------------------------------------------------------------


def _import_csv() -> bytes:
    """Rows that exercise every counting rule: joint records, trainings with and without
    the number of women and of men, with none, one or several target groups, open and
    closed alerts, themes, and every status."""
    statuses = ["draft", "submitted", "approved", "returned"]
    rows = []
    for n in range(40):
        row = {
            "external_id": f"wp-{n}",
            "mission": "MKD" if n % 3 else "SRB",
            "other_missions": "ALB" if n % 5 == 0 else "",
            "start": f"2016-{n % 12 + 1:02d}-{n % 27 + 1:02d}",
            "status": statuses[n // 3 % 4],
            "themes": "border_management; early_warning" if n % 2 else "",
        }
        if n % 2:
            row |= {
                "type": "monitoring_visit",
                "title": f"Visit {n}",
                "dimension": "politico_military",
                "response_area": "monitoring",
                "locations": "gevgelija" if n % 3 else "presevo-one-stop-centre",
                "alert_level": ["none", "low", "elevated", "high"][n // 2 % 4],
                "alert_closed": "yes" if n % 7 == 0 else "",
            }
        else:
            row |= {
                "type": "training",
                "title": f"Training {n}",
                "dimension": "politico_military",
                "response_area": "policing_crime",
                # none, one, or two groups in one cell
                "target_groups": ["", "border_police", "", "police | lawyers"][n // 2 % 4],
                "participants_total": str(10 + n),
                "participants_women": str(n % 9) if n % 6 else "",
                "participants_men": str(n % 5) if n % 8 else "",
            }
        rows.append(row)
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer, fieldnames=list(rows[0]) + [k for k in rows[1] if k not in rows[0]]
    )
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode()


def _changed_seeds(tmp_path):
    """The seed files with one record changed (date, themes, joint mission) and one added."""
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS_DIR, seeds)
    path = seeds / "activities.yaml"
    records = yaml.safe_load(path.read_text(encoding="utf-8"))
    first = records[0]
    first["start"] = "2017-05-04"
    first.pop("end", None)
    first["themes"] = ["asylum"]
    first["other_missions"] = [m for m in ("BIH", "MNE") if m != first["mission"]][:1]
    added = {**records[1], "key": "write-path-added", "title": "Added to the file"}
    path.write_text(yaml.safe_dump([*records, added], allow_unicode=True), "utf-8")
    return seeds


def _load(kind: str, engine, tmp_path) -> int:
    """Run one kind of bulk load; return how many activity audit entries it should add."""
    if kind == "import":
        with unit_of_work(engine) as session:
            result = import_file(session, _import_csv(), filename="wp.csv", mission=None)
        assert result.ok and result.created == 40, result.errors[:3]
        return 40  # one create entry per row
    if kind == "seed":
        with unit_of_work(engine) as session:
            unchanged = seed(session)
        assert unchanged.created == {} and unchanged.updated == {}
        with unit_of_work(engine) as session:
            report = seed(session, _changed_seeds(tmp_path))
        assert report.created == {"activities": 1} and report.updated == {"activities": 1}
        return 2  # the update and the create
    generate(engine, count=300, seed=11)
    return 1  # one summary entry per demo batch


@pytest.mark.parametrize("kind", ["import", "seed", "demo"])
def test_a_bulk_load_keeps_aggregates_equal_to_a_recount_and_audits(engine, tmp_path, kind):
    # the template's own aggregates were written by the seed loader's bulk writer
    _assert_aggregates_match_recount(engine)
    before = _state(engine)
    entries = _load(kind, engine, tmp_path)
    after = _state(engine)
    assert after["aggregates"] != before["aggregates"]
    assert after["audit"] == before["audit"] + entries
    _assert_aggregates_match_recount(engine)


def test_the_demo_audits_each_batch_with_one_summary_entry(engine):
    generate(engine, count=300, seed=5)
    with unit_of_work(engine, write=False) as session:
        entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        ids = session.scalars(
            select(Activity.id).where(Activity.external_id.like("demo-5-%")).order_by(Activity.id)
        ).all()
    assert (entry.action, entry.entity, entry.entity_id) == ("create", "activity", None)
    assert entry.after == {"activities": 300, "first_id": ids[0], "last_id": ids[-1]}
    assert "seed 5" in entry.detail


# --- a failure takes back the rows, the aggregates and the audit trail together ---------------


TRAINING = {
    "mission": "MKD",
    "other_missions": ["SRB"],
    "type": "training",
    "title": "Joint training",
    "start": "2016-04-05",
    "dimension": "politico_military",
    "response_area": "policing_crime",
    "themes": ["policing"],
    "target_groups": ["police", "border_police"],
    "participants_total": 12,
    "participants_women": 5,
    "participants_men": 6,
}


def _new_records(session, count: int) -> list:
    data = ActivityCreate.model_validate(TRAINING)
    values = activities.fields_of(data)
    resolved = activities.validate(session, values)
    return [
        bulk.new_record(
            {**values, "external_id": f"bulk-{n}"},
            resolved,
            status=Status.APPROVED,
            provenance=Provenance.IMPORTED,
            created_by_id=None,
            now=utcnow(),
        )
        for n in range(count)
    ]


def test_a_constraint_violation_in_a_later_batch_leaves_nothing_behind(engine):
    """The first batch's rows, links, aggregates and audit entries are taken back too."""
    before = _state(engine)
    with pytest.raises(IntegrityError), unit_of_work(engine) as session:
        records = _new_records(session, bulk.BATCH + 1)
        taken = session.scalar(select(Activity.external_id).limit(1))
        records[-1].external_id = taken  # unique: fails in the second batch
        bulk.write_many(session, records, actor_id=None, detail="test")
    assert _state(engine) == before


def test_a_bulk_load_that_fails_after_writing_leaves_nothing_behind(engine):
    before = _state(engine)
    with pytest.raises(RuntimeError), unit_of_work(engine) as session:
        bulk.write_many(session, _new_records(session, 5), actor_id=None, detail="test")
        assert _state_in(session) != before  # written, in this transaction
        raise RuntimeError("the caller fails after the write")
    assert _state(engine) == before


def _an_activity(session) -> Activity:
    first = session.scalar(
        select(Activity.id).where(Activity.type == "training").order_by(Activity.id)
    )
    return activities.get(session, first)


@pytest.mark.parametrize("write", ["create", "update", "delete"])
def test_a_failure_after_a_single_write_takes_back_its_aggregates_and_audit(engine, write):
    before = _state(engine)
    with pytest.raises(RuntimeError), unit_of_work(engine) as session:
        activity = _an_activity(session)
        if write == "create":
            activities.create(session, data=ActivityCreate.model_validate(TRAINING))
        elif write == "update":
            patch = ActivityUpdate(version=activity.version, participants_total=999)
            activities.update(session, activity=activity, patch=patch)
        else:
            activities.delete(session, activity=activity, version=activity.version)
        assert _state_in(session) != before
        raise RuntimeError("the request fails after the write")
    assert _state(engine) == before


def test_a_change_block_that_raises_records_nothing(engine):
    session = session_factory(engine, write=True)()
    try:
        activity = _an_activity(session)
        before = _state_in(session)
        with pytest.raises(RuntimeError), writes.change(session, activity, actor_id=None):
            activity.participants_total = 999
            session.flush()
            raise RuntimeError("half-way through the change")
        # the row changed in this transaction, but no aggregate or audit entry followed
        assert _state_in(session)["aggregates"] == before["aggregates"]
        assert _state_in(session)["audit"] == before["audit"]
    finally:
        session.rollback()
        session.close()
