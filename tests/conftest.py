"""Test databases: real SQLite files and a real PostgreSQL server, migrated to head.

Each backend gets a template database, migrated with Alembic (so every run tests
the migrations) and seeded once. Each test that writes gets its own copy of the
template: SQLite copies the file, PostgreSQL uses CREATE DATABASE … TEMPLATE.

PostgreSQL tests run when FIELDLOG_TEST_POSTGRES_URL names a server (CI sets it).
Locally they skip with the reason; in CI (CI=true) a missing server fails the run.

Every test that uses these databases (or the app, or a browser) is marked `slow`;
`pytest -m "not slow"` runs only the pure rules (tests/unit and a few others) in seconds.
Shared builders (request bodies, forms, signing in) are in tests/support.py.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app.cli import alembic_config
from app.config import Settings
from app.db import make_engine, session_factory
from app.main import create_app

POSTGRES_URL = os.environ.get("FIELDLOG_TEST_POSTGRES_URL", "")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
# Fixtures that build a database, serve the app or start a browser; every fixture that
# needs one of them (db_url, engine, session, app, client, …) depends on one of these.
SLOW_FIXTURES = frozenset({"backend", "sqlite_backend", "live_server", "browser"})
SLOW_MARKERS = ("postgres", "browser")
UNIT_TESTS = Path(__file__).parent / "unit"


def pytest_collection_modifyitems(config, items) -> None:
    """Mark `slow` every test that needs a database, the app or a browser, so that
    `pytest -m "not slow"` runs the pure rules alone, in seconds.

    tests/unit is the fast tier by promise: a test there that asks for a database
    would quietly drop out of it, so it is refused instead.
    """
    for item in items:
        needs = SLOW_FIXTURES.intersection(getattr(item, "fixturenames", ()))
        if not needs and not any(item.get_closest_marker(m) for m in SLOW_MARKERS):
            continue
        if UNIT_TESTS in item.path.parents:
            raise pytest.UsageError(
                f"{item.nodeid} is in tests/unit but needs {sorted(needs) or 'a server'}; "
                "unit tests run without a database: move it to a tests/test_*.py file"
            )
        item.add_marker(pytest.mark.slow)


def _postgres_admin_url() -> str:
    url = make_url(POSTGRES_URL)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return url.render_as_string(hide_password=False)


def _require_postgres() -> str:
    if not POSTGRES_URL:
        reason = "PostgreSQL tests need FIELDLOG_TEST_POSTGRES_URL (CI sets it)"
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    try:
        engine = create_engine(_postgres_admin_url())
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # pragma: no cover - depends on the machine
        message = f"PostgreSQL at FIELDLOG_TEST_POSTGRES_URL is not reachable: {exc}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return _postgres_admin_url()


class Backend:
    """Creates and drops databases of one kind."""

    def __init__(self, name: str, tmp: Path):
        self.name = name
        self.tmp = tmp
        self.created: list[str] = []
        self.admin_url = _require_postgres() if name == "postgres" else None

    def new_url(self) -> str:
        if self.name == "sqlite":
            return f"sqlite:///{self.tmp / f'fieldlog-{uuid.uuid4().hex[:8]}.db'}"
        db = f"fieldlog_test_{uuid.uuid4().hex[:12]}"
        self._admin(f'CREATE DATABASE "{db}"')
        self.created.append(db)
        return make_url(self.admin_url).set(database=db).render_as_string(hide_password=False)

    def copy(self, template_url: str) -> str:
        if self.name == "sqlite":
            target = self.new_url()
            shutil.copyfile(make_url(template_url).database, make_url(target).database)
            return target
        db = f"fieldlog_test_{uuid.uuid4().hex[:12]}"
        self._admin(f'CREATE DATABASE "{db}" TEMPLATE "{make_url(template_url).database}"')
        self.created.append(db)
        return make_url(self.admin_url).set(database=db).render_as_string(hide_password=False)

    def drop(self, url: str) -> None:
        if self.name == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                Path(make_url(url).database + suffix).unlink(missing_ok=True)
            return
        db = make_url(url).database
        self._admin(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        if db in self.created:
            self.created.remove(db)

    def _admin(self, sql: str) -> None:
        engine = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(sql))
        engine.dispose()

    def close(self) -> None:
        for db in list(self.created):
            self._admin(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


def migrate(url: str, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def seed_database(url: str) -> dict[str, str]:
    """Seed the study data and the demo users; return an API token per demo user,
    keyed by the part of the email before @ (e.g. 'hom.mkd', 'fp.srb', 'cpc', 'admin')."""
    from app.accounts import service as accounts
    from app.accounts.demo_users import ensure_demo_users
    from app.accounts.models import User
    from app.db import unit_of_work
    from app.missions.service import get_all as all_missions
    from app.seeding import seed

    engine = make_engine(url)
    tokens = {}
    with unit_of_work(engine) as session:
        seed(session)
        ensure_demo_users(session, all_missions(session))
        for user in session.scalars(select(User).where(User.is_demo)):
            _, secret = accounts.create_token(session, user=user, name="tests", days=30)
            tokens[user.email.split("@")[0]] = secret
    engine.dispose()
    return tokens


@pytest.fixture(
    scope="session", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def backend(request, tmp_path_factory) -> Iterator[Backend]:
    b = Backend(request.param, tmp_path_factory.mktemp(request.param))
    yield b
    b.close()


@pytest.fixture(scope="session")
def template(backend: Backend) -> tuple[str, dict[str, str]]:
    """A database migrated to head and seeded, copied for each test, and its API tokens."""
    url = backend.new_url()
    migrate(url)
    tokens = seed_database(url)
    return url, tokens


@pytest.fixture(scope="session")
def template_url(template) -> str:
    return template[0]


@pytest.fixture(scope="session")
def tokens(template) -> dict[str, str]:
    """API token secrets of the demo users: tokens['hom.mkd'], tokens['cpc'], …"""
    return template[1]


@pytest.fixture
def db_url(backend: Backend, template_url: str) -> Iterator[str]:
    url = backend.copy(template_url)
    yield url
    backend.drop(url)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session on the test's own database; committed work stays for the test only.

    Its transactions start deferred (a plain BEGIN), so a test that reads with it
    does not hold SQLite's write lock while the app under test writes."""
    s = session_factory(engine, write=False)()
    yield s
    s.rollback()
    s.close()


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(database_url=db_url)


