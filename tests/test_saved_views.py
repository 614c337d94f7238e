"""Saved views: a list, dashboard or comparison kept under a name, found again in the
navigation; the CPC desk shares views with the CPC desk only; on both databases."""

from __future__ import annotations

import html

from sqlalchemy import select

from app.accounts.demo_users import DEMO_DOMAIN
from app.accounts.models import SavedView
from app.db import unit_of_work
from app.missions.users import create_user
from app.vocab import Role
from tests.support import count_rows, csrf_token, page_client, sign_in

LIST = "/activities?mission=MKD&type=monitoring_visit&from=2016&to=2016"


def _client(app, who: str):
    client = page_client(app)
    assert sign_in(client, f"{who}@{DEMO_DOMAIN}").status_code == 303
    return client


def _save(client, name: str, address: str, **extra):
    return client.post(
        "/saved-views",
        data={"name": name, "address": address, "csrftoken": csrf_token(client), **extra},
    )


def _nav(page: str) -> str:
    return html.unescape(page[page.index('<nav class="container-fluid"') : page.index("</nav>")])


def test_a_saved_list_is_found_again_in_the_navigation_and_opens_the_same_page(app):
    fp = _client(app, "fp.mkd")
    page = fp.get(LIST).text
    assert 'action="/saved-views"' in page  # the "Save this view" form is on the list
    assert html.escape(LIST) in page  # …and carries the page's address

    answer = _save(fp, "Skopje visits 2016", LIST)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/saved-views?saved=")
    confirmation = fp.get(answer.headers["location"]).text
    assert "Saved “Skopje visits 2016”" in confirmation

    nav = _nav(fp.get("/compare").text)
    assert "Skopje visits 2016" in nav and html.escape(LIST) in html.escape(nav)
    # the saved address opens the same filtered list
    assert fp.get(LIST).text == fp.get(LIST).text


def test_every_kind_of_view_can_be_saved_and_saving_a_name_again_replaces_it(app, engine):
    hom = _client(app, "hom.mkd")
    for name, address in [
        ("Dashboard", "/missions/MKD?from=2015-06&to=2016-03"),
        ("Comparison", "/compare?axis=type&from=2015"),
        ("List", "/activities"),
    ]:
        assert _save(hom, name, address).status_code == 303
    assert _save(hom, "List", "/activities?status=submitted").status_code == 303
    assert count_rows(engine, SavedView) == 3
    page = hom.get("/saved-views").text
    assert "Mission dashboard" in page and "Comparison" in page
    assert html.escape("/activities?status=submitted") in page


def test_bad_names_and_addresses_are_refused_on_the_page_with_what_was_typed(app, engine):
    fp = _client(app, "fp.mkd")
    cases = [
        ("", LIST, "Give the view a name"),
        ("x" * 81, LIST, "at most 80 characters"),
        ("Elsewhere", "https://example.org/activities", "Only the activity list"),
        ("Elsewhere", "//example.org/activities", "Only the activity list"),
        ("Users", "/admin/users", "Only the activity list"),
        ("Shared", LIST, "Only the CPC desk can share"),
    ]
    for name, address, message in cases:
        extra = {"shared": "1"} if name == "Shared" else {}
        answer = _save(fp, name, address, **extra)
        assert answer.status_code == 422, (name, address)
        text = html.unescape(answer.text)
        assert message in text, (name, address)
        assert f'value="{address}"' in text  # what was typed is kept
    assert count_rows(engine, SavedView) == 0


def test_the_cpc_desk_shares_with_the_cpc_desk_only(app, engine):
    with unit_of_work(engine) as session:
        create_user(
            session,
            email="cpc2@example.org",
            name="Second CPC",
            role=Role.CPC_DESK.value,
            password="a long enough passphrase 42",
        )
    cpc = _client(app, "cpc")
    assert _save(cpc, "Regional overview", "/compare?axis=area", shared="1").status_code == 303
    assert _save(cpc, "Mine only", "/compare?axis=theme").status_code == 303

    other_cpc = page_client(app)
    sign_in(other_cpc, "cpc2@example.org", "a long enough passphrase 42")
    nav = _nav(other_cpc.get("/activities").text)
    assert "Regional overview" in nav and "Mine only" not in nav
    # …who sees it but cannot delete it
    view_id = cpc_view_id(engine, "Regional overview")
    deleted = other_cpc.post(
        f"/saved-views/{view_id}/delete", data={"csrftoken": csrf_token(other_cpc)}
    )
    assert deleted.status_code == 404
    assert count_rows(engine, SavedView) == 2

    fp = _client(app, "fp.mkd")
    assert "Regional overview" not in fp.get("/saved-views").text

    # whoever shared it deletes it
    answer = cpc.post(f"/saved-views/{view_id}/delete", data={"csrftoken": csrf_token(cpc)})
    assert answer.status_code == 303
    assert "Regional overview" not in _nav(other_cpc.get("/activities").text)


def cpc_view_id(engine, name: str) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(SavedView.id).where(SavedView.name == name))
