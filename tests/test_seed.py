"""The seed: loading twice changes nothing, and it holds what the study says."""

from __future__ import annotations

import copy
import re
import shutil
from collections import Counter
from datetime import date, timedelta

import yaml
from sqlalchemy import func, select

import app.models  # noqa: F401  (every table in Base.metadata)
from app.activities.models import Activity
from app.audit.models import AuditEntry
from app.db import Base, unit_of_work
from app.missions.models import Development, Location, Mission, Partner
from app.seeding import SEEDS_DIR, expand_visit_schedule, seed
from app.vocab import ActivityType, ResponseArea

JOINT_VISIT = "srb-mkd-joint-visit-presevo-tabanovce"


def dump(engine) -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order."""
    tables = {}
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            query = select(table).order_by(*table.primary_key.columns)
            tables[table.name] = sorted(map(tuple, conn.execute(query)), key=repr)
    return tables


def load_schedule() -> dict:
    with open(SEEDS_DIR / "reconstructed_visits.yaml", encoding="utf-8") as fh:
        return yaml.safe_load(fh)


# --- idempotence -----------------------------------------------------------------------------


def test_seeding_again_leaves_every_table_exactly_as_it_was(engine):
    before = dump(engine)
    assert before["activities"] and before["audit_entries"] and before["missions"]

    with unit_of_work(engine) as session:
        report = seed(session)

    assert report.created == {}
    assert report.updated == {}
    after = dump(engine)
    assert set(after) == set(before)
    for name in before:
        assert after[name] == before[name], f"seeding again changed {name}"


def test_seeding_a_changed_file_updates_that_record_only(engine, tmp_path):
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS_DIR, seeds)
    records = yaml.safe_load((seeds / "activities.yaml").read_text(encoding="utf-8"))
    key = records[0]["key"]
    old_title = records[0]["title"]
    records[0]["title"] = "A corrected title"
    (seeds / "activities.yaml").write_text(yaml.safe_dump(records, allow_unicode=True), "utf-8")

    before = dump(engine)
    with unit_of_work(engine) as session:
        report = seed(session, seeds)
    assert report.created == {}
    assert report.updated == {"activities": 1}

    with unit_of_work(engine, write=False) as session:
        activity = session.scalar(select(Activity).where(Activity.external_id == key))
        assert activity.title == "A corrected title"
        assert activity.version == 2
        entry = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity == "activity", AuditEntry.entity_id == activity.id)
            .order_by(AuditEntry.id.desc())
        ).first()
        assert (entry.action, entry.detail) == ("update", "seed")
        assert entry.before == {"title": old_title, "version": 1}
        assert entry.after == {"title": "A corrected title", "version": 2}
    after = dump(engine)
    assert len(after["activities"]) == len(before["activities"])
    assert len(after["audit_entries"]) == len(before["audit_entries"]) + 1
    others = [t for t in before if t not in ("activities", "audit_entries")]
    assert all(after[t] == before[t] for t in others)


# --- what the seed holds ---------------------------------------------------------------------


def test_study_activities_are_many_and_each_cites_its_source(session):
    study = session.scalars(select(Activity).where(Activity.provenance == "study")).all()
    assert len(study) >= 60
    for activity in study:
        assert re.match(r"^\d{3} §\d", activity.source), (activity.external_id, activity.source)
        assert activity.external_id and activity.status == "approved"
    assert len({a.external_id for a in study}) == len(study)


def test_every_mission_leads_something_and_every_area_and_type_appears(session):
    study = session.scalars(select(Activity).where(Activity.provenance == "study")).all()
    leads = Counter(a.mission.code for a in study)
    assert set(leads) == {"ALB", "BIH", "KOS", "MKD", "MNE", "SRB"}
    assert min(leads.values()) >= 1
    assert {a.response_area for a in study} == set(ResponseArea.values())
    assert {a.type for a in study} == set(ActivityType.values())


def test_joint_activities_carry_every_mission(session):
    visit = session.scalar(select(Activity).where(Activity.external_id == JOINT_VISIT))
    assert visit.mission.code == "SRB"
    assert [m.code for m in visit.other_missions] == ["MKD"]
    assert (visit.start_date, visit.start_precision) == (date(2015, 11, 1), "month")
    assert visit.type == "monitoring_visit"
    assert {loc.code for loc in visit.locations} == {
        "presevo-one-stop-centre",
        "tabanovce-transit-station",
    }
    assert "Preševo" in visit.title and "Tabanovce" in visit.title

    joint = [a for a in session.scalars(select(Activity)).all() if a.other_missions]
    assert len(joint) >= 5
    for activity in joint:
        codes = [activity.mission.code, *(m.code for m in activity.other_missions)]
        assert len(codes) == len(set(codes)) >= 2, activity.external_id


def test_reference_data_is_there(session):
    def count(model):
        return session.scalar(select(func.count()).select_from(model))

    assert count(Mission) == 6
    assert count(Location) >= 15
    assert count(Partner) >= 15
    assert count(Development) >= 8


# --- reconstructed PDU visits ----------------------------------------------------------------

PERIODS = {
    "aug-oct-2015": (date(2015, 8, 3), date(2015, 10, 31)),
    "nov-2015-feb-2016": (date(2015, 11, 1), date(2016, 2, 29)),
    "mar-apr-2016": (date(2016, 3, 1), date(2016, 4, 30)),
    "may-jun-2016": (date(2016, 5, 1), date(2016, 6, 30)),
}


def visits(session, location: str) -> list[Activity]:
    return session.scalars(
        select(Activity)
        .join(Activity.locations)
        .where(Activity.provenance == "reconstructed", Location.code == location)
        .order_by(Activity.start_date)
    ).all()


def per_week(rows, first: date, last: date) -> float:
    n = sum(first <= a.start_date <= last for a in rows)
    return n / (((last - first).days + 1) / 7)


def test_gevgelija_visits_rise_and_fall_as_the_study_reports(session):
    gevgelija = visits(session, "gevgelija")
    rate = {name: per_week(gevgelija, *span) for name, span in PERIODS.items()}
    assert 0.75 <= rate["aug-oct-2015"] <= 1.25, rate
    assert 3 <= rate["nov-2015-feb-2016"] <= 4, rate
    assert rate["mar-apr-2016"] > rate["nov-2015-feb-2016"], rate
    assert 1 <= rate["may-jun-2016"] <= 2, rate
    assert rate["aug-oct-2015"] < rate["nov-2015-feb-2016"] > rate["may-jun-2016"], rate
    assert sum(per_week(gevgelija, *span) > 0 for span in PERIODS.values()) == 4
    assert gevgelija[0].start_date >= date(2015, 8, 3)
    assert gevgelija[-1].start_date <= date(2016, 6, 30)


def test_reconstructed_visits_are_marked_and_plausible(session):
    gevgelija = visits(session, "gevgelija")
    tabanovce = visits(session, "tabanovce")
    reconstructed = session.scalars(
        select(Activity).where(Activity.provenance == "reconstructed")
    ).all()
    assert len(reconstructed) == len(gevgelija) + len(tabanovce) > 100
    for visit in reconstructed:
        assert visit.mission.code == "MKD"
        assert visit.type == "monitoring_visit" and visit.status == "approved"
        assert visit.external_id.startswith("mkd-pdu-")
        assert visit.source.startswith("001 §6.1")
        assert visit.summary.startswith("Reconstructed")
        assert visit.start_date.weekday() < 5
        assert visit.start_precision == "day"
        # the study gives no team size and no alert level for any visit
        assert visit.team_size is None and visit.alert_level is None
    # two teams from March 2016, one team otherwise
    march_april = [v for v in gevgelija if date(2016, 3, 1) <= v.start_date <= date(2016, 4, 30)]
    assert {v.team for v in march_april} == {"Two police development unit teams"}
    assert {v.team for v in gevgelija if v not in march_april} == {"Police development unit team"}
    # overnight stays only in March-April 2016, where the note quotes them: every sixth visit
    overnight = [i for i, v in enumerate(march_april, start=1) if v.overnight]
    assert overnight == list(range(6, len(march_april) + 1, 6))
    assert all(v.overnight is False for i, v in enumerate(march_april, 1) if i % 6)
    assert all(v.overnight is None for v in [*gevgelija, *tabanovce] if v not in march_april)
    # the northern border sees fewer visits than the southern one
    assert 0.75 <= per_week(tabanovce, date(2015, 11, 1), date(2016, 4, 30)) <= 1.25
    assert len(tabanovce) < len(gevgelija)


def test_expanding_the_schedule_is_deterministic(session):
    schedule = load_schedule()
    pristine = copy.deepcopy(schedule)
    first = expand_visit_schedule(schedule)
    second = expand_visit_schedule(load_schedule())
    assert first == second
    assert schedule == pristine  # the input is not changed
    keys = [r["key"] for r in first]
    assert len(keys) == len(set(keys))
    stored = session.scalars(
        select(Activity.external_id).where(Activity.provenance == "reconstructed")
    ).all()
    assert sorted(stored) == sorted(keys)


def test_expansion_follows_the_documented_rules():
    monday = date(2016, 1, 4)
    schedule = {
        "key_prefix": "t",
        "mission": "MKD",
        "source": "test",
        "team": "One team",
        "schedules": [
            {
                "location": "gevgelija",
                "title": "Visit",
                "periods": [
                    {
                        "from": monday.isoformat(),
                        "to": (monday + timedelta(days=13)).isoformat(),
                        "visits_per_week": [3, 4],
                        "team": "Two teams",
                        "overnight_every_nth": 3,
                        "note": "alternating",
                    },
                    {
                        # starts on a Wednesday: the Monday and Tuesday of that week do not count
                        "from": (monday + timedelta(days=16)).isoformat(),
                        "to": (monday + timedelta(days=20)).isoformat(),
                        "visits_per_week": 5,
                    },
                ],
            }
        ],
    }
    records = expand_visit_schedule(schedule)
    days = [date.fromisoformat(r["start"]) for r in records]
    offsets = [(d - monday).days for d in days]
    assert offsets == [0, 2, 4, 7, 8, 10, 11, 16, 17, 18]
    # overnight stays only in the period that has them, counted within it; null elsewhere
    assert [r["overnight"] for r in records] == [i % 3 == 0 for i in range(1, 8)] + [None] * 3
    assert [r["team"] for r in records] == ["Two teams"] * 7 + ["One team"] * 3
    assert all(r["team_size"] is None and r["alert_level"] is None for r in records)
    assert records[0]["key"] == f"t-gevgelija-{monday.isoformat()}"
    assert all(r["summary"].startswith("Reconstructed") for r in records)
    assert expand_visit_schedule({}) == []
