"""Sign-in throttling: failures slow down whoever makes them, never the account's owner at
their own address (the rule is in app/accounts/service.py, "signing in", and SECURITY.md)."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from app.accounts import service as accounts
from app.accounts.demo_users import DEMO_DOMAIN
from app.accounts.models import LoginFailure
from app.config import Settings
from app.models_common import utcnow
from tests.support import FOCAL_POINT_MKD, count_rows, sign_in

OWNER_ADDRESS = "198.51.100.7"
ATTACKER_ADDRESS = "203.0.113.9"
WRONG = "wrong-password-123"


def browser_at(app, address: str) -> TestClient:
    """A browser (cookies kept, redirects seen) whose requests come from `address`."""
    return TestClient(
        app, raise_server_exceptions=False, follow_redirects=False, client=(address, 50000)
    )


def age_failures(session, seconds: float) -> None:
    """Move every recorded failure `seconds` into the past, as if that time had passed."""
    for failure in session.scalars(select(LoginFailure)):
        failure.at -= timedelta(seconds=seconds)
    session.commit()


def retry_after(response) -> int:
    assert response.status_code == 429, response.status_code
    return int(response.headers["retry-after"])


def add_failures(session, *, email: str, addresses: list[str]) -> None:
    """One failed sign-in for `email` from each of `addresses`, just now."""
    session.add_all(LoginFailure(email=email, client_addr=a, at=utcnow()) for a in addresses)
    session.commit()


# --- the rule's timings ------------------------------------------------------------------------


def test_the_wait_starts_at_the_allowance_doubles_and_never_passes_the_window():
    window = timedelta(minutes=15)
    waits = [accounts.wait_after(n, 5, window).total_seconds() for n in range(4, 12)]
    assert waits == [0, 1, 2, 4, 8, 16, 32, 64]
    assert accounts.wait_after(15, 5, window) == window  # 2 ** 10 = 1024 s, capped at 900
    assert accounts.wait_after(10_000, 5, window) == window


def test_the_defaults_are_the_documented_rule():
    settings = Settings()
    assert settings.login_max_failures_per_account_and_address == 5
    assert settings.login_max_failures_per_address == 20
    assert settings.login_max_failures_per_account == 50
    assert settings.login_lockout_minutes == 15


def test_the_wait_runs_from_the_latest_failure(session, settings):
    now = utcnow()
    session.add_all(
        LoginFailure(
            email=FOCAL_POINT_MKD, client_addr=OWNER_ADDRESS, at=now - timedelta(minutes=m)
        )
        for m in (14, 10, 5, 2, 1, 0.5, 0.25)  # seven failures, the latest 15 s ago
    )
    session.commit()

    def wait(at) -> float:
        found = accounts.sign_in_wait(
            session, settings, email=FOCAL_POINT_MKD, client_addr=OWNER_ADDRESS, now=at
        )
        return found.total_seconds()

    assert wait(now - timedelta(seconds=15)) == 4  # 7 failures, allowance 5: 2 ** 2 s
    assert wait(now - timedelta(seconds=14)) == 3
    assert wait(now - timedelta(seconds=11)) == 0
    # the same account from another address has nothing to wait for
    other = accounts.sign_in_wait(session, settings, email=FOCAL_POINT_MKD, client_addr="10.0.0.1")
    assert other == timedelta(0)


def test_through_the_page_each_failure_more_doubles_the_wait(app, session):
    owner = browser_at(app, OWNER_ADDRESS)
    for _ in range(5):  # within the allowance: answered, never asked to wait
        assert sign_in(owner, password=WRONG).status_code == 401
    add_failures(session, email=FOCAL_POINT_MKD, addresses=[OWNER_ADDRESS] * 6)
    refused = sign_in(owner)  # the right password, asked to wait and not read
    assert refused.status_code == 429
    assert 60 <= retry_after(refused) <= 64  # 11 failures, allowance 5: 2 ** 6 s
    assert "Too many failed sign-ins. Wait" in refused.text
    age_failures(session, 64)
    assert sign_in(owner, password=WRONG).status_code == 401  # the twelfth failure
    assert 124 <= retry_after(sign_in(owner)) <= 128
    age_failures(session, 128)
    assert sign_in(owner).status_code == 303


def test_an_unknown_account_is_throttled_the_same_way(app, session):
    real, unknown = browser_at(app, OWNER_ADDRESS), browser_at(app, ATTACKER_ADDRESS)
    nobody = f"nobody@{DEMO_DOMAIN}"
    for _ in range(5):
        assert sign_in(real, password=WRONG).status_code == 401
        assert sign_in(unknown, email=nobody, password=WRONG).status_code == 401
    add_failures(session, email=FOCAL_POINT_MKD, addresses=[OWNER_ADDRESS] * 5)
    add_failures(session, email=nobody, addresses=[ATTACKER_ADDRESS] * 5)
    a, b = sign_in(real, password=WRONG), sign_in(unknown, email=nobody)
    assert a.status_code == b.status_code == 429
    assert abs(retry_after(a) - retry_after(b)) <= 1 and 28 <= retry_after(a) <= 32

    def words(response) -> str:
        return re.sub(r"\d+", "N", response.text.split('role="alert">')[1].split("<")[0])

    assert "Too many failed sign-ins" in words(a)
    assert words(a) == words(b)


# --- who is slowed, and who is not --------------------------------------------------------------


def test_an_attacker_elsewhere_cannot_lock_the_owner_out(app, session):
    """50 failures for fp.mkd from B (5 through the page, the rest as if made over time):
    B waits; its owner signs in from A, the address they work from, with the right password."""
    assert sign_in(browser_at(app, OWNER_ADDRESS)).status_code == 303  # A: the owner's own
    attacker = browser_at(app, ATTACKER_ADDRESS)
    for i in range(5):
        assert sign_in(attacker, password=f"guess-number-{i:04}").status_code == 401
    add_failures(session, email=FOCAL_POINT_MKD, addresses=[ATTACKER_ADDRESS] * 45)
    refused = sign_in(attacker)  # even with the right password
    assert refused.status_code == 429 and retry_after(refused) > 800  # the window's 15 minutes
    assert sign_in(browser_at(app, OWNER_ADDRESS)).status_code == 303


def test_the_owner_at_a_new_address_is_not_slowed_by_one_attacker(app, session):
    """One address cannot make 50 failures in the window (its own waits stop it after about
    15); what it can make does not slow the owner anywhere else."""
    attacker = browser_at(app, ATTACKER_ADDRESS)
    for i in range(5):
        assert sign_in(attacker, password=f"guess-number-{i:04}").status_code == 401
    add_failures(session, email=FOCAL_POINT_MKD, addresses=[ATTACKER_ADDRESS] * 10)
    assert sign_in(browser_at(app, "100.64.0.1")).status_code == 303


def test_failures_across_many_addresses_slow_strangers_not_the_owners_own_address(app, session):
    """A botnet guessing from many addresses: past 50 failures for the account, addresses it
    has not signed in from wait; the address its owner signs in from does not."""
    assert sign_in(browser_at(app, OWNER_ADDRESS)).status_code == 303  # a known address
    add_failures(session, email=FOCAL_POINT_MKD, addresses=[f"192.0.2.{i}" for i in range(55)])
    stranger = sign_in(browser_at(app, "100.64.0.1"))  # even with the right password
    assert stranger.status_code == 429 and 28 <= retry_after(stranger) <= 32  # 2 ** 5 s
    assert sign_in(browser_at(app, OWNER_ADDRESS)).status_code == 303
    # another account is not slowed by the failures for this one
    other = browser_at(app, "100.64.0.1")
    assert sign_in(other, email=f"hom.mkd@{DEMO_DOMAIN}").status_code == 303


def test_one_address_spraying_many_accounts_is_stopped(app, engine, session):
    sprayer = browser_at(app, ATTACKER_ADDRESS)
    emails = [FOCAL_POINT_MKD] + [f"person{i}@{DEMO_DOMAIN}" for i in range(19)]
    for email in emails:  # one guess each for twenty accounts: each within its own allowance
        assert sign_in(sprayer, email=email, password=WRONG).status_code == 401
    add_failures(session, email=f"person99@{DEMO_DOMAIN}", addresses=[ATTACKER_ADDRESS] * 5)
    stopped = sign_in(sprayer, email=f"hom.srb@{DEMO_DOMAIN}")  # a new account, right password
    assert stopped.status_code == 429 and 28 <= retry_after(stopped) <= 32  # 25 failures: 2 ** 5
    assert count_rows(engine, LoginFailure) == 25  # the refused attempt was not even read
    # the accounts it sprayed sign in from their owners' addresses
    assert sign_in(browser_at(app, OWNER_ADDRESS)).status_code == 303


def test_a_successful_sign_in_clears_the_failures_from_its_own_address_only(app, session):
    owner = browser_at(app, OWNER_ADDRESS)
    for _ in range(3):
        sign_in(owner, password=WRONG)
    add_failures(session, email=FOCAL_POINT_MKD, addresses=[ATTACKER_ADDRESS] * 3)
    assert sign_in(owner).status_code == 303
    left = session.scalars(select(LoginFailure.client_addr)).all()
    assert left == [ATTACKER_ADDRESS] * 3
