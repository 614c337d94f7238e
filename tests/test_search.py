"""Full-text search (app/activities/search.py): Latin, Cyrillic and diacritic-free spellings
find each other; the best matches come first; the list highlights the words found; and the
index follows every write path (create, update, workflow, delete, import, the seed, the
demo generator, renamed locations and partners), on SQLite and PostgreSQL.
"""

from __future__ import annotations

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app.activities import listing, search, workflow
from app.activities import service as activities
from app.activities.models import Activity
from app.activities.schemas import ActivityCreate, ActivityUpdate
from app.db import unit_of_work
from app.demo import generate
from app.exchange.importer import import_file
from app.missions import service as missions
from app.missions.models import Location, Partner
from app.vocab import Status
from tests.support import activity_body, demo_user

SPELLINGS = [
    ("Preševo", "Presevo", "Прешево", "PRESEVO"),
    ("Tabanovce", "Табановце"),
    ("Gevgelija", "Гевгелија", "gevgelija"),
    ("Kumanovo", "Куманово"),
]


# --- normalisation (no database) ----------------------------------------------------------------


def test_spellings_normalise_alike():
    for spellings in SPELLINGS:
        assert len({search.normalise(s) for s in spellings}) == 1, spellings
    assert search.normalise("Ђорђевић") == search.normalise("Đorđević") == "djordjevic"
    # the plain spellings people type are indexed too, so they find the record
    assert {"djordjevic", "dordevic", "djordjevich"} <= set(search.forms("Đorđević"))
    assert "preshevo" in search.forms("Прешево")
    assert search.normalise("Ѓорче") == "gorce" and search.normalise("Ќерка") == "kerka"
    assert search.terms("  the, the -- Бујановац!  ") == ["the", "bujanovac"]
    assert search.terms("!!! ...") == []


def test_highlight_marks_words_of_any_spelling_and_escapes_the_rest():
    marked = search.highlight("Border <b>crossing</b> at Preševo & Табановце", "presevo tabanovce")
    assert str(marked) == (
        "Border &lt;b&gt;crossing&lt;/b&gt; at <mark>Preševo</mark> &amp; <mark>Табановце</mark>"
    )
    assert str(search.highlight("Monitoring the border", "bord")) == (
        "Monitoring the <mark>border</mark>"
    )
    assert str(search.highlight("<i>x</i>", "")) == "&lt;i&gt;x&lt;/i&gt;"
    assert str(search.highlight("<mark>", "mark")) == "&lt;<mark>mark</mark>&gt;"


# --- helpers ------------------------------------------------------------------------------------


def found(session: Session, q: str, reader=None, **filters) -> list[int]:
    """Every id the list gives `reader` (the CPC desk) for `q`, best match first."""
    reader = reader or demo_user(session, "cpc")
    ids, cursor = [], None
    while True:
        page = listing.list_page(
            session,
            reader=reader,
            filters=activities.ActivityFilters(q=q, **filters),
            sort=activities.RELEVANCE,
            limit=100,
            cursor=cursor,
        )
        ids += [a.id for a in page.rows]
        cursor = page.next_cursor
        if cursor is None:
            return ids


def create(session: Session, **overrides) -> Activity:
    body = activity_body("meeting", **overrides)
    return activities.create(
        session, data=ActivityCreate.model_validate(body), status=Status.SUBMITTED
    )


def index_rows(session: Session) -> dict[int, str]:
    if session.get_bind().dialect.name == "sqlite":
        rows = session.execute(text("SELECT rowid, document FROM activity_search"))
    else:
        rows = session.execute(text("SELECT activity_id, document FROM activity_search"))
    return {i: d for i, d in rows}


def assert_index_is_a_rebuild(session: Session) -> None:
    """The index holds exactly the documents a rebuild from the rows would."""
    kept = index_rows(session)
    search.rebuild(session.connection())
    rebuilt = index_rows(session)
    assert set(kept) == set(session.scalars(select(Activity.id)))
    assert kept == rebuilt


# --- finding ------------------------------------------------------------------------------------


def test_latin_cyrillic_and_plain_spellings_find_the_same_records(session):
    with_diacritics = {
        create(session, title="Visit to Прешево one-stop centre").id,
        create(session, title="Talks in Preševo", locations=[]).id,
    }
    made = with_diacritics | {create(session, title="Presevo follow-up", locations=[]).id}
    create(session, title="Куманово and Гевгелија", locations=[])
    create(session, title="Kumanovo, Tabanovce", locations=[])
    session.flush()
    for spellings in SPELLINGS:
        results = [sorted(found(session, s)) for s in spellings]
        assert results[0], spellings
        assert all(r == results[0] for r in results), spellings
    assert made <= set(found(session, "Прешево"))
    # "sh" for š: the records written with š or ш (the plain "Presevo" cannot know)
    assert with_diacritics <= set(found(session, "preshevo"))


