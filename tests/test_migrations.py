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
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
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