@pytest.fixture
def app(settings: Settings, engine: Engine):
    app = create_app(settings, engine)
    yield app
    app.state.jobs.shutdown()  # jobs the test started finish before its database goes


@pytest.fixture
def client_as(app, tokens) -> Iterator:
    """`client_as('fp.mkd')` is a TestClient signed in (by API token) as that demo user;
    `client_as(None)` is nobody signed in."""
    clients = []

    def make(who: str | None) -> TestClient:
        headers = {"Authorization": f"Bearer {tokens[who]}"} if who else {}
        c = TestClient(app, raise_server_exceptions=False, headers=headers)
        clients.append(c)
        return c

    yield make
    for c in clients:
        c.close()


@pytest.fixture
def client(client_as) -> TestClient:
    """The Skopje head of mission: may read everything of MKD and change its records."""
    return client_as("hom.mkd")


@pytest.fixture
def anonymous(client_as) -> TestClient:
    return client_as(None)


@pytest.fixture
def cli_database(monkeypatch, db_url):
    """Point the `fieldlog` command's settings at the test's database, and forget them
    afterwards (both are cached for the process)."""
    from app.config import get_settings
    from app.db import get_engine

    monkeypatch.setenv("FIELDLOG_DATABASE_URL", db_url)
    get_settings.cache_clear()
    get_engine.cache_clear()
    yield db_url
    get_engine().dispose()
    get_engine.cache_clear()
    get_settings.cache_clear()