def test_location_and_partner_names_are_searched(session):
    gevgelija = set(
        session.scalars(
            select(Activity.id).where(
                Activity.locations.any(Location.code == "gevgelija"),
            )
        )
    )
    assert gevgelija
    assert gevgelija <= set(found(session, "Гевгелија"))
    unhcr = create(session, title="Plain words only", partners=["unhcr"], locations=[])
    partner = session.scalar(select(Partner).where(Partner.code == "unhcr"))
    assert partner is not None
    first_word = search.words(partner.name)[0]
    assert unhcr.id in found(session, first_word)


def test_all_words_must_match_as_word_beginnings(session):
    one = create(session, title="Quokka census in Tabanovce", locations=[])
    two = create(session, title="Quokka census elsewhere", locations=[])
    assert set(found(session, "quokka")) == {one.id, two.id}
    assert found(session, "quok tabanov") == [one.id]
    assert found(session, "okka") == []  # not inside a word
    assert found(session, "!!!") == []  # no words: nothing matches


def test_best_match_first(session):
    weak = create(
        session,
        title="Quarterly coordination round",
        summary="Long notes. " * 30 + "A narwhal was mentioned once.",
        locations=[],
    )
    strong = create(
        session, title="Narwhal narwhal: the narwhal meeting", summary="Narwhal.", locations=[]
    )
    assert found(session, "narwhal") == [strong.id, weak.id]


def test_the_filters_and_the_readers_view_apply(session):
    mine = create(session, title="Axolotl workshop")  # MKD, submitted
    other = activities.create(
        session,
        data=ActivityCreate.model_validate(
            activity_body("meeting", mission="SRB", title="Axolotl briefing", locations=[])
        ),
        status=Status.DRAFT,
    )
    session.flush()
    assert set(found(session, "axolotl", reader=demo_user(session, "hom.mkd"))) == {mine.id}
    # the CPC desk does not see drafts
    assert set(found(session, "axolotl")) == {mine.id}
    srb = missions.get_by_code(session, "SRB")
    assert found(session, "axolotl", mission=srb) == []
    assert set(found(session, "axolotl", reader=demo_user(session, "hom.srb"))) == {other.id}


def test_the_count_reads_the_index(session, monkeypatch):
    for n in range(5):
        create(session, title=f"Platypus survey {n}", locations=[])
    reader = demo_user(session, "cpc")
    filters = activities.ActivityFilters(q="platypus")
    assert listing.count(session, reader=reader, filters=filters) == (5, False)
    monkeypatch.setattr(listing, "COUNT_CAP", 3)
    assert listing.count(session, reader=reader, filters=filters) == (3, True)
    monkeypatch.setattr(listing, "COUNT_CAP", 10_000)
    monkeypatch.setattr(listing, "CANDIDATE_CAP", 2)
    assert listing.count(session, reader=reader, filters=filters) == (2, True)


def test_too_many_to_rank_are_listed_newest_first_on_every_page(session, monkeypatch):
    """Past SEARCH_RANKED_UP_TO matches best match lists them most recently logged first
    (the index's order of ids): every match, once, on every page."""
    reader = demo_user(session, "hom.mkd")
    ranked = found(session, "border", reader=reader)
    assert len(ranked) > 5
    monkeypatch.setattr(listing, "SEARCH_RANKED_UP_TO", 2)
    newest = found(session, "border", reader=reader)
    assert newest == sorted(ranked, reverse=True)
    for sort in ("title", "-start", "created"):
        page = listing.list_page(
            session,
            reader=reader,
            filters=activities.ActivityFilters(q="border"),
            sort=sort,
            limit=7,
        )
        assert len(page.rows) == 7 and page.next_cursor


# --- every write path keeps the index in step --------------------------------------------------


def test_create_update_workflow_and_delete_follow(session):
    hom = demo_user(session, "hom.mkd")
    activity = create(session, title="Capybara census")
    assert found(session, "capybara") == [activity.id]
    activities.update(
        session,
        activity=activity,
        patch=ActivityUpdate(version=activity.version, title="Wombat census"),
    )
    assert found(session, "capybara") == []
    assert found(session, "wombat") == [activity.id]
    workflow.transition(
        session,
        activity=activity,
        action=workflow.Action.RETURN,
        version=activity.version,
        actor=hom,
        comment="Say which pangolin office",
    )
    reader = hom
    assert found(session, "pangolin", reader=reader) == [activity.id]
    activities.update(
        session,
        activity=activity,
        patch=ActivityUpdate(version=activity.version, locations=["tabanovce"]),
    )
    assert activity.id in found(session, "Табановце", reader=reader)
    assert_index_is_a_rebuild(session)
    activities.delete(session, activity=activity, version=activity.version)
    assert found(session, "wombat", reader=reader) == []
    assert activity.id not in index_rows(session)


