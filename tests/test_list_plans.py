"""The activity list reads index ranges, never a scan or a sort of the activities, for every
role, sort order and main filter, on SQLite and PostgreSQL; and its pages and counts are right.

The plans are of the statements the page itself runs (app/activities/listing.py builds
them; compiled here with their values), on a database of some thousands of synthetic
activities with planner statistics (ANALYZE), so a change that brings back a scan fails.
"""

from __future__ import annotations

import dataclasses
import json
import random
from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

import app.models  # noqa: F401
from app.accounts import service as accounts
from app.activities import aggregates, listing, policy, service
from app.activities.models import Activity
from app.db import make_engine, unit_of_work
from app.demo import generate
from app.missions import service as missions
from app.missions.models import Location
from tests.conftest import migrate, seed_database

ROWS = 6_000
ROLES = {"cpc": "cpc", "head of mission": "hom.mkd", "focal point": "fp.srb"}
SORTS = list(service.SORT_CHOICES)
SMALL_SORT = 200  # rows PostgreSQL may sort after its indexes narrowed a branch to them


@pytest.fixture(scope="module")
def big(backend) -> Iterator[Engine]:
    """A seeded database with ROWS synthetic activities and current planner statistics."""
    url = backend.new_url()
    migrate(url)
    seed_database(url)
    engine = make_engine(url)
    generate(engine, count=ROWS, seed=11)
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
        conn.commit()
    yield engine
    engine.dispose()
    backend.drop(url)


@pytest.fixture
def db(big: Engine) -> Iterator[Session]:
    with unit_of_work(big, write=False) as session:
        yield session


def user(session: Session, who: str):
    found = accounts.get_by_email(session, f"{who}@demo.fieldlog.example")
    assert found is not None
    return found


def main_filters(session: Session) -> dict[str, service.ActivityFilters]:
    """The filters a reader combines most, each alone and a few together."""
    mkd = missions.get_by_code(session, "MKD")
    srb = missions.get_by_code(session, "SRB")
    location = session.scalars(select(Location).order_by(Location.id)).first()
    return {
        "none": service.ActivityFilters(),
        "own mission": service.ActivityFilters(mission=mkd),
        "other mission": service.ActivityFilters(mission=srb),
        "type": service.ActivityFilters(type="training"),
        "status": service.ActivityFilters(status="approved"),
        "months": service.ActivityFilters(date_from=date(2015, 1, 1), date_to=date(2015, 12, 31)),
        "days": service.ActivityFilters(date_from=date(2015, 6, 15), date_to=date(2016, 3, 10)),
        "theme": service.ActivityFilters(theme="anti_trafficking"),
        "location": service.ActivityFilters(location=location),
        "mission and type": service.ActivityFilters(mission=srb, type="training"),
        "joint": service.ActivityFilters(joint=True),
    }


