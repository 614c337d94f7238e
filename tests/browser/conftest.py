"""A live FieldLog server on SQLite and Debian's Chromium driven by Playwright.

Chromium comes from Debian's package (/usr/bin/chromium; scripts/test.sh installs it
when run as root). Without it these tests skip locally with that reason; in CI
(CI=true) they fail.
"""

from __future__ import annotations

import os
import socket
import threading
import time

import pytest
import uvicorn

from app.config import Settings
from app.db import make_engine
from app.main import create_app
from tests.browser.support import ARGS, CHROMIUM
from tests.conftest import Backend, migrate, seed_database


@pytest.fixture(scope="module")
def browser():
    """Chromium through Playwright's sync API, per module: that API keeps an event loop
    running in this thread while it is open, so it must be closed before the tests that
    drive ASGI apps with asyncio.run() (they run after tests/browser/ in one session)."""
    if not os.path.exists(CHROMIUM):
        reason = f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def sqlite_backend(tmp_path_factory):
    """Browser journeys run on SQLite; the API tests cover PostgreSQL."""
    return Backend("sqlite", tmp_path_factory.mktemp("browser"))


@pytest.fixture(scope="session")
def sqlite_template(sqlite_backend) -> str:
    url = sqlite_backend.new_url()
    migrate(url)
    seed_database(url)
    return url


@pytest.fixture
def live_server(sqlite_backend, sqlite_template):
    """The app served by uvicorn on a free port, on this test's own database copy."""
    db_url = sqlite_backend.copy(sqlite_template)
    engine = make_engine(db_url)
    app = create_app(Settings(database_url=db_url), engine)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    app.state.jobs.shutdown()  # jobs the test started finish before its database goes
    engine.dispose()
    sqlite_backend.drop(db_url)