def test_renamed_locations_and_partners_reindex_their_activities(session):
    linked = set(
        session.scalars(
            select(Activity.id).where(Activity.locations.any(Location.code == "gevgelija"))
        )
    )
    location = session.scalar(select(Location).where(Location.code == "gevgelija"))
    assert location is not None and linked
    location.name = "Ђевђелија"  # renamed, in Cyrillic
    session.flush()
    assert linked <= set(found(session, "Djevdjelija"))
    assert linked <= set(found(session, "Devdelija"))
    partner = session.scalar(select(Partner).where(Partner.code == "unhcr"))
    assert partner is not None
    with_partner = set(
        session.scalars(select(Activity.id).where(Activity.partners.any(Partner.id == partner.id)))
    )
    partner.acronym = "QXUNHCR"
    session.flush()
    visible = set(found(session, "qxunhcr"))
    assert visible and visible <= with_partner
    assert_index_is_a_rebuild(session)


def test_import_seed_and_demo_follow(engine):
    rows = "\n".join(
        [
            "mission,type,title,start,dimension,response_area,meeting_kind,meeting_level,locations",
            "MKD,meeting,Ocelot talks,2016-02-02,cross_dimensional,reporting_liaising,"
            "coordination,working_level,tabanovce",
        ]
    )
    with unit_of_work(engine) as session:
        result = import_file(session, rows.encode(), filename="x.csv", mission=None, actor=None)
        assert result.created == 1, result
    generate(engine, count=300, seed=3)
    with unit_of_work(engine) as session:
        admin_ids = found(session, "ocelot", reader=demo_user(session, "hom.mkd"))
        assert len(admin_ids) == 1
        assert activities.get(session, admin_ids[0]).locations[0].code == "tabanovce"
        synthetic = set(
            session.scalars(select(Activity.id).where(Activity.provenance == "synthetic"))
        )
        assert len(synthetic) == 300
        # every demo record says so in its summary; the seed's records are in the index too
        assert synthetic <= set(index_rows(session))
        assert_index_is_a_rebuild(session)


# --- the list page and the API ------------------------------------------------------------------


def test_the_page_ranks_highlights_and_filters_by_location(client, session):
    page = client.get("/activities", params={"q": "Прешево"})
    assert page.status_code == 200
    assert "<mark>Preševo</mark>" in page.text
    assert '<option value="relevance" selected>Best match</option>' in page.text
    page = client.get("/activities", params={"q": "presevo", "sort": "-start"})
    assert '<option value="-start" selected>' in page.text
    by_place = client.get("/activities", params={"location": "gevgelija", "q": "border"})
    assert by_place.status_code == 200 and "<mark>" in by_place.text
    nothing = client.get("/activities", params={"q": "<script>zzqx"})
    assert "<script>zzqx" not in nothing.text


def test_the_api_searches_the_same_way(client):
    def ids(q, **params):
        body = client.get("/api/v1/activities", params={"q": q, "limit": 1000, **params})
        assert body.status_code == 200, body.text
        return [item["id"] for item in body.json()["items"]]

    latin, cyrillic = ids("Presevo"), ids("Прешево")
    assert latin and latin == cyrillic
    assert sorted(ids("Presevo", sort="-start")) == sorted(latin)
    assert ids("Presevo", sort="relevance") == latin
    bad = client.get("/api/v1/activities", params={"q": "x", "sort": "relevant"})
    assert bad.status_code == 422


def test_the_rebuild_command_repairs_the_index(engine, cli_database):
    """`fieldlog rebuild-search` indexes every record again (after rows changed by hand)."""
    from typer.testing import CliRunner

    from app.cli import app as cli

    with unit_of_work(engine) as session:
        search.remove(session, list(session.scalars(select(Activity.id))))
        session.execute(text("UPDATE activities SET title = 'Manatee count' WHERE id = 1"))
    result = CliRunner().invoke(cli, ["rebuild-search"])
    assert result.exit_code == 0, result.output
    assert "Search index rebuilt" in result.output
    with unit_of_work(engine, write=False) as session:
        assert found(session, "manatee", reader=demo_user(session, "hom.mkd")) == [1]
        assert set(index_rows(session)) == set(session.scalars(select(Activity.id)))
