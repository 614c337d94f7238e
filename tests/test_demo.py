"""Synthetic demo data and the `fieldlog` command line."""

from __future__ import annotations

import pytest
import typer.main
from sqlalchemy import func, select, update
from typer.testing import CliRunner

from app.activities.models import Activity, ActivityTheme, activity_other_missions
from app.cli import app as cli
from app.db import make_engine
from app.demo import generate
from app.missions.models import Location, Mission
from tests.support import count_rows, create_activity, meeting_body

SIGNATURE = (
    Activity.type,
    Activity.mission_id,
    Activity.start_date,
    Activity.title,
    Activity.status,
)


def synthetic(engine, seed: int | None = None) -> list[tuple]:
    query = select(*SIGNATURE).where(Activity.provenance == "synthetic").order_by(Activity.id)
    if seed is not None:
        query = query.where(Activity.external_id.like(f"demo-{seed}-%"))
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(query)]


def joint_missions(engine) -> list[tuple]:
    """(activity external_id, joint mission id) for every synthetic joint activity."""
    query = (
        select(Activity.external_id, activity_other_missions.c.mission_id)
        .join(activity_other_missions, activity_other_missions.c.activity_id == Activity.id)
        .where(Activity.provenance == "synthetic")
        .order_by(Activity.id, activity_other_missions.c.mission_id)
    )
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(query)]


def seeded(engine) -> dict[str, list[tuple]]:
    """The study and reconstructed activities with their themes and joint missions."""
    ours = select(Activity.id).where(Activity.provenance != "synthetic")
    with engine.connect() as conn:
        return {
            "activities": [
                tuple(r)
                for r in conn.execute(
                    select(Activity.__table__)
                    .where(Activity.provenance != "synthetic")
                    .order_by(Activity.id)
                )
            ],
            "themes": sorted(
                tuple(r)
                for r in conn.execute(
                    select(ActivityTheme.__table__).where(ActivityTheme.activity_id.in_(ours))
                )
            ),
            "joint": sorted(
                tuple(r)
                for r in conn.execute(
                    select(activity_other_missions).where(
                        activity_other_missions.c.activity_id.in_(ours)
                    )
                )
            ),
        }


def test_generate_adds_marked_synthetic_activities_and_leaves_the_seed_alone(engine, client):
    before_total = count_rows(engine, Activity)
    before_seed = seeded(engine)
    progress = []

    added = generate(engine, count=500, seed=7, progress=progress.append)

    assert added == 500
    assert progress and progress[-1] == 500
    assert count_rows(engine, Activity) == before_total + 500
    assert count_rows(engine, Activity, Activity.provenance == "synthetic") == 500
    assert count_rows(engine, Activity, Activity.external_id.like("demo-7-%")) == 500
    with engine.connect() as conn:
        sources = set(
            conn.scalars(select(Activity.source).where(Activity.provenance == "synthetic"))
        )
        themed = conn.scalar(
            select(func.count(func.distinct(ActivityTheme.activity_id))).where(
                ActivityTheme.activity_id.in_(
                    select(Activity.id).where(Activity.provenance == "synthetic")
                )
            )
        )
    assert sources == {"synthetic (fieldlog demo)"}
    assert themed == 500
    assert seeded(engine) == before_seed

    # the API lists them, and still writes new records afterwards (ids keep counting)
    listed = client.get("/api/v1/activities", params={"provenance": "synthetic", "limit": 5})
    assert listed.status_code == 200
    assert 0 < listed.json()["total"] <= 500
    assert {a["provenance"] for a in listed.json()["items"]} == {"synthetic"}
    create_activity(client, meeting_body(title="After the demo", start="2016-05"))
    assert count_rows(engine, Activity) == before_total + 501


def test_the_same_seed_gives_the_same_rows_in_two_fresh_databases(engine, backend, template_url):
    other_url = backend.copy(template_url)
    other = make_engine(other_url)
    try:
        generate(engine, count=200, seed=7)
        generate(other, count=200, seed=7)
        first, second = synthetic(engine), synthetic(other)
        assert len(first) == 200
        assert first == second
        assert joint_missions(engine) == joint_missions(other)
        generate(other, count=200, seed=8)
        assert synthetic(other, seed=8) != first
    finally:
        other.dispose()
        backend.drop(other_url)


