"""PostgreSQL: the server runs as a role that owns nothing, so it cannot switch the audit
trail's triggers off, nor change or empty the trail; the README's steps, run as written
(scripts/postgres-roles.sql, `fieldlog init` as the owner, `fieldlog grant-app-role`)."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError
from typer.testing import CliRunner

import app.config
import app.db
from app.audit.models import AuditEntry
from app.cli import app as cli
from app.config import Settings
from app.db import make_engine
from app.main import create_app
from tests.conftest import Backend, migrate, seed_database
from tests.support import meeting_body, page_client, sign_in

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "postgres-roles.sql"

# What the server's role must not be able to do: each would let it rewrite history.
REFUSED = [
    "ALTER TABLE audit_entries DISABLE TRIGGER ALL",
    "ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_append_only",
    "DROP TRIGGER audit_entries_append_only ON audit_entries",
    "DROP FUNCTION fieldlog_audit_append_only() CASCADE",
    "TRUNCATE audit_entries",
    "UPDATE audit_entries SET detail = 'rewritten'",
    "DELETE FROM audit_entries",
    "SET session_replication_role = replica",  # would skip every trigger
    "ALTER TABLE activities DISABLE TRIGGER ALL",
    "DROP TABLE audit_entries",
    "CREATE TABLE audit_entries_copy (id integer)",
    "UPDATE alembic_version SET version_num = 'x'",
]


def script_statements(names: dict[str, str]) -> list[str]:
    """The statements of scripts/postgres-roles.sql, with the roles and database renamed."""
    sql = re.sub(r"--[^\n]*", "", SCRIPT.read_text(encoding="utf-8"))
    for name, unique in names.items():
        sql = re.sub(rf"\b{name}\b", unique, sql)
    return [statement.strip() for statement in sql.split(";") if statement.strip()]


def url_as(admin_url: str, role: str, database: str) -> str:
    url = make_url(admin_url).set(username=role, password=None, database=database)
    return url.render_as_string(hide_password=False)


@pytest.fixture
def roles(tmp_path):
    """The script run by the superuser, with names unique to this run; all dropped after.
    Roles are a PostgreSQL matter: this needs the server (skips locally without it, fails
    in CI), never SQLite."""
    backend = Backend("postgres", tmp_path)
    suffix = uuid.uuid4().hex[:10]
    names = {
        "fieldlog_owner": f"fieldlog_owner_{suffix}",
        "fieldlog_app": f"fieldlog_app_{suffix}",
        "fieldlog": f"fieldlog_roles_{suffix}",
    }
    superuser = create_engine(backend.admin_url, isolation_level="AUTOCOMMIT")
    try:
        with superuser.connect() as conn:
            for statement in script_statements(names):
                conn.execute(text(statement))
        yield {
            "owner": url_as(backend.admin_url, names["fieldlog_owner"], names["fieldlog"]),
            "app": url_as(backend.admin_url, names["fieldlog_app"], names["fieldlog"]),
            "app_role": names["fieldlog_app"],
        }
    finally:
        with superuser.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{names["fieldlog"]}" WITH (FORCE)'))
            conn.execute(text(f'DROP ROLE IF EXISTS "{names["fieldlog_app"]}"'))
            conn.execute(text(f'DROP ROLE IF EXISTS "{names["fieldlog_owner"]}"'))
        superuser.dispose()


@pytest.fixture
def cli_as(monkeypatch):
    """Run a `fieldlog` command with FIELDLOG_DATABASE_URL set to `url`."""

    def run(url: str, *args: str):
        monkeypatch.setenv("FIELDLOG_DATABASE_URL", url)
        app.config.get_settings.cache_clear()
        app.db.get_engine.cache_clear()
        try:
            return CliRunner().invoke(cli, list(args))
        finally:
            app.config.get_settings.cache_clear()
            app.db.get_engine.cache_clear()

    return run


@pytest.mark.postgres
def test_the_servers_role_cannot_touch_the_audit_trail_but_runs_the_app(roles, cli_as):
    migrate(roles["owner"])  # `fieldlog init`, as the owner
    granted = cli_as(roles["owner"], "grant-app-role", roles["app_role"])
    assert granted.exit_code == 0, granted.output

    # the app, as its own role: seed, sign in, create an activity by API token (and its audit)
    tokens = seed_database(roles["app"])
    engine = make_engine(roles["app"])
    try:
        fieldlog = create_app(Settings(database_url=roles["app"]), engine)
        assert sign_in(page_client(fieldlog)).status_code == 303
        api = TestClient(fieldlog, headers={"Authorization": f"Bearer {tokens['fp.mkd']}"})
        created = api.post("/api/v1/activities", json=meeting_body())
        assert created.status_code == 201, created.text
        with engine.connect() as conn:
            assert conn.scalar(select(func.current_user())) == roles["app_role"]
            entries = conn.scalar(select(func.count()).select_from(AuditEntry))
            assert conn.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(
                    AuditEntry.entity == "activity", AuditEntry.entity_id == created.json()["id"]
                )
            )
        for statement in REFUSED:
            with engine.connect() as conn, pytest.raises(ProgrammingError) as refused:
                conn.execute(text(statement))
            assert type(refused.value.orig).__name__ == "InsufficientPrivilege", statement
        with engine.connect() as conn:  # the trail is as it was
            assert conn.scalar(select(func.count()).select_from(AuditEntry)) == entries
            assert not conn.scalar(
                select(func.count()).select_from(AuditEntry).where(AuditEntry.detail == "rewritten")
            )
    finally:
        engine.dispose()


def test_grant_app_role_is_for_postgresql_only(cli_as, tmp_path):
    result = cli_as(f"sqlite:///{tmp_path / 'x.db'}", "grant-app-role", "someone")
    assert result.exit_code == 2 and "PostgreSQL" in result.output
