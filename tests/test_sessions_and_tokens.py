"""Sessions and API tokens end when what they were granted for changes: a new sign-in in the
same browser, a new role, mission or active flag, a password reset."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from app.accounts import service as accounts
from app.accounts.demo_users import DEMO_DOMAIN
from app.accounts.models import ApiToken
from app.audit.models import AuditEntry
from app.cli import app as cli
from app.errors import ValidationFailed
from tests.support import FOCAL_POINT_MKD, demo_user, page_client, sign_in

MISSIONS = "/api/v1/missions"
HEAD_OF_MISSION_MKD = f"hom.mkd@{DEMO_DOMAIN}"
NEW_PASSWORD = "a-long-and-unusual-passphrase"


def signed_out(browser: TestClient) -> bool:
    """True when the browser's session no longer opens a page."""
    answer = browser.get("/account")
    return answer.status_code == 303 and answer.headers["location"].startswith("/login")


def with_cookie(app, cookie: str) -> TestClient:
    """Another browser holding a copy of a session cookie."""
    browser = page_client(app)
    browser.cookies.set("fieldlog_session", cookie)
    return browser


# --- signing in ends the browser's previous session ---------------------------------------------


def test_signing_in_again_ends_the_browsers_previous_session(app):
    browser = page_client(app)
    assert sign_in(browser).status_code == 303
    first = browser.cookies.get("fieldlog_session")
    assert sign_in(browser).status_code == 303
    assert not signed_out(browser)
    assert signed_out(with_cookie(app, first))  # a copy of the old cookie opens nothing


def test_signing_in_as_someone_else_ends_the_previous_persons_session(app, session):
    shared = page_client(app)  # a shared computer
    sign_in(shared)
    focal_point = shared.cookies.get("fieldlog_session")
    sign_in(shared, email=HEAD_OF_MISSION_MKD)
    assert signed_out(with_cookie(app, focal_point))
    login = session.scalars(
        select(AuditEntry.detail).where(AuditEntry.action == "login").order_by(AuditEntry.id)
    ).all()[-1]
    assert "previous session ended" in login


def test_the_users_other_browsers_stay_signed_in(app):
    """Only the session of the browser that signs in ends: a phone stays signed in when the
    same person signs in again on a laptop."""
    phone, laptop = page_client(app), page_client(app)
    sign_in(phone)
    sign_in(laptop)
    sign_in(laptop)
    assert not signed_out(phone)


def test_a_failed_sign_in_leaves_the_session_open(app):
    browser = page_client(app)
    sign_in(browser)
    sign_in(browser, password="wrong-password-123")
    assert not signed_out(browser)


# --- tokens end with the access they were made under --------------------------------------------


def change_user(admin: TestClient, user_id: int, **form) -> None:
    """Post the user administration form, as an administrator's browser would."""
    answer = admin.post(f"/admin/users/{user_id}", data=form, follow_redirects=False)
    assert answer.status_code == 303, answer.text


def revocations(session, user_id: int) -> list[str]:
    """The reasons recorded for revoking a user's tokens, oldest first."""
    session.rollback()  # see what the app committed since
    tokens = select(ApiToken.id).where(ApiToken.user_id == user_id)
    return session.scalars(
        select(AuditEntry.detail)
        .where(AuditEntry.entity == "api_token", AuditEntry.action == "update")
        .where(AuditEntry.entity_id.in_(tokens))
        .order_by(AuditEntry.id)
    ).all()


@pytest.mark.parametrize(
    ("form", "reason"),
    [
        ({"role": "head_of_mission", "mission": "MKD", "active": "true"}, "role changed"),
        ({"role": "focal_point", "mission": "SRB", "active": "true"}, "mission changed"),
        ({"role": "focal_point", "mission": "MKD", "active": "false"}, "deactivated"),
    ],
    ids=["role", "mission", "deactivated"],
)
def test_a_new_role_mission_or_active_flag_revokes_the_users_tokens(
    app, client_as, session, form, reason
):
    fp_api, browser = client_as("fp.mkd"), page_client(app)
    sign_in(browser)
    assert fp_api.get(MISSIONS).status_code == 200
    user_id = demo_user(session, "fp.mkd").id
    change_user(client_as("admin"), user_id, **form)
    refused = fp_api.get(MISSIONS)
    assert refused.status_code == 401 and "revoked" in refused.json()["detail"][0]["msg"]
    assert signed_out(browser)
    recorded = revocations(session, user_id)
    assert len(recorded) == 1 and reason in recorded[0]