def sql_of(session: Session, statement) -> str:
    dialect = session.get_bind().dialect
    return str(statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


# --- reading plans ------------------------------------------------------------------------------


def sqlite_problems(session: Session, sql: str) -> list[str]:
    """What in SQLite's plan reads the activities other than by an index range: a scan of
    the table or of a whole index, or a sort (temp b-tree) over what a scan of it yields."""
    rows = session.execute(text("EXPLAIN QUERY PLAN " + sql)).all()
    children: dict[int, list[str]] = {}
    for _, parent, _, detail in rows:
        children.setdefault(parent, []).append(detail)
    problems = []
    for _, parent, _, detail in rows:
        if detail.startswith("SCAN activities"):
            problems.append(detail)
        if detail.startswith("USE TEMP B-TREE") and any(
            d.startswith(("SEARCH activities ", "SCAN activities")) for d in children[parent]
        ):
            problems.append(f"{detail} over the activities")
    return problems


def postgres_problems(session: Session, sql: str) -> list[str]:
    """What in PostgreSQL's plan reads the activities by a sequential scan, or sorts more
    than a few of them (a Sort, with no LIMIT between it and the activities, that the
    planner expects more than SMALL_SORT rows into). PostgreSQL may sort the handful of
    rows two indexes already narrowed a branch to (a BitmapAnd of the branch's range and
    the type index); what it must not do is sort a branch, or the table, to find a page."""
    plan = session.execute(text("EXPLAIN (FORMAT JSON) " + sql)).scalar()
    root = (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]
    problems = []

    def reads_activities_unlimited(node) -> bool:
        if node.get("Relation Name") == "activities":
            return True
        if node["Node Type"] == "Limit":
            return False
        return any(reads_activities_unlimited(c) for c in node.get("Plans", []))

    def walk(node) -> None:
        if node["Node Type"] == "Seq Scan" and node.get("Relation Name") == "activities":
            problems.append("Seq Scan on activities")
        if (
            node["Node Type"] in ("Sort", "Incremental Sort")
            and node["Plan Rows"] > SMALL_SORT
            and any(reads_activities_unlimited(c) for c in node.get("Plans", []))
        ):
            problems.append(f"{node['Node Type']} over the activities")
        for child in node.get("Plans", []):
            walk(child)

    walk(root)
    return problems


def problems(session: Session, statement) -> list[str]:
    sql = sql_of(session, statement)
    if session.get_bind().dialect.name == "sqlite":
        return sqlite_problems(session, sql)
    return postgres_problems(session, sql)


@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize("role", list(ROLES))
def test_each_page_reads_index_ranges_only(db, role, sort, monkeypatch):
    """First page, a deep page (after a cursor) and the bounded count, for every filter.

    A period with another sort order is walked along that order's index here (the
    threshold set to 0); a period few enough records fall in is instead read as a range of
    start dates and sorted, which the next test checks."""
    monkeypatch.setattr(listing, "SORT_WITHIN_PERIOD_UP_TO", 0)
    reader = user(db, ROLES[role])
    found = {}
    for name, filters in main_filters(db).items():
        for what, statement in page_statements(db, reader, filters, sort).items():
            if bad := problems(db, statement):
                found[f"{name}, {what}"] = bad
    assert not found, found


WORD_FILTERS = {
    "a word": service.ActivityFilters(q="border"),
    "a place in Cyrillic": service.ActivityFilters(q="Гевгелија"),
    "words, mission and type": service.ActivityFilters(
        q="training police", mission=None, type="training"
    ),
}


RARE_WORD_FILTERS = {
    "a rare word": service.ActivityFilters(q="corruption"),
    "a rare word and a type": service.ActivityFilters(q="Corruption", type="monitoring_visit"),
}


def search_index_problems(session: Session, sql: str) -> list[str]:
    """What reads the activities other than by id, or misses the full-text index: the
    matches come from the index (FTS5; the GIN index on tsv) and each is looked up by id."""
    if session.get_bind().dialect.name == "sqlite":
        plan = [r[3] for r in session.execute(text("EXPLAIN QUERY PLAN " + sql))]
        found = [
            d
            for d in plan
            if "activities" in d and not d.startswith("SEARCH activities USING INTEGER PRIMARY KEY")
        ]
        found = [d for d in found if d.startswith(("SCAN activities", "SEARCH activities"))]
        if not any(d.startswith("SCAN activity_search VIRTUAL TABLE") for d in plan):
            found.append(f"no full-text index in {plan}")
        return found
    raw = session.execute(text("EXPLAIN (FORMAT JSON) " + sql)).scalar()
    root = (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]
    nodes, stack = [], [root]
    while stack:
        node = stack.pop()
        nodes.append(node)
        stack.extend(node.get("Plans", []))
    found = [
        f"{n['Node Type']} on activities"
        for n in nodes
        if n.get("Relation Name") == "activities" and n["Node Type"] == "Seq Scan"
    ]
    if not any(n.get("Index Name") == "ix_activity_search_tsv" for n in nodes) and not any(
        n.get("Relation Name") == "activity_search"
        and n["Node Type"] == "Seq Scan"
        and n.get("Plan Rows", 0) < 50
        for n in nodes
    ):
        found.append("no full-text index")
    return found


@pytest.mark.parametrize("sort", ["relevance", "-start", "title", "id"])
@pytest.mark.parametrize("role", list(ROLES))
def test_a_search_reads_the_full_text_index(db, role, sort, monkeypatch):
    """The page and the count read the matches from the full-text index and look each
    record up by id: ranked, sorted, or (SEARCH_RANKED_UP_TO set to 0: too many to rank)
    in the index's own order of ids, newest first, without sorting the matches."""
    reader = user(db, ROLES[role])
    found = {}
    # PostgreSQL rightly reads all of 6,000 rows for a word that many of them hold; a rare
    # one shows the plan it uses at any size (GIN index, then each record by id).
    words = WORD_FILTERS if db.get_bind().dialect.name == "sqlite" else RARE_WORD_FILTERS
    for limit in (5_000, 0):
        monkeypatch.setattr(listing, "SEARCH_RANKED_UP_TO", limit)
        for name, filters in words.items():
            first = listing.keyset_statement(db, reader, filters, sort, None, 26)
            count = listing.bounded_count_statement(db, reader, filters)
            for what, statement in (("first page", first), ("count", count)):
                sql = sql_of(db, statement)
                if bad := search_index_problems(db, sql):
                    found[f"{name}, {what}, up to {limit}"] = bad
                if (
                    limit == 0
                    and sort == "relevance"
                    and what == "first page"
                    and db.get_bind().dialect.name == "sqlite"
                ):
                    plan = [r[3] for r in db.execute(text("EXPLAIN QUERY PLAN " + sql))]
                    if any(d.startswith("USE TEMP B-TREE") for d in plan):
                        found[f"{name}, newest first, sorted"] = plan
    assert not found, found


@pytest.mark.parametrize("sort", ["title", "-updated"])
def test_a_short_period_in_another_order_reads_its_range_of_start_dates(db, sort):
    """Sorted, but only the period's rows: an index range on start_date, never a scan."""
    reader = user(db, "hom.mkd")
    filters = main_filters(db)["days"]
    for what, statement in page_statements(db, reader, filters, sort).items():
        sql = sql_of(db, statement)
        if db.get_bind().dialect.name == "sqlite":
            plan = [r[3] for r in db.execute(text("EXPLAIN QUERY PLAN " + sql))]
            reads = [
                d
                for d in plan
                if d.startswith(("SEARCH activities ", "SCAN activities"))
                and "INTEGER PRIMARY KEY (rowid=?)" not in d  # the count's lookups by id
            ]
            assert reads and all("start_date>" in d for d in reads), (what, reads)
        else:
            bad = [p for p in postgres_problems(db, sql) if p.startswith("Seq Scan")]
            assert not bad, (what, bad)


def page_statements(db: Session, reader, filters: service.ActivityFilters, sort: str) -> dict:
    """The first page's statement, the count's, and a deep page's (after the first)."""
    first = listing.keyset_statement(db, reader, filters, sort, None, 26)
    keys = db.execute(first).all()
    statements = {
        "first page": first,
        "count": listing.bounded_count_statement(db, reader, filters),
    }
    if keys:
        row_id, value = keys[-1]
        after = (listing._as_sort_value(sort, value), row_id)
        if sort == service.RELEVANCE and isinstance(value, float):
            after = (value, row_id)
        statements["deep page"] = listing.keyset_statement(db, reader, filters, sort, after, 26)
    return statements


@pytest.mark.parametrize("role", list(ROLES))
def test_the_exports_batches_read_index_ranges_in_id_order(db, role):
    """A batch of 50 of these 6,000 rows stands for the exports' 1,000 of a large table:
    at a batch a sixth of the table PostgreSQL rightly prefers reading it all."""
    reader = user(db, ROLES[role])
    for name, filters in main_filters(db).items():
        for after in (None, (500, 500)):
            statement = listing.keyset_statement(db, reader, filters, "id", after, 50)
            assert not problems(db, statement), (name, after)


# --- the pages and the counts are right ---------------------------------------------------------


def every_visible(session: Session, reader, filters, sort: str) -> list[int]:
    """The whole visible, filtered list in order, the plain way (one query, no keyset)."""
    column = service.SORTS[sort.lstrip("-")].column
    order = [column.desc(), Activity.id.desc()] if sort.startswith("-") else [column, Activity.id]
    query = service.apply_filters(select(Activity.id), filters)
    return list(session.scalars(query.where(policy.visible_activities(reader)).order_by(*order)))


def walk_pages(session: Session, reader, filters, sort: str, limit: int) -> list[int]:
    ids: list[int] = []
    cursor = None
    while True:
        page = listing.list_page(
            session, reader=reader, filters=filters, sort=sort, limit=limit, cursor=cursor
        )
        ids += [a.id for a in page.rows]
        cursor = page.next_cursor
        if cursor is None:
            return ids


@pytest.mark.parametrize("sort", ["-start", "title", "-updated", "created"])
def test_keyset_pages_give_exactly_the_visible_rows_in_order(db, sort):
    reader = user(db, "hom.mkd")
    mkd = missions.get_by_code(db, "MKD")
    srb = missions.get_by_code(db, "SRB")
    for filters in (
        service.ActivityFilters(mission=mkd, type="training"),
        service.ActivityFilters(mission=srb, date_from=date(2016, 1, 1)),
        service.ActivityFilters(q="border", date_from=date(2015, 6, 15)),
    ):
        expected = every_visible(db, reader, filters, sort)
        assert len(expected) > 40, "too few rows to span several pages"
        assert walk_pages(db, reader, filters, sort, limit=17) == expected


def test_keyset_pages_of_everything_a_head_of_mission_sees(db):
    """Own mission in every state and others approved: every one, once, in order."""
    reader = user(db, "hom.mkd")
    filters = service.ActivityFilters()
    expected = every_visible(db, reader, filters, "-start")
    assert walk_pages(db, reader, filters, "-start", limit=1000) == expected
    statuses = dict(
        db.execute(select(Activity.id, Activity.status).where(Activity.id.in_(expected))).all()
    )
    own = {a for a in expected if db.get(Activity, a).mission_id == reader.mission_id}
    assert {statuses[a] for a in own} > {"approved"}, "own drafts and submitted are listed"
    assert {statuses[a] for a in set(expected) - own} == {"approved"}


@pytest.mark.parametrize("role", list(ROLES))
def test_counts_from_the_aggregates_are_exact(db, role):
    reader = user(db, ROLES[role])
    mkd = missions.get_by_code(db, "MKD")
    cases = [
        service.ActivityFilters(),
        service.ActivityFilters(mission=mkd),
        service.ActivityFilters(type="training", status="approved"),
        service.ActivityFilters(area="monitoring", theme="anti_trafficking"),
        service.ActivityFilters(type="training", area="policing_crime"),
        service.ActivityFilters(date_from=date(2015, 3, 1), date_to=date(2016, 2, 29)),
        service.ActivityFilters(mission=mkd, status="draft", date_from=date(2015, 1, 1)),
    ]
    for filters in cases:
        exact = listing.count_from_aggregates(db, reader=reader, filters=filters)
        assert exact is not None, filters
        assert exact == len(every_visible(db, reader, filters, "start")), filters


def test_periods_of_whole_months_or_years_read_the_aggregates():
    grain = listing.aggregate_grain
    assert grain(None, None) == "year"
    assert grain(date(2015, 1, 1), date(2016, 12, 31)) == "year"
    assert grain(date(2015, 3, 1), date(2016, 2, 29)) == "month"
    assert grain(None, date(2015, 4, 30)) == "month"
    assert grain(date(2015, 6, 15), None) is None
    assert grain(date(2015, 6, 1), date(2015, 6, 29)) is None


def test_other_counts_stop_at_the_cap_and_say_so(db, monkeypatch):
    reader = user(db, "cpc")
    words = service.ActivityFilters(q="a")  # words: not in the aggregates
    assert listing.count_from_aggregates(db, reader=reader, filters=words) is None
    matching = len(every_visible(db, reader, words, "start"))
    assert matching > 60
    assert listing.count(db, reader=reader, filters=words) == (matching, False)
    monkeypatch.setattr(listing, "COUNT_CAP", 50)
    assert listing.count(db, reader=reader, filters=words) == (50, True)
    monkeypatch.setattr(listing, "CANDIDATE_CAP", 40)
    found, stopped = listing.count(db, reader=reader, filters=words)
    assert stopped and 0 < found <= 40, "the matches among the 40 records read, at least"
    monkeypatch.setattr(listing, "CANDIDATE_CAP", 50_000)
    few = service.ActivityFilters(q="a", date_from=date(2016, 1, 1), date_to=date(2016, 1, 9))
    expected = len(every_visible(db, reader, few, "start"))
    assert expected <= 50
    assert listing.count(db, reader=reader, filters=few) == (expected, False)


def test_the_api_and_the_page_say_when_the_count_stopped(client, monkeypatch):
    monkeypatch.setattr(listing, "COUNT_CAP", 3)
    body = client.get("/api/v1/activities", params={"q": "a", "limit": 2}).json()
    assert (body["total"], body["total_is_lower_bound"]) == (3, True)
    exact = client.get("/api/v1/activities", params={"limit": 2}).json()
    assert exact["total_is_lower_bound"] is False and exact["total"] > 3
    page = client.get("/activities", params={"q": "a", "limit": 2})
    assert "More than 3 activities" in page.text


def test_exports_read_every_visible_row_once_in_id_order(big, db):
    from app.exchange import exporter

    reader = user(db, "hom.mkd")
    filters = service.ActivityFilters(mission=missions.get_by_code(db, "SRB"))
    expected = sorted(every_visible(db, reader, filters, "start"))
    monkey = exporter.BATCH
    try:
        exporter.BATCH = 97
        got = [a.id for a in exporter.activities(big, filters=filters, reader=reader)]
    finally:
        exporter.BATCH = monkey
    assert got == expected
    total = db.scalar(select(func.count()).select_from(Activity))
    everything = list(exporter.activities(big, filters=service.ActivityFilters(), everything=True))
    assert len(everything) == total


def test_pages_and_counts_follow_the_partial_date_rule(backend):
    """Records known only to the month, quarter or year are in a period only when all of
    their date is: the keyset pages and the count (from the aggregates, plus the raw rows
    of the two partial months of a period in days) agree with that rule
    (counting.wholly_within_sql, through service.apply_filters) for every reader."""
    url = backend.new_url()
    migrate(url)
    seed_database(url)
    engine = make_engine(url)
    try:
        generate(engine, count=600, seed=5)
        rng = random.Random(5)
        with unit_of_work(engine) as session:
            for activity in session.scalars(select(Activity)):
                precision = rng.choice(["day", "day", "month", "quarter", "year"])
                start = activity.start_date
                activity.start_precision = precision
                activity.start_date = {
                    "day": start,
                    "month": start.replace(day=1),
                    "quarter": date(start.year, 3 * ((start.month - 1) // 3) + 1, 1),
                    "year": date(start.year, 1, 1),
                }[precision]
            aggregates.rebuild(session)
        periods = [
            (date(2015, 3, 1), date(2016, 2, 29)),  # whole months: from the aggregates
            (date(2015, 1, 1), date(2015, 12, 31)),  # a whole year
            (None, date(2015, 8, 31)),
            (date(2015, 6, 15), date(2016, 3, 10)),  # days: counted on the rows
            (date(2016, 1, 1), date(2016, 1, 9)),
            (date(2016, 2, 3), date(2016, 2, 20)),  # inside one month
            (date(2015, 6, 15), None),
            (None, date(2016, 3, 10)),
            (date(2014, 12, 20), date(2017, 1, 10)),  # whole years between the ends
        ]
        with unit_of_work(engine, write=False) as session:
            for role in ROLES:
                reader = user(session, ROLES[role])
                for first, last in periods:
                    filters = service.ActivityFilters(date_from=first, date_to=last)
                    expected = every_visible(session, reader, filters, "start")
                    case = (role, first, last)
                    assert walk_pages(session, reader, filters, "start", 40) == expected, case
                    by_title = every_visible(session, reader, filters, "title")
                    assert walk_pages(session, reader, filters, "title", 40) == by_title, case
                    assert listing.count(session, reader=reader, filters=filters) == (
                        len(expected),
                        False,
                    ), case
    finally:
        engine.dispose()
        backend.drop(url)


def test_postgres_requests_start_no_parallel_workers(big):
    """A request's queries read small index ranges: on PostgreSQL the app's connections
    start no parallel workers, whose start-up cost more than such a query (app/db.py)."""
    with big.connect() as conn:
        if conn.dialect.name != "postgresql":
            pytest.skip("a PostgreSQL setting: SQLite has no parallel workers")
        assert conn.execute(text("SHOW max_parallel_workers_per_gather")).scalar() == "0"


@pytest.mark.parametrize("role", list(ROLES))
def test_the_days_at_a_periods_ends_are_counted_by_start_date_ranges(db, role):
    """A period in days counts the raw rows of its two end months: each count reads a range
    of start dates (of a branch's index), never every record of a status."""
    reader = user(db, ROLES[role])
    for name, filters in main_filters(db).items():
        part = dataclasses.replace(filters, date_from=date(2016, 3, 1), date_to=date(2016, 3, 10))
        for statement in listing.end_month_count_statements(db, reader, part):
            sql = sql_of(db, statement)
            if db.get_bind().dialect.name == "sqlite":
                plan = [r[3] for r in db.execute(text("EXPLAIN QUERY PLAN " + sql))]
                reads = [d for d in plan if d.startswith(("SEARCH activities ", "SCAN activities"))]
                assert reads and all("start_date>" in d for d in reads), (name, plan)
            else:
                assert not postgres_problems(db, sql), name
