"""Field entry that never loses work, on a 360 px phone: saving without signal (the
service worker serves the form, the outbox sends it when the connection returns), the
same save sent twice, a session that expires while the form is filled in, and sign-out
on a phone with something still waiting. Records are counted through the API."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from datetime import timedelta

import pytest
import uvicorn
from playwright.sync_api import Error as PlaywrightError
from sqlalchemy import update

from app.accounts.demo_users import DEMO_DOMAIN, DEMO_PASSWORD
from app.accounts.models import UserSession
from app.config import Settings
from app.db import make_engine, unit_of_work
from app.main import create_app
from app.models_common import utcnow
from tests.browser.support import ARTIFACTS, axe_violations, screenshot, sign_in

pytestmark = pytest.mark.browser
PHONE = {"width": 360, "height": 780}
OBSERVATIONS = "About 400 people crossed from Greece; families wait in the sun without water."


def _phone(browser, **options):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, **options)
    return context, context.new_page()


def _service_worker_ready(page) -> None:
    """The worker controls the page and holds the form for the next time without signal."""
    page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    if not page.evaluate("() => navigator.serviceWorker.controller !== null"):
        page.reload()  # the page was loading while the worker took over: the next one is its
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=15_000)
    deadline = time.monotonic() + 30
    # (wait_for_function does not await a promise: poll from here)
    while not page.evaluate("async () => Boolean(await caches.match('/activities/new'))"):
        assert time.monotonic() < deadline, "the service worker did not keep the form page"
        page.wait_for_timeout(100)


def _until(page, condition, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        page.wait_for_timeout(50)


def _autosaved(page) -> None:
    page.wait_for_selector("form[data-autosave=on]")


def _fill_visit(page, title: str) -> None:
    """A monitoring visit at Gevgelija with observations, as a focal point types it."""
    page.check("#f-type-monitoring_visit")  # presets its dimension and response area
    page.fill("#f-title", title)
    page.fill("#f-start-day", "2016-03-02")
    page.check("#f-locations-gevgelija")
    page.fill("#f-observations", OBSERVATIONS)


def _set_end(page, day: str) -> None:
    """Type an end date (its section is collapsed until it holds one)."""
    if not page.is_visible("#f-end-day"):
        page.locator("summary:has-text('Add an end date')").click()
    page.fill("#f-end-day", day)


def _records(page, base: str, title: str) -> list[dict]:
    answer = page.request.get(f"{base}/api/v1/activities", params={"q": title})
    assert answer.ok, answer.text()
    return [item for item in answer.json()["items"] if item["title"] == title]


def _device_rows(page) -> dict[str, int]:
    """What IndexedDB and the page cache hold, counted from the page."""
    return page.evaluate(
        """async () => {
            const db = await idb.openDB('fieldlog', 1);
            const drafts = (await db.getAll('drafts')).length;
            const outbox = (await db.getAll('outbox')).length;
            const pages = (await caches.keys()).includes('fieldlog-pages')
                ? (await (await caches.open('fieldlog-pages')).keys()).length : 0;
            db.close();
            return {drafts, outbox, pages};
        }"""
    )


def test_a_visit_saved_without_signal_is_sent_once_when_it_returns(browser, live_server):
    base = live_server
    title = "Monitoring visit to Gevgelija without signal"
    context, page = _phone(browser)
    sign_in(page, base, "fp.mkd")
    _service_worker_ready(page)

    context.set_offline(True)
    page.goto(f"{base}/activities/new")  # from the service worker's cache
    _autosaved(page)
    _fill_visit(page, title)
    page.click("button:has-text('Save as draft')")
    region = page.locator("[data-device-outbox]")
    region.wait_for(state="visible")
    assert "Saved on this device — waiting to send" in region.inner_text()
    assert title in region.inner_text() and "Waiting to send" in region.inner_text()
    assert page.input_value("#f-title") == "", "the form is ready for the next activity"
    screenshot(page, "offline-waiting-phone")
    page.screenshot(path=str(ARTIFACTS / "offline-waiting-top.png"))  # the first screen
    assert axe_violations(page) == []

    context.set_offline(False)
    page.wait_for_selector("[data-outbox-item][data-state=sent]", timeout=15_000)
    assert "Sent" in region.inner_text()
    records = _records(page, base, title)
    assert len(records) == 1, records
    record = records[0]
    assert record["type"] == "monitoring_visit"
    assert record["observations"] == OBSERVATIONS
    assert record["start"] == "2016-03-02"
    assert record["locations"] == ["gevgelija"]
    assert region.locator("a", has_text="open the record").get_attribute("href") == (
        f"/activities/{record['id']}"
    )
    # a later page shows it no more, and sending again finds nothing to send
    page.goto(f"{base}/my-work")
    page.wait_for_function("() => document.documentElement.hasAttribute('data-device-ready')")
    page.evaluate("() => FieldLogOutbox.sendAll()")
    assert len(_records(page, base, title)) == 1
    context.close()


def test_a_double_tap_and_a_retry_after_a_lost_answer_make_one_record(browser, live_server):
    base = live_server
    # without a service worker, so the test's route sees the form's posts
    context, page = _phone(browser, service_workers="block")
    sign_in(page, base, "fp.mkd")

    # a double tap: the first post is still on its way when the second one goes; both
    # reach the server
    held: list = []
    title = "Monitoring visit to Gevgelija, saved with a double tap"
    page.goto(f"{base}/activities/new")
    _autosaved(page)
    _fill_visit(page, title)
    page.route("**/activities/new", lambda route: held.append(route))
    save = page.locator("button:has-text('Save as draft')")
    save.scroll_into_view_if_needed()
    box = save.bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.touchscreen.tap(x, y)
    _until(page, lambda: len(held) == 1)
    page.touchscreen.tap(x, y)
    _until(page, lambda: len(held) == 2)
    page.unroute("**/activities/new")
    answers = [route.fetch(max_redirects=0) for route in held]
    assert [answer.status for answer in answers] == [303, 303]
    assert answers[0].headers["location"] == answers[1].headers["location"]
    for route, answer in zip(held, answers, strict=True):
        # the second tap may have replaced the first one's navigation
        with contextlib.suppress(PlaywrightError):
            route.fulfill(response=answer)
    page.wait_for_url("**/activities/*?done=created")
    assert len(_records(page, base, title)) == 1

    # a retry after the answer was lost: the server saved it, the phone never heard
    title = "Monitoring visit to Gevgelija, retried after a lost answer"
    page.goto(f"{base}/activities/new")
    _autosaved(page)
    _fill_visit(page, title)

    lost: list[int] = []

    def lose_the_answer(route):
        answer = route.fetch(max_redirects=0)  # the server saves it
        lost.append(answer.status)
        route.abort("connectionreset")

    page.route("**/activities/new", lose_the_answer)
    page.click("button:has-text('Save as draft')")
    _until(page, lambda: bool(lost))
    page.unroute("**/activities/new")
    assert lost == [303]
    assert len(_records(page, base, title)) == 1
    # the person opens the form again: what they typed is back, and saving it again
    # answers with the record already made
    page.goto(f"{base}/activities/new")
    page.wait_for_selector("[data-restored-notice]")
    assert page.input_value("#f-title") == title
    page.click("button:has-text('Save as draft')")
    page.wait_for_url("**/activities/*?done=created")
    records = _records(page, base, title)
    assert len(records) == 1, records
    assert page.url.split("?")[0].endswith(f"/activities/{records[0]['id']}")
    context.close()


@pytest.fixture
def idle_server(sqlite_backend, sqlite_template):
    """A live server whose sessions end after one idle minute, and its database engine
    (to move the idle clock on without waiting)."""
    db_url = sqlite_backend.copy(sqlite_template)
    engine = make_engine(db_url)
    app = create_app(Settings(database_url=db_url, session_idle_minutes=1), engine)
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
    yield f"http://127.0.0.1:{port}", engine
    server.should_exit = True
    thread.join(timeout=10)
    engine.dispose()
    sqlite_backend.drop(db_url)


def test_after_the_session_expires_the_form_comes_back_after_signing_in(browser, idle_server):
    base, engine = idle_server
    title = "Monitoring visit to Gevgelija, typed while the session ran out"
    context, page = _phone(browser)
    sign_in(page, base, "fp.mkd")
    page.goto(f"{base}/activities/new")
    _autosaved(page)
    _fill_visit(page, title)
    page.wait_for_timeout(600)  # the typing pauses: the device keeps a copy

    # two idle minutes pass
    with unit_of_work(engine) as session:
        session.execute(update(UserSession).values(last_seen_at=utcnow() - timedelta(minutes=2)))
    page.click("button:has-text('Save as draft')")
    page.wait_for_url("**/login?next=*")
    assert page.url.endswith("/login?next=%2Factivities%2Fnew"), page.url

    page.fill("#email", f"fp.mkd@{DEMO_DOMAIN}")
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/activities/new")
    notice = page.locator("[data-restored-notice]")
    notice.wait_for()
    assert "Restored what you typed on this device at" in notice.inner_text()
    assert page.input_value("#f-title") == title
    assert page.input_value("#f-observations") == OBSERVATIONS
    assert page.is_checked("#f-locations-gevgelija")
    assert page.is_visible("#f-observations"), "the type's own fields are shown"
    page.screenshot(path=str(ARTIFACTS / "offline-restored-top.png"))
    assert axe_violations(page) == []

    page.click("button:has-text('Save as draft')")
    page.wait_for_url("**/activities/*?done=created")
    assert len(_records(page, base, title)) == 1
    # the server has it: the device's copy is gone
    page.wait_for_function("() => document.documentElement.hasAttribute('data-device-ready')")
    assert _device_rows(page)["drafts"] == 0
    context.close()


def test_signing_out_with_something_waiting_warns_then_leaves_nothing(browser, live_server):
    base = live_server
    title = "Monitoring visit to Gevgelija, still waiting at sign-out"
    context, page = _phone(browser)
    sign_in(page, base, "fp.mkd")
    _service_worker_ready(page)
    context.set_offline(True)
    page.goto(f"{base}/activities/new")
    _autosaved(page)
    _fill_visit(page, title)
    page.click("button:has-text('Save as draft')")
    page.wait_for_selector("[data-outbox-item][data-state=waiting]")
    page.fill("#f-title", "Half-typed next activity")  # a draft, too
    page.wait_for_timeout(600)
    assert _device_rows(page)["outbox"] == 1

    # the warning: cancelling keeps the person signed in with everything kept
    messages: list[str] = []

    def answer(dialog, accept: bool) -> None:
        messages.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda dialog: answer(dialog, False))
    page.click("button:has-text('Sign out')")
    assert messages and "1 activity saved on this device has not been sent yet" in messages[0]
    assert page.url.endswith("/activities/new"), "still signed in, on the form"
    assert _device_rows(page)["outbox"] == 1

    context.set_offline(False)
    context.route("**/activities/new", lambda route: route.abort())  # nothing goes out yet
    page.once("dialog", lambda dialog: answer(dialog, True))
    page.click("button:has-text('Sign out')")
    page.wait_for_url("**/login")
    page.wait_for_function("() => document.documentElement.hasAttribute('data-device-ready')")
    assert _device_rows(page) == {"drafts": 0, "outbox": 0, "pages": 0}
    context.close()


def test_a_record_the_server_refuses_says_why_and_reopens_with_what_was_typed(browser, live_server):
    base = live_server
    title = "Monitoring visit to Gevgelija that ends before it starts"
    context, page = _phone(browser)
    sign_in(page, base, "fp.mkd")
    _service_worker_ready(page)
    context.set_offline(True)
    page.goto(f"{base}/activities/new")
    _autosaved(page)
    _fill_visit(page, title)
    _set_end(page, "2016-03-01")  # before the start: the server refuses it
    page.click("button:has-text('Save as draft')")
    page.wait_for_selector("[data-outbox-item][data-state=waiting]")

    context.set_offline(False)
    refused = page.locator("[data-outbox-item][data-state=refused]")
    refused.wait_for(timeout=15_000)
    assert "Not saved:" in refused.inner_text()
    assert "end" in refused.inner_text().lower(), refused.inner_text()
    assert _records(page, base, title) == []
    page.screenshot(path=str(ARTIFACTS / "offline-refused-top.png"))
    assert axe_violations(page) == []
    refused.get_by_role("link", name="Open it in the form").click()
    page.wait_for_selector("[data-restored-notice]")
    assert page.input_value("#f-title") == title
    assert page.input_value("#f-end-day") == "2016-03-01"
    _set_end(page, "2016-03-04")
    page.click("button:has-text('Save as draft')")
    page.wait_for_url("**/activities/*?done=created")
    assert len(_records(page, base, title)) == 1
    # saved: it leaves the outbox, and nothing is left to warn about at sign-out
    page.wait_for_function("() => document.documentElement.hasAttribute('data-device-ready')")
    _until(page, lambda: _device_rows(page)["outbox"] == 0)
    assert page.locator("[data-device-outbox]").is_hidden()
    context.close()


def test_a_save_refused_on_the_form_keeps_the_device_copy_until_it_is_saved(browser, live_server):
    base = live_server
    title = "Monitoring visit to Gevgelija, refused once on the form"
    context, page = _phone(browser)
    sign_in(page, base, "fp.mkd")
    page.goto(f"{base}/activities/new")
    _autosaved(page)
    _fill_visit(page, title)
    _set_end(page, "2016-03-01")
    page.click("button:has-text('Save as draft')")
    page.wait_for_selector(".problem")  # 422: the form again, with what was typed
    _autosaved(page)
    _until(page, lambda: _device_rows(page)["drafts"] == 1)
    assert not page.is_visible("[data-restored-notice]"), "the page shows it already"

    # closed and opened again: still there
    page.goto(f"{base}/activities/new")
    page.wait_for_selector("[data-restored-notice]")
    assert page.input_value("#f-end-day") == "2016-03-01"
    _set_end(page, "2016-03-04")
    page.click("button:has-text('Save as draft')")
    page.wait_for_url("**/activities/*?done=created")
    page.wait_for_function("() => document.documentElement.hasAttribute('data-device-ready')")
    _until(page, lambda: _device_rows(page)["drafts"] == 0)
    assert len(_records(page, base, title)) == 1
    context.close()
