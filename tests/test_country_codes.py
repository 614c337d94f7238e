"""Countries as a controlled list: ISO 3166-1 codes with Kosovo as XK; migration 0013 merges
the free-text countries of the locations into codes, keeps what it cannot read, and gives
names back on the way down; the forms, the API and the seed go through the same codes."""

from __future__ import annotations

import pytest
from alembic import command
from pydantic import ValidationError
from sqlalchemy import select, text

from app.cli import alembic_config
from app.db import make_engine
from app.missions import countries
from app.missions.models import Location
from app.missions.schemas import LocationCreate


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("Macedonia", "MK"),
        ("North Macedonia", "MK"),
        ("the former Yugoslav Republic of Macedonia", "MK"),
        ("The Former Yugoslav Republic of Macedonia", "MK"),
        ("FYROM", "MK"),
        ("MKD", "MK"),
        ("mk", "MK"),
        ("Kosovo", "XK"),
        ("XK", "XK"),
        ("Kosovo*", "XK"),
        ("Serbia", "RS"),
        ("  serbia ", "RS"),
        ("Bosnia and Herzegovina", "BA"),
        ("Bosnia-Herzegovina", "BA"),
        ("Turkey", "TR"),
        ("Türkiye", "TR"),
        ("Turkiye", "TR"),
        ("Moldova", "MD"),
        ("Hungary", "HU"),
        ("Greece", "GR"),
        ("Hellenic Republic", "GR"),
    ],
)
def test_names_and_codes_are_read_as_one_code(typed, code):
    assert countries.code_for(typed) == code


@pytest.mark.parametrize("typed", ["", "   ", None, "Western Balkans", "Atlantis", "ZZ"])
def test_text_naming_no_country_is_not_read(typed):
    assert countries.code_for(typed) is None


def test_the_list_has_every_iso_country_kosovo_and_readable_names():
    listed = dict(countries.countries())
    assert len(listed) >= 250
    assert listed["XK"] == "Kosovo" and listed["MK"] == "North Macedonia"
    assert listed["MD"] == "Moldova"  # the common name, not "Moldova, Republic of"
    names = [name for _, name in countries.countries()]
    assert names.index("Albania") < names.index("Kosovo") < names.index("Serbia")
    assert countries.country_name("BA") == "Bosnia and Herzegovina"
    # text the migration could not read shows as it was typed
    assert countries.country_name("Atlantis") == "Atlantis"
    assert countries.is_code("XK") and not countries.is_code("Kosovo")


def test_the_location_schema_stores_the_code_and_refuses_other_text():
    body = {"code": "x", "name": "X", "kind": "municipality"}
    assert LocationCreate.model_validate({**body, "country": "Macedonia"}).country == "MK"
    assert LocationCreate.model_validate({**body, "country": "XK"}).country == "XK"
    with pytest.raises(ValidationError, match="choose a country from the list"):
        LocationCreate.model_validate({**body, "country": "Western Balkans"})


def test_the_seed_stores_codes(session):
    found = dict(session.execute(select(Location.code, Location.country)).all())
    assert found["gevgelija"] == "MK" and found["pristina"] == "XK"
    assert found["presevo-municipality"] == "RS" and found["idomeni"] == "GR"
    assert all(countries.is_code(code) for code in found.values())


def test_the_location_form_offers_the_list_and_shows_names(client_as, session):
    admin = client_as("admin")
    form = admin.get("/locations/tabanovce/edit").text
    assert '<select id="f-country" name="country"' in form
    assert '<option value="MK" selected>North Macedonia</option>' in form
    assert '<option value="XK">Kosovo</option>' in form
    assert "data-pick-map" in form and "/static/js/map.js" in form
    listing = admin.get("/locations", params={"country": "Macedonia"}).text
    assert "Tabanovce" in listing and "Sarajevo" not in listing
    assert "North Macedonia" in listing


