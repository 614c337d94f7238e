"""Migrations go up and down cleanly on both databases and match the models."""

from __future__ import annotations

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from app.cli import alembic_config
from app.db import Base, make_engine


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        names = set(inspect(engine).get_table_names()) - {"alembic_version"}
        # the full-text index (0015): not on the models, as it differs between databases
        return {n for n in names if not n.startswith("activity_search")}
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade(backend):
    url = backend.new_url()
    config = alembic_config(url)
    command.upgrade(config, "head")
    assert _tables(url) == set(Base.metadata.tables)
    command.check(config)  # raises if the models and the migrations disagree

    command.downgrade(config, "base")
    assert _tables(url) == set()

    command.upgrade(config, "head")
    assert _tables(url) == set(Base.metadata.tables)
    command.check(config)
    backend.drop(url)


def test_each_migration_reverts_alone(backend):
    """Step through every revision: up one, down one, up again."""
    url = backend.new_url()
    config = alembic_config(url)
    revisions = list(reversed(list(ScriptDirectory.from_config(config).walk_revisions())))
    for rev in revisions:
        command.upgrade(config, rev.revision)
        command.downgrade(config, rev.down_revision or "base")
        command.upgrade(config, rev.revision)
    backend.drop(url)


def test_stepping_down_and_up_keeps_the_data_and_refills_the_aggregates(backend):
    """A downgrade that rebuilds the activities table (SQLite batch mode) must not
    cascade into the rows that point at it; the upgrade refills the aggregates."""
    from sqlalchemy import func, select, text

    import app.models  # noqa: F401
    from app.activities import aggregates as stats
    from app.activities.models import Activity
    from app.db import unit_of_work
    from app.demo import generate
    from app.seeding import seed

    url = backend.new_url()
    config = alembic_config(url)
    command.upgrade(config, "head")
    engine = make_engine(url)
    with unit_of_work(engine) as session:
        seed(session)
    generate(engine, count=400, seed=3)
    tables = [
        "activities",
        "activity_themes",
        "activity_locations",
        "activity_missions",
        "activity_partners",
        "audit_entries",
    ]

    def counts():
        with engine.connect() as conn:
            return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in tables}

    before = counts()
    assert all(before.values())
    engine.dispose()
    command.downgrade(config, "0002")
    command.upgrade(config, "head")
    assert counts() == before
    with unit_of_work(engine, write=False) as session:
        assert stats.snapshot(session) == stats.recount(session.scalars(select(Activity)))
        joint = session.scalar(select(func.count()).where(Activity.is_joint.is_(True)))
        assert joint == session.scalar(
            text("SELECT count(DISTINCT activity_id) FROM activity_missions")
        )
    engine.dispose()
    backend.drop(url)


def _audit_triggers(engine) -> set[str]:
    from sqlalchemy import text

    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            query = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        else:
            query = (
                "SELECT tgname FROM pg_trigger "
                "WHERE tgrelid = 'audit_entries'::regclass AND NOT tgisinternal"
            )
        return set(conn.execute(text(query)).scalars())


def test_the_database_holds_every_check_the_models_declare(backend):
    """Migration 0004 rebuilt nine tables on SQLite to rewrite their vocabulary checks:
    every CHECK must survive by name (and, on SQLite, word for word), and the audit
    trail must stay append-only, after an upgrade and after a downgrade and upgrade."""
    from sqlalchemy import CheckConstraint

    import app.models  # noqa: F401

    url = backend.new_url()
    config = alembic_config(url)
    command.upgrade(config, "head")
    engine = make_engine(url)
    expected_triggers = _audit_triggers(engine)
    engine.dispose()
    assert len(expected_triggers) == 2
    command.downgrade(config, "0003")
    command.upgrade(config, "head")
    engine = make_engine(url)
    assert _audit_triggers(engine) == expected_triggers
    found = inspect(engine)
    for table in Base.metadata.sorted_tables:
        declared = {
            str(c.name): " ".join(str(c.sqltext).split())
            for c in table.constraints
            if isinstance(c, CheckConstraint)
        }
        stored = {
            c["name"]: " ".join(c["sqltext"].split())
            for c in found.get_check_constraints(table.name)
        }
        assert set(stored) == set(declared), table.name
        if engine.dialect.name == "sqlite":
            assert stored == declared, table.name
    engine.dispose()
    backend.drop(url)


def test_0007_moves_each_target_group_into_the_list_and_back(backend):
    """Up: a training's one group becomes its list, a training that gave women and the
    total gets the rest as men, and the aggregates equal a recount by the new rules.
    Down: the first group goes back into target_group and the men go."""
    from sqlalchemy import select, text

    import app.models  # noqa: F401
    from app.activities import aggregates as stats
    from app.activities.models import Activity
    from app.db import unit_of_work
    from app.seeding import seed

    url = backend.new_url()
    config = alembic_config(url)
    command.upgrade(config, "head")
    engine = make_engine(url)
    with unit_of_work(engine) as session:
        seed(session)
    engine.dispose()
    command.downgrade(config, "0006")
    engine = make_engine(url)
    with engine.begin() as conn:
        template = (
            conn.execute(
                text("SELECT * FROM activities WHERE type = 'training' ORDER BY id LIMIT 1")
            )
            .mappings()
            .one()
        )
        columns = [c for c in template if c not in ("id", "external_id")]

        def add(external_id, group, total, women):
            values = {
                **template,
                "target_group": group,
                "participants_total": total,
                "participants_women": women,
                "external_id": external_id,
            }
            conn.execute(
                text(
                    f"INSERT INTO activities (external_id, {', '.join(columns)}) "
                    f"VALUES (:external_id, {', '.join(':' + c for c in columns)})"
                ),
                values,
            )

        add("m-lawyers", "lawyers", 24, 7)
        add("m-nothing", None, 430, None)
    engine.dispose()

    command.upgrade(config, "head")
    engine = make_engine(url)
    with unit_of_work(engine, write=False) as session:
        rows = {
            a.external_id: a
            for a in session.scalars(
                select(Activity).where(Activity.external_id.in_(["m-lawyers", "m-nothing"]))
            )
        }
        assert rows["m-lawyers"].target_groups == ["lawyers"]
        assert (rows["m-lawyers"].participants_women, rows["m-lawyers"].participants_men) == (7, 17)
        assert rows["m-nothing"].target_groups is None
        assert rows["m-nothing"].participants_men is None
        assert stats.snapshot(session) == stats.recount(session.scalars(select(Activity)))
    with unit_of_work(engine) as session:
        activity = session.scalars(
            select(Activity).where(Activity.external_id == "m-lawyers")
        ).one()
        activity.target_groups = ["police", "lawyers"]
    engine.dispose()

    command.downgrade(config, "0006")
    engine = make_engine(url)
    with engine.connect() as conn:
        back = dict(
            conn.execute(
                text(
                    "SELECT external_id, target_group FROM activities "
                    "WHERE external_id IN ('m-lawyers', 'm-nothing')"
                )
            ).all()
        )
        assert back == {"m-lawyers": "lawyers", "m-nothing": None}  # the first, in code order
        columns = {c["name"] for c in inspect(conn).get_columns("activities")}
        assert "participants_men" not in columns and "target_group" in columns
        assert "activity_target_groups" not in inspect(conn).get_table_names()
    engine.dispose()
    backend.drop(url)