def test_the_same_seed_gives_the_same_rows_after_a_reference_row_was_resaved(
    engine, backend, template_url
):
    """Re-saving a location unchanged (as re-seeding a corrected file does) changes no demo row.

    The generator must not depend on the order a database happens to return rows in.
    """
    other_url = backend.copy(template_url)
    other = make_engine(other_url)
    try:
        with other.begin() as conn:
            first = conn.scalar(select(Location.id).order_by(Location.id).limit(1))
            conn.execute(
                update(Location.__table__).where(Location.id == first).values(name=Location.name)
            )
            first_mission = conn.scalar(select(Mission.id).order_by(Mission.id).limit(1))
            conn.execute(
                update(Mission.__table__)
                .where(Mission.id == first_mission)
                .values(name=Mission.name)
            )
        generate(engine, count=300, seed=7)
        generate(other, count=300, seed=7)
        assert synthetic(engine) == synthetic(other)
        assert joint_missions(engine), "300 rows at 2% should hold a joint activity"
        assert joint_missions(engine) == joint_missions(other)
    finally:
        other.dispose()
        backend.drop(other_url)


# --- the command line ------------------------------------------------------------------------


def test_cli_demo_adds_activities_to_the_configured_database(cli_database, engine):
    before = count_rows(engine, Activity)
    result = CliRunner().invoke(cli, ["demo", "--activities", "50", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "Added 50 synthetic activities" in result.output
    assert count_rows(engine, Activity) == before + 50
    assert count_rows(engine, Activity, Activity.external_id.like("demo-3-%")) == 50


def planned_activities(engine, backend) -> int | None:
    """How many activities the query planner believes there are (its statistics)."""
    with engine.connect() as conn:
        if backend.name == "sqlite":
            if not conn.exec_driver_sql(
                "SELECT 1 FROM sqlite_master WHERE name='sqlite_stat1'"
            ).first():
                return None
            # each index's row starts with the rows it holds; a partial index (the joint
            # records' list indexes) holds fewer, so read the whole table's figure: the most
            stats = conn.exec_driver_sql(
                "SELECT stat FROM sqlite_stat1 WHERE tbl = 'activities' AND idx IS NOT NULL"
            ).all()
            return max(int(stat.split()[0]) for (stat,) in stats) if stats else None
        return int(
            conn.exec_driver_sql(
                "SELECT reltuples FROM pg_class WHERE relname = 'activities'"
            ).scalar()
        )


@pytest.mark.parametrize("command", [["demo", "--activities", "60"], ["seed"]])
def test_cli_demo_and_seed_leave_the_planner_statistics_current(
    cli_database, engine, backend, command
):
    """After `fieldlog demo` or `fieldlog seed` the planner knows how many rows there are
    (ANALYZE ran): stale statistics made PostgreSQL's dashboards 3-4 times slower."""
    if command[0] == "seed":  # something for the seed's ANALYZE to notice
        generate(engine, count=40, seed=9)
    added = 60 if command[0] == "demo" else 0
    assert planned_activities(engine, backend) != count_rows(engine, Activity) + added
    result = CliRunner().invoke(cli, command)
    assert result.exit_code == 0, result.output
    assert "Planner statistics refreshed (ANALYZE)" in result.output
    assert planned_activities(engine, backend) == count_rows(engine, Activity)
    if backend.name == "postgres":  # VACUUM marked the pages all-visible: index-only counts
        with engine.connect() as conn:
            visible = conn.exec_driver_sql(
                "SELECT relallvisible FROM pg_class WHERE relname = 'activities'"
            ).scalar()
        assert visible and visible > 0


def test_cli_demo_refuses_a_count_below_one(cli_database, engine):
    before = count_rows(engine, Activity)
    result = CliRunner().invoke(cli, ["demo", "--activities", "0"])
    assert result.exit_code == 2
    assert count_rows(engine, Activity) == before


def test_cli_init_on_a_migrated_database_is_a_no_op(cli_database, engine):
    before = count_rows(engine, Activity)
    result = CliRunner().invoke(cli, ["init"])
    assert result.exit_code == 0, result.output
    assert "latest schema" in result.output
    assert count_rows(engine, Activity) == before


def _commands() -> list[str]:
    return sorted(typer.main.get_command(cli).commands)


def test_cli_has_the_documented_commands():
    assert {"init", "seed", "demo", "serve"} <= set(_commands())


@pytest.mark.parametrize("command", [[], *([c] for c in _commands())])
def test_cli_help_for_each_command(command):
    result = CliRunner().invoke(cli, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output
    if command:
        doc = typer.main.get_command(cli).commands[command[0]].help or ""
        assert doc.split("\n")[0].split(":")[0][:30] in " ".join(result.output.split())
    else:
        for name in _commands():
            assert name in result.output