def test_text_the_migration_could_not_read_is_shown_to_be_chosen(client_as, session):

    location = session.scalar(select(Location).where(Location.code == "horgos"))
    location.country = "Serbia/Hungary border"
    session.commit()
    admin = client_as("admin")
    form = admin.get("/locations/horgos/edit").text
    assert (
        '<option value="Serbia/Hungary border" selected>'
        "Serbia/Hungary border (not in the list)</option>" in form
    )
    assert "Serbia/Hungary border" in admin.get("/locations").text
    # other forms suggest country names, never the locations' codes
    partner_form = admin.get("/partners/new").text
    assert '<option value="North Macedonia">' in partner_form
    assert '<option value="MK">' not in partner_form


def test_a_location_saved_with_an_unknown_country_is_refused_with_the_form_kept(client_as):
    admin = client_as("admin")
    page = admin.get("/locations/new").text
    token = page.split('name="csrftoken" value="', 1)[1].split('"', 1)[0]
    answer = admin.post(
        "/locations/new",
        data={
            "csrftoken": token,
            "code": "atlantis-office",
            "name": "Atlantis office",
            "kind": "field_office",
            "country": "Atlantis",
        },
    )
    assert answer.status_code == 422
    assert "choose a country from the list" in answer.text.lower()
    assert 'value="Atlantis office"' in answer.text


def test_0013_merges_the_free_text_countries_and_gives_names_back(backend):
    """Up: every spelling of a country becomes its code, text naming none is kept as it
    was; location_stats equals a recount. Down: codes become names again."""
    import app.models  # noqa: F401
    from app.activities import aggregates as stats
    from app.activities.models import Activity
    from app.db import unit_of_work
    from app.seeding import seed

    url = backend.new_url()
    config = alembic_config(url)
    command.upgrade(config, "head")
    engine = make_engine(url)
    with unit_of_work(engine) as session:
        seed(session)
    engine.dispose()
    command.downgrade(config, "0011")
    engine = make_engine(url)
    typed = {
        "skopje": "Macedonia",
        "tabanovce": "North Macedonia",
        "gevgelija": "the former Yugoslav Republic of Macedonia",
        "pristina": "Kosovo",
        "belgrade": "  serbia",
        "horgos": "Serbia/Hungary border",
    }
    with engine.begin() as conn:
        downgraded = dict(conn.execute(text("SELECT code, country FROM locations")).all())
        assert downgraded["skopje"] == "North Macedonia" and downgraded["pristina"] == "Kosovo"
        assert not conn.execute(
            text("SELECT count(*) FROM sqlite_master WHERE name = 'location_stats'")
            if engine.dialect.name == "sqlite"
            else text("SELECT count(*) FROM pg_tables WHERE tablename = 'location_stats'")
        ).scalar()
        for code, country in typed.items():
            conn.execute(
                text("UPDATE locations SET country = :c WHERE code = :k"), {"c": country, "k": code}
            )
    engine.dispose()

    command.upgrade(config, "head")
    engine = make_engine(url)
    with engine.connect() as conn:
        found = dict(conn.execute(text("SELECT code, country FROM locations")).all())
    assert [found[k] for k in ("skopje", "tabanovce", "gevgelija")] == ["MK", "MK", "MK"]
    assert found["pristina"] == "XK" and found["belgrade"] == "RS"
    assert found["horgos"] == "Serbia/Hungary border"  # kept, to be chosen in its form
    with unit_of_work(engine, write=False) as session:
        assert stats.snapshot(session) == stats.recount(session.scalars(select(Activity)))
    engine.dispose()

    command.downgrade(config, "0011")
    engine = make_engine(url)
    with engine.connect() as conn:
        found = dict(conn.execute(text("SELECT code, country FROM locations")).all())
    assert found["skopje"] == found["gevgelija"] == "North Macedonia"
    assert found["pristina"] == "Kosovo" and found["belgrade"] == "Serbia"
    assert found["horgos"] == "Serbia/Hungary border"
    engine.dispose()
    backend.drop(url)