def test_reactivating_a_user_does_not_bring_their_tokens_back(app, client_as, session):
    fp_api = client_as("fp.mkd")
    user_id = demo_user(session, "fp.mkd").id
    admin = client_as("admin")
    change_user(admin, user_id, role="focal_point", mission="MKD", active="false")
    change_user(admin, user_id, role="focal_point", mission="MKD", active="true")
    assert fp_api.get(MISSIONS).status_code == 401
    assert sign_in(page_client(app)).status_code == 303  # the person signs in again


def test_saving_the_user_form_unchanged_keeps_the_tokens(client_as, session):
    fp_api = client_as("fp.mkd")
    user_id = demo_user(session, "fp.mkd").id
    change_user(client_as("admin"), user_id, role="focal_point", mission="MKD", active="true")
    assert fp_api.get(MISSIONS).status_code == 200
    assert revocations(session, user_id) == []


def test_only_the_changed_users_tokens_end(client_as, session):
    user_id = demo_user(session, "fp.mkd").id
    change_user(client_as("admin"), user_id, role="focal_point", mission="MKD", active="false")
    assert client_as("fp.srb").get(MISSIONS).status_code == 200
    assert client_as("hom.mkd").get(MISSIONS).status_code == 200


# --- a password reset ---------------------------------------------------------------------------


def test_resetting_a_password_ends_sessions_and_tokens(cli_database, app, client_as, session):
    fp_api, browser = client_as("fp.mkd"), page_client(app)
    sign_in(browser)
    result = CliRunner().invoke(
        cli, ["reset-password", "--email", FOCAL_POINT_MKD, "--password", NEW_PASSWORD]
    )
    assert result.exit_code == 0, result.output
    assert fp_api.get(MISSIONS).status_code == 401
    assert signed_out(browser)
    assert revocations(session, demo_user(session, "fp.mkd").id) == [
        "the user's password was reset"
    ]
    assert sign_in(page_client(app), password=NEW_PASSWORD).status_code == 303


def test_a_reset_refuses_a_weak_password_and_an_unknown_user(cli_database, client_as):
    weak = CliRunner().invoke(
        cli, ["reset-password", "--email", FOCAL_POINT_MKD, "--password", "password1234"]
    )
    assert weak.exit_code == 2 and "common" in weak.output
    unknown = CliRunner().invoke(
        cli, ["reset-password", "--email", "nobody@x.example", "--password", NEW_PASSWORD]
    )
    assert unknown.exit_code == 2 and "No user" in unknown.output
    assert client_as("fp.mkd").get(MISSIONS).status_code == 200


def test_set_password_checks_the_new_password(session):
    user = demo_user(session, "fp.mkd")
    with pytest.raises(ValidationFailed) as refused:
        accounts.set_password(session, user=user, password="short", actor_id=None)
    assert refused.value.errors[0].loc == ("password",)


def test_create_user_adds_a_user_who_signs_in_and_explains_a_refusal(cli_database, app):
    made = CliRunner().invoke(
        cli,
        [
            "create-user",
            "--email",
            "new.fp@mkd.example",
            "--name",
            "New Focal Point",
            "--role",
            "focal_point",
            "--mission",
            "MKD",
            "--password",
            NEW_PASSWORD,
        ],
    )
    assert made.exit_code == 0, made.output
    assert sign_in(page_client(app), "new.fp@mkd.example", NEW_PASSWORD).status_code == 303
    unknown_mission = CliRunner().invoke(
        cli,
        ["create-user", "--email", "x@y.example", "--name", "X", "--role", "focal_point"]
        + ["--mission", "ZZZ", "--password", NEW_PASSWORD],
    )
    assert unknown_mission.exit_code == 2 and "ZZZ" in unknown_mission.output
