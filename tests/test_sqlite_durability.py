"""SQLite's durability is a setting: FIELDLOG_SQLITE_SYNCHRONOUS, NORMAL (the default) or FULL,
applied to every connection as PRAGMA synchronous."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from sqlalchemy import text

from app.config import Settings
from app.db import make_engine
from app.main import create_app

PRAGMA_VALUES = {"NORMAL": 1, "FULL": 2}  # what SQLite answers to PRAGMA synchronous


def synchronous_of(engine) -> int:
    try:
        with engine.connect() as conn:
            return conn.execute(text("PRAGMA synchronous")).scalar()
    finally:
        engine.dispose()


@pytest.mark.parametrize("level", ["NORMAL", "FULL"])
def test_every_connection_gets_the_setting(tmp_path, level):
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}", synchronous=level)
    assert synchronous_of(engine) == PRAGMA_VALUES[level]


def test_the_app_applies_the_setting(tmp_path):
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'db.sqlite'}", sqlite_synchronous="full"
    )
    assert settings.sqlite_synchronous == "FULL"
    assert synchronous_of(create_app(settings).state.engine) == PRAGMA_VALUES["FULL"]
    assert Settings().sqlite_synchronous == "NORMAL"


@pytest.mark.parametrize("value", ["OFF", "EXTRA", "1", "normal; DROP TABLE users"])
def test_other_values_are_refused_at_start(value):
    with pytest.raises(ValidationError, match="sqlite_synchronous"):
        Settings(sqlite_synchronous=value)
    with pytest.raises(ValueError, match="NORMAL, FULL"):
        make_engine("sqlite://", synchronous=value)
