"""Signing in and out, sessions, tokens, CSRF, headers and the audit of it all."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError

from app.accounts import service as accounts
from app.accounts.demo_users import DEMO_DOMAIN, DEMO_PASSWORD
from app.accounts.models import ApiToken, LoginFailure, User, UserSession
from app.accounts.passwords import password_problem
from app.audit.models import AuditEntry
from app.config import Settings
from app.main import create_app
from app.models_common import utcnow
from tests.support import FOCAL_POINT_MKD, csrf_token, page_client, sign_in

FP = FOCAL_POINT_MKD


def test_sign_in_sets_a_hardened_session_cookie(app):
    client = page_client(app)
    response = sign_in(client, next="/account")
    assert response.status_code == 303
    assert response.headers["location"] == "/account"
    cookie = response.headers["set-cookie"].lower()
    assert "fieldlog_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    assert client.get("/account").status_code == 200


def test_wrong_password_and_unknown_user_look_the_same(app):
    wrong = sign_in(page_client(app), password="not-the-password-at-all")
    unknown = sign_in(page_client(app), email="nobody@nowhere.example")
    assert wrong.status_code == unknown.status_code == 401
    assert accounts.LOGIN_FAILED_MESSAGE in wrong.text
    assert accounts.LOGIN_FAILED_MESSAGE in unknown.text
    assert "nobody@nowhere.example" in unknown.text  # what was typed is kept


def test_next_never_leaves_the_site(app):
    response = sign_in(page_client(app), next="//evil.example/")
    assert response.headers["location"] == "/"


def test_lockout_after_repeated_failures_and_its_release(app, session):
    """From the address that made them (tests/test_sign_in_throttling.py: other addresses)."""
    settings = app.state.settings
    client = page_client(app)
    for _ in range(settings.login_max_failures_per_account_and_address):
        assert sign_in(client, password="wrong-password-123").status_code == 401
    locked = sign_in(page_client(app))  # even the right password is refused while locked
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.text
    # the window passes
    session.execute(
        update(LoginFailure).values(
            at=utcnow() - timedelta(minutes=settings.login_lockout_minutes + 1)
        )
    )
    session.commit()
    assert sign_in(page_client(app)).status_code == 303


def test_lockout_per_client_address(app, engine):
    settings = Settings(
        database_url=str(engine.url.render_as_string(hide_password=False)),
        login_max_failures_per_address=3,
    )
    limited = create_app(settings, engine)
    for i in range(3):
        sign_in(page_client(limited), email=f"someone{i}@x.example", password="wrong-password-x")
    # another account from the same address is now refused too
    assert sign_in(page_client(limited)).status_code == 429


def test_a_new_session_id_at_each_sign_in(app):
    client = page_client(app)
    sign_in(client)
    first = client.cookies.get("fieldlog_session")
    sign_in(client)
    assert client.cookies.get("fieldlog_session") not in (None, first)


def test_logout_ends_the_session_even_for_a_copied_cookie(app):
    client = page_client(app)
    sign_in(client)
    copied = client.cookies.get("fieldlog_session")
    response = client.post("/logout", data={"csrftoken": csrf_token(client)})
    assert response.status_code == 303
    thief = page_client(app)
    thief.cookies.set("fieldlog_session", copied)
    assert thief.get("/account").headers["location"].startswith("/login")


@pytest.mark.parametrize("field", ["last_seen_at", "expires_at"])
def test_session_expiry_idle_and_absolute(app, session, field):
    client = page_client(app)
    sign_in(client)
    assert client.get("/account").status_code == 200
    settings = app.state.settings
    past = {
        "last_seen_at": utcnow() - timedelta(minutes=settings.session_idle_minutes + 1),
        "expires_at": utcnow() - timedelta(seconds=1),
    }[field]
    session.execute(update(UserSession).values(**{field: past}))
    session.commit()
    assert client.get("/account").headers["location"].startswith("/login")


def test_deactivating_a_user_ends_their_sessions_and_tokens(app, client_as, session):
    client = page_client(app)
    sign_in(client)
    fp_api = client_as("fp.mkd")
    assert fp_api.get("/api/v1/missions").status_code == 200
    admin = client_as("admin")
    user_id = session.scalar(select(User.id).where(User.email == FP))
    session.rollback()
    response = admin.post(
        f"/admin/users/{user_id}",
        data={"role": "focal_point", "mission": "MKD", "active": "false"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert client.get("/account").headers["location"].startswith("/login")
    assert fp_api.get("/api/v1/missions").status_code == 401
    assert sign_in(page_client(app)).status_code == 401


def test_form_post_without_a_valid_csrf_token_is_refused(app):
    client = page_client(app)
    sign_in(client)
    no_token = client.post("/account/tokens", data={"name": "x", "days": "5"})
    forged = client.post("/account/tokens", data={"name": "x", "days": "5", "csrftoken": "bad"})
    assert no_token.status_code == forged.status_code == 403
    assert "CSRF" in no_token.text
    ok = client.post(
        "/account/tokens",
        data={"name": "x", "days": "5", "csrftoken": csrf_token(client)},
    )
    assert ok.status_code == 200
    # the JSON API with a session cookie needs the token in a header
    body = {"version": 1}
    refused = client.post("/api/v1/activities/1/submit", json=body)
    assert refused.json()["detail"][0]["type"] == "csrf_failed"
    header = {"x-csrftoken": csrf_token(client)}
    passed = client.post("/api/v1/activities/1/submit", json=body, headers=header)
    assert passed.json()["detail"][0]["type"] != "csrf_failed"


def test_login_form_itself_is_csrf_protected(app):
    client = page_client(app)
    client.get("/login")
    response = client.post("/login", data={"email": FP, "password": DEMO_PASSWORD})
    assert response.status_code == 403


def test_api_token_shown_once_works_and_can_be_revoked(app, session):
    client = page_client(app)
    sign_in(client)
    page = client.post(
        "/account/tokens",
        data={"name": "laptop", "days": "30", "csrftoken": csrf_token(client)},
    )
    secret = page.text.split('id="new-token">')[1].split("<")[0]
    assert secret.startswith("flt_")
    stored = session.scalar(select(ApiToken).where(ApiToken.name == "laptop"))
    assert stored.token_hash != secret and secret not in stored.token_hash
    stored_id = stored.id
    session.rollback()
    assert secret not in client.get("/account").text  # never shown again
    api = TestClient(app, headers={"Authorization": f"Bearer {secret}"})
    assert api.get("/api/v1/missions").status_code == 200
    client.post(f"/account/tokens/{stored_id}/revoke", data={"csrftoken": csrf_token(client)})
    refused = api.get("/api/v1/missions")
    assert refused.status_code == 401
    assert "revoked" in refused.json()["detail"][0]["msg"]


def test_expired_and_malformed_tokens_are_refused(client_as, session, tokens):
    api = client_as("cpc")
    assert api.get("/api/v1/missions").status_code == 200
    session.execute(update(ApiToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    session.commit()
    assert api.get("/api/v1/missions").status_code == 401
    bad = client_as(None)
    assert bad.get("/api/v1/missions", headers={"Authorization": "Basic abc"}).status_code == 401
    assert bad.get("/api/v1/missions", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_password_rules():
    assert "12 characters" in password_problem("short")
    assert "common" in password_problem("password1234")
    assert password_problem("a-long-and-unusual-passphrase") is None


def test_passwords_are_hashed_with_argon2id(session):
    user = session.scalar(select(User).where(User.email == FP))
    assert user.password_hash.startswith("$argon2id$")
    assert DEMO_PASSWORD not in user.password_hash


def test_admin_form_keeps_what_was_typed_and_explains(client_as):
    admin = client_as("admin")
    response = admin.post(
        "/admin/users",
        data={
            "email": "someone@osce.example",
            "name": "Some One",
            "role": "focal_point",
            "mission": "",
            "password": "password1234",
        },
    )
    assert response.status_code == 422
    assert 'value="someone@osce.example"' in response.text
    assert "need a mission" in response.text
    assert "too common" in response.text


def test_templates_escape_what_people_type(client_as, session):
    user = session.scalar(select(User).where(User.email == f"cpc@{DEMO_DOMAIN}"))
    user.name = "<script>alert(1)</script>"
    session.commit()
    page = client_as("cpc").get("/account")
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


@pytest.mark.parametrize("path", ["/healthz", "/no/such/page", "/api/v1/nothing", "/login"])
def test_security_headers_on_every_response(anonymous, path):
    response = anonymous.get(path)
    csp = response.headers["content-security-policy"]
    script_src = next(p for p in csp.split(";") if p.strip().startswith("script-src"))
    assert "unsafe-inline" not in script_src
    for directive in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"):
        assert directive in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"]
    assert "traceback" not in response.text.lower()


def test_hsts_when_served_over_https(app):
    client = TestClient(app, base_url="https://fieldlog.example")
    assert "max-age" in client.get("/healthz").headers["strict-transport-security"]


def test_docs_need_sign_in_and_can_be_switched_off(client, anonymous, engine, db_url):
    assert client.get("/docs").status_code == 200
    assert "swagger-ui-bundle.js" in client.get("/docs").text
    assert client.get("/openapi.json").json()["info"]["title"] == "FieldLog"
    assert anonymous.get("/openapi.json").status_code == 401
    closed = create_app(Settings(database_url=db_url, docs_enabled=False), engine)
    api = TestClient(closed, headers=client.headers)
    assert api.get("/docs").status_code == 404
    assert api.get("/openapi.json").status_code == 404


def test_production_refuses_the_dev_secret_and_demo_users(engine, db_url):
    with pytest.raises(ValueError, match="SECRET_KEY"):
        Settings(database_url=db_url, environment="production")
    strict = Settings(database_url=db_url, environment="production", secret_key="x" * 40)
    with pytest.raises(RuntimeError, match="Demo users"):
        create_app(strict, engine)


def test_every_sign_in_event_is_audited(app, session):
    sign_in(page_client(app), password="wrong-password-123")
    client = page_client(app)
    sign_in(client)
    client.post("/logout", data={"csrftoken": csrf_token(client)})
    actions = session.scalars(
        select(AuditEntry.action).where(AuditEntry.action.in_(["login", "login_failed", "logout"]))
    ).all()
    assert actions.count("login_failed") == 1
    assert actions.count("login") == 1
    assert actions.count("logout") == 1


def test_the_database_refuses_to_alter_audit_rows(backend, session):
    """Triggers on both databases; PostgreSQL refuses TRUNCATE too."""
    entry_id = session.scalar(select(AuditEntry.id).limit(1))
    for sql in (
        "UPDATE audit_entries SET detail = 'changed' WHERE id = :id",
        "DELETE FROM audit_entries WHERE id = :id",
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            session.execute(text(sql), {"id": entry_id})
        session.rollback()
    if backend.name == "postgres":
        with pytest.raises(DBAPIError, match="append-only"):
            session.execute(text("TRUNCATE audit_entries"))
        session.rollback()
    assert session.scalar(select(AuditEntry.detail).where(AuditEntry.id == entry_id)) != "changed"


@pytest.mark.parametrize(
    "path",
    ["/api/v1/developments?country=a%00b", "/api/v1/locations?mission=a%00b", "/compare?q=%00"],
)
def test_nul_characters_in_the_address_are_refused_clearly(client, path):
    response = client.get(path)
    assert response.status_code == 400
    assert "NUL" in response.text


def test_multipart_forms_are_csrf_checked_and_work(app):
    """A file upload from a signed-in browser: refused without the token, accepted with it."""
    client = page_client(app)
    sign_in(client)
    files = {"file": ("rows.csv", b"title\\n", "text/csv")}
    refused = client.post("/imports", files=files, data={})
    assert refused.status_code == 403 and "CSRF" in refused.text
    accepted = client.post("/imports", files=files, data={"csrftoken": csrf_token(client)})
    assert accepted.status_code < 500 and "CSRF" not in accepted.text
    malformed = client.post(
        "/imports", content=b"x", headers={"content-type": "multipart/form-data"}
    )
    assert malformed.status_code == 400
