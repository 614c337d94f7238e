"""The activity list's SQL: which index each page walks, and how the matches are counted.

A reader's visible rows are a union of *branches*: one lead mission in one status (a
mission's own staff see their mission in every status and other missions' approved
records; the CPC desk submitted and approved records everywhere; policy.sees decides).
Each branch is one range of an index on (mission_id, status, sort column, id)
(models.list_indexes), read in
order from the cursor on and cut at the page size; the branches are merged and cut
again. A page therefore reads about branches × page size index entries whatever the
table's size, where an OR across columns ("own mission, or approved") is answered by
both databases with a scan and a sort of every visible row.

The mission filter ("led by or taking part") adds, for the missions taking part, the
same branches over the joint records only (partial indexes WHERE is_joint).

The count is exact from the aggregates (activity_stats) when the filters are ones the
aggregates are kept by; otherwise it reads at most CANDIDATE_CAP records of the branches
(with the period) and counts the matches among them up to COUNT_CAP + 1: "more than
10,000" when that many match, "at least N" when it stopped reading before the end.
"""

from __future__ import annotations

import calendar
import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    func,
    literal,
    or_,
    select,
    true,
    tuple_,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.util import ClauseAdapter

from app.accounts.actor import Actor
from app.activities import counting, policy, search, service
from app.activities.aggregate_models import ActivityStat
from app.activities.models import Activity, activity_other_missions
from app.missions.models import Mission
from app.vocab import DatePrecision, Status

COUNT_CAP = 10_000
# The records a count reads at most when the aggregates cannot answer it (words, a
# location, provenance, a period in days): past it the count says "at least".
CANDIDATE_CAP = 20_000

# Sort key -> its column; "id" is the exports' order (no user sort).
SORT_COLUMNS: dict[str, Any] = {name: sort.column for name, sort in service.SORTS.items()}
SORT_COLUMNS["id"] = Activity.id


@dataclass(frozen=True)
class Branch:
    """One index range: the records a lead mission holds in one status; `taking_part`
    set, only its joint records that this other mission takes part in."""

    mission_id: int
    status: str
    taking_part: int | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        found = [Activity.mission_id == self.mission_id, Activity.status == self.status]
        if self.taking_part is not None:
            found.append(Activity.is_joint == true())
            found.append(
                select(activity_other_missions.c.activity_id)
                .where(
                    activity_other_missions.c.activity_id == Activity.id,
                    activity_other_missions.c.mission_id == self.taking_part,
                )
                .exists()
            )
        return found


def branches(session: Session, reader: Actor | None, filters: service.ActivityFilters):
    """The index ranges that together hold every row `reader` may see that `filters` keep."""
    mission_ids = list(session.scalars(select(Mission.id).order_by(Mission.id)))
    statuses = [filters.status] if filters.status else Status.values()
    pairs = [
        (mission_id, status)
        for mission_id in mission_ids
        for status in statuses
        if policy.sees(reader, lead_mission_id=mission_id, status=status)
    ]
    if filters.mission is None:
        return [Branch(m, s) for m, s in pairs]
    wanted = filters.mission.id
    return [Branch(m, s) if m == wanted else Branch(m, s, taking_part=wanted) for m, s in pairs]


def _row_filters(filters: service.ActivityFilters) -> service.ActivityFilters:
    """The filters left once the branches have taken mission and status, and the period
    (added by `_arm` as the plan needs it)."""
    return dataclasses.replace(
        filters, mission=None, status=None, joint=None, date_from=None, date_to=None
    )


class unindexed(ColumnElement):  # noqa: N801 (reads as a function in a query)
    """A column that SQLite must not use an index for (`+column`): a period filter while
    the page walks another sort order's index, so SQLite does not range over start_date
    and sort. PostgreSQL weighs both with its statistics and needs no such hint."""

    inherit_cache = True

    def __init__(self, column) -> None:
        self.column = column
        self.type = column.type


@compiles(unindexed)
def _unindexed_default(element, compiler, **kw):
    return compiler.process(element.column, **kw)


@compiles(unindexed, "sqlite")
def _unindexed_sqlite(element, compiler, **kw):
    return "+" + compiler.process(element.column, **kw)


def _arm(
    branch: Branch,
    reader: Actor | None,
    filters: service.ActivityFilters,
    *columns,
    period_by_index: bool = True,
    checked_on_rows: bool = True,
) -> Select:
    """One branch's rows that match: the branch's index range, the reader's visibility
    (again, as a guard), and the filters checked on each row the range yields."""
    query = select(*columns).where(*branch.conditions(), policy.visible_activities(reader))
    if filters.joint and branch.taking_part is None:
        query = query.where(Activity.is_joint == true())
    start = Activity.start_date if period_by_index else unindexed(Activity.start_date)
    if filters.date_from is not None:
        query = query.where(start >= filters.date_from)
    if filters.date_to is not None:
        query = query.where(start <= filters.date_to, _ends_by(filters.date_to))
    return service.apply_filters(query, _row_filters(filters)) if checked_on_rows else query


def _ends_by(last: date) -> ColumnElement[bool]:
    """Checked on each row: the record's date, at its precision, ends by `last` (the rule
    of counting.wholly_within_sql: "2015" is not in January–March 2015). Written on the
    unindexed start date, so it never competes with the branch's range for an index."""
    start = unindexed(Activity.start_date)
    return or_(
        *(
            and_(
                Activity.start_precision == p.value,
                start <= counting.latest_start_within(p.value, last),
            )
            for p in DatePrecision
        )
    )


# A period holding at most this many records is read by start date and sorted; a wider
# one by walking the sort order's index, which soon meets the period's rows.
SORT_WITHIN_PERIOD_UP_TO = 20_000


def _period_by_index(session: Session, filters: service.ActivityFilters, sort: str) -> bool:
    """Whether the page reads the period's range of start dates (and sorts it) rather
    than walking its sort order's index: yes for the start order, and for a period few
    enough records fall in (counted from the aggregates' months, every status). Never for
    the exports' id order: their batches walk on from the last id, so across the batches
    each candidate is read once; a sort per batch would read the period again each time."""
    if filters.date_from is None and filters.date_to is None:
        return True
    if sort.lstrip("-") in ("start", "id"):
        return sort.lstrip("-") == "start"
    table = ActivityStat.__table__
    query = select(func.coalesce(func.sum(sum(table.c[f"n_{s}"] for s in Status.values())), 0))
    query = query.where(
        table.c.grain == "month",
        table.c.level == "all",
        table.c.theme == "",
        table.c.mission_id == table.c.lead_mission_id,
    )
    if filters.date_from is not None:
        query = query.where(table.c.period >= filters.date_from.replace(day=1))
    if filters.date_to is not None:
        query = query.where(table.c.period <= filters.date_to)
    return int(session.scalar(query) or 0) <= SORT_WITHIN_PERIOD_UP_TO


def keyset(
    session: Session,
    *,
    reader: Actor | None,
    filters: service.ActivityFilters,
    sort: str,
    after: tuple[Any, int] | None,
    limit: int,
    matched: int | None = None,
) -> list[tuple[int, Any]]:
    """(id, sort value) of the next `limit` visible matches after `after`, in order.
    `matched`: the words' matches in the full-text index, if counted already."""
    statement = keyset_statement(session, reader, filters, sort, after, limit, matched)
    return list(session.execute(statement))


# Best match ranks the matches when they are at most this many; past it (a common word
# in a large table, where a rank says little) they are listed most recently logged first,
# which the full-text index reads in order (its ids, descending) without scoring them all.
SEARCH_RANKED_UP_TO = 5_000


def search_plan(
    session: Session, filters: service.ActivityFilters, sort: str, matched: int | None = None
) -> str | None:
    """How a search's page is read, always from the full-text index's matches: "ranked"
    (best match), "newest" (best match, too many to rank), "sorted" (another order: the
    matches sorted). None without words (the branches' index ranges)."""
    if not (filters.q and search.terms(filters.q)):
        return None
    if sort != service.RELEVANCE:
        return "sorted"
    if matched is None:
        matched = search.matches_at_most(session, filters.q, SEARCH_RANKED_UP_TO + 1)
    return "ranked" if matched <= SEARCH_RANKED_UP_TO else "newest"


def _search_statement(
    session: Session,
    reader: Actor | None,
    filters: service.ActivityFilters,
    sort: str,
    plan: str,
    after: tuple[Any, int] | None,
    limit: int,
) -> Select:
    """The page read from the full-text index's matches: joined to their records by id,
    checked against the reader and the other filters, then ranked (a score, lower is
    better), taken newest first (the index's own order of ids) or sorted; cut after
    `after`."""
    assert filters.q
    ident, score, condition, source = search.matched(session, filters.q)
    key: Any = {"ranked": score, "newest": ident}.get(plan)
    if key is None:
        key = SORT_COLUMNS[sort.lstrip("-")]
    matches = (
        select(Activity.id.label("id"), key.label("k"))
        .select_from(source)
        .join(Activity, Activity.id == ident)
        .where(condition, policy.visible_activities(reader))
    )
    inner = service.apply_filters(matches, dataclasses.replace(filters, q=None)).subquery()
    descending = sort.startswith("-") or plan == "newest"
    by_id_only = plan == "newest" or key is Activity.id
    statement = select(inner.c.id, inner.c.k)
    if after is not None and sort == service.RELEVANCE:
        wanted = float if plan == "ranked" else int
        if not isinstance(after[0], wanted) or isinstance(after[0], bool):
            after = None  # a cursor of the other plan (the matches grew or shrank): restart
    if after is not None:
        if by_id_only:
            statement = statement.where(
                inner.c.id < after[1] if descending else inner.c.id > after[1]
            )
        else:
            pair, value = tuple_(inner.c.k, inner.c.id), tuple_(*after)
            statement = statement.where(pair < value if descending else pair > value)
    if by_id_only:
        order = [inner.c.k.desc() if descending else inner.c.k]
    elif descending:
        order = [inner.c.k.desc(), inner.c.id.desc()]
    else:
        order = [inner.c.k, inner.c.id]
    return statement.order_by(*order).limit(limit)


def keyset_statement(
    session: Session,
    reader: Actor | None,
    filters: service.ActivityFilters,
    sort: str,
    after: tuple[Any, int] | None,
    limit: int,
    matched: int | None = None,
) -> Select:
    """The page's statement: each branch an ordered, limited index range; merged, cut.
    Words: the full-text index's matches instead (`search_plan`)."""
    plan = search_plan(session, filters, sort, matched)
    if plan is not None:
        return _search_statement(session, reader, filters, sort, plan, after, limit)
    if sort == service.RELEVANCE:  # no words to rank by
        sort, after = "-start", None
    descending = sort.startswith("-")
    column = SORT_COLUMNS[sort.lstrip("-")]
    arms = []
    by_start = _period_by_index(session, filters, sort)
    for branch in branches(session, reader, filters):
        arm = _arm(
            branch,
            reader,
            filters,
            Activity.id.label("id"),
            column.label("k"),
            period_by_index=by_start,
        )
        if after is not None:
            if column is Activity.id:
                arm = arm.where(Activity.id < after[1] if descending else Activity.id > after[1])
            else:
                key, value = tuple_(column, Activity.id), tuple_(*after)
                arm = arm.where(key < value if descending else key > value)
        order = [column.desc(), Activity.id.desc()] if descending else [column, Activity.id]
        if column is Activity.id:
            order = order[:1]
        arms.append(arm.order_by(*order).limit(limit).subquery())
    if not arms:
        return select(Activity.id, literal(None).label("k")).where(literal(False))
    if len(arms) == 1:
        only = arms[0]
        return select(only.c.id, only.c.k)
    merged = union_all(*[select(arm.c.id, arm.c.k) for arm in arms]).subquery()
    order = [merged.c.k.desc(), merged.c.id.desc()] if descending else [merged.c.k, merged.c.id]
    return select(merged.c.id, merged.c.k).order_by(*order).limit(limit)


class ListPage(NamedTuple):
    rows: list[Activity]
    total: int
    total_is_lower_bound: bool
    next_cursor: str | None
    limit: int


def list_page(
    session: Session,
    *,
    reader: Actor | None,
    filters: service.ActivityFilters,
    sort: str = "-start",
    limit: int = 50,
    cursor: str | None = None,
) -> ListPage:
    """One page of the activities `reader` may see that match, in a stable order; how
    many match; the next page's cursor.

    Keyset pagination on (sort column, id): a page never repeats or skips a row, even
    while rows are added before the cursor. The cursor is checked where the query is
    read (`ActivityQuery`); here it is only decoded.
    """
    if sort == service.RELEVANCE and not search.terms(filters.q):
        sort = "-start"  # no words to rank by
    after = service.decode_cursor(cursor, sort) if cursor else None
    matched = None  # words: their matches in the full-text index, counted once for both
    if filters.q and search.terms(filters.q):
        cap = max(SEARCH_RANKED_UP_TO, CANDIDATE_CAP) + 1
        matched = search.matches_at_most(session, filters.q, cap)
    keys = keyset(
        session,
        reader=reader,
        filters=filters,
        sort=sort,
        after=after,
        limit=limit + 1,
        matched=matched,
    )
    ids = [row_id for row_id, _ in keys[:limit]]
    loaded = {
        a.id: a
        for a in session.scalars(
            select(Activity).where(Activity.id.in_(ids)).options(*service.load_links())
        )
    }
    rows = [loaded[row_id] for row_id in ids if row_id in loaded]
    next_cursor = None
    if len(keys) > limit:
        last_id, last_value = keys[limit - 1]
        next_cursor = service.encode_cursor(sort, _cursor_value(sort, last_value), last_id)
    if cursor is None and next_cursor is None:
        counted = Count(len(rows), False)  # the whole list is on this page
    else:
        counted = count(session, reader=reader, filters=filters, matched=matched)
    return ListPage(rows, counted.total, counted.is_lower_bound, next_cursor, limit)


def _cursor_value(sort: str, value: Any) -> Any:
    """The value a cursor carries: a best-match score as "r:<float>" (or, too many to rank,
    the id as "n:<id>"), else the sort's."""
    if sort == service.RELEVANCE:
        return f"r:{value!r}" if isinstance(value, float) else f"n:{int(value)}"
    return _as_sort_value(sort, value)


def _as_sort_value(sort: str, value: Any) -> Any:
    """The sort value as the column's Python type (a union's column may come back raw)."""
    if sort == service.RELEVANCE:  # a score, or an id (too many to rank)
        return value
    parse = service.SORTS[sort.lstrip("-")].parse
    return parse(value) if isinstance(value, str) and parse is not str else value


class Count(NamedTuple):
    """How many rows match; `is_lower_bound`: at least `total` do, perhaps more (the count
    stopped: at COUNT_CAP, "more than", or after CANDIDATE_CAP records read)."""

    total: int
    is_lower_bound: bool


def count(
    session: Session,
    *,
    reader: Actor | None,
    filters: service.ActivityFilters,
    matched: int | None = None,
) -> Count:
    """Exact from the aggregates where the filters allow it; else the matches among at most
    CANDIDATE_CAP records read, counted up to COUNT_CAP (a lower bound when either stops)."""
    exact = count_from_aggregates(session, reader=reader, filters=filters)
    if exact is not None:
        return Count(exact, False)
    found = session.scalar(bounded_count_statement(session, reader, filters)) or 0
    if found > COUNT_CAP:
        return Count(COUNT_CAP, True)
    if filters.q and matched is not None:  # the candidates are the index's first matches
        return Count(found, min(matched, CANDIDATE_CAP) >= CANDIDATE_CAP)
    read = session.scalar(candidates_read_statement(session, reader, filters)) or 0
    return Count(found, read >= CANDIDATE_CAP)


# The columns the filters checked on each row read (words, type, area, provenance; theme
# and location by the id).
_CHECKED_COLUMNS = (
    Activity.id,
    Activity.title,
    Activity.summary,
    Activity.type,
    Activity.response_area,
    Activity.provenance,
)


def _candidates(session: Session, reader: Actor | None, filters: service.ActivityFilters):
    """The records the count reads, at most CANDIDATE_CAP: the branches' ranges with the
    period (what the indexes select), as a subquery; None when no branch is visible."""
    arms = [
        _arm(b, reader, filters, *_CHECKED_COLUMNS, checked_on_rows=False)
        for b in branches(session, reader, filters)
    ]
    if not arms:
        return None
    union = union_all(*arms).subquery() if len(arms) > 1 else arms[0].subquery()
    return select(union).limit(CANDIDATE_CAP).subquery()


def bounded_count_statement(
    session: Session, reader: Actor | None, filters: service.ActivityFilters
) -> Select:
    """count(*) of the matches among the candidates, at most COUNT_CAP + 1 of them: words,
    a location, a type are checked on each candidate read, never on the whole table."""
    if filters.q:
        return _search_count_statement(session, reader, filters)
    candidates = _candidates(session, reader, filters)
    if candidates is None:
        return select(literal(0))
    checks = service.apply_filters(select(Activity.id), _row_filters(filters)).whereclause
    matches = select(candidates.c.id)
    if checks is not None:  # the same conditions, on the candidates' columns
        matches = matches.where(ClauseAdapter(candidates).traverse(checks))
    capped = matches.limit(COUNT_CAP + 1).subquery()
    return select(func.count()).select_from(capped)


def _search_count_statement(
    session: Session, reader: Actor | None, filters: service.ActivityFilters
) -> Select:
    """Words: the candidates are the full-text index's first CANDIDATE_CAP matches (ids
    from the index alone); each is looked up by id and checked against the reader and the
    other filters, up to COUNT_CAP + 1 matches."""
    assert filters.q
    if not search.terms(filters.q):
        return select(literal(0))
    ident, _, condition, source = search.matched(session, filters.q)
    candidates = (
        select(ident.label("id")).select_from(source).where(condition).limit(CANDIDATE_CAP)
    ).subquery()
    matches = (
        select(Activity.id)
        .select_from(candidates)
        .join(Activity, Activity.id == candidates.c.id)
        .where(policy.visible_activities(reader))
    )
    matches = service.apply_filters(matches, dataclasses.replace(filters, q=None))
    return select(func.count()).select_from(matches.limit(COUNT_CAP + 1).subquery())


def candidates_read_statement(
    session: Session, reader: Actor | None, filters: service.ActivityFilters
) -> Select:
    """How many candidates the count read (CANDIDATE_CAP: it stopped there)."""
    if filters.q:
        if not search.terms(filters.q):
            return select(literal(0))
        ident, _, condition, source = search.matched(session, filters.q)
        read = select(ident).select_from(source).where(condition).limit(CANDIDATE_CAP)
        return select(func.count()).select_from(read.subquery())
    candidates = _candidates(session, reader, filters)
    if candidates is None:
        return select(literal(0))
    return select(func.count()).select_from(candidates)


def _last_of_month(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def aggregate_grain(first: date | None, last: date | None) -> str | None:
    """'year' or 'month' when the period is made of whole years or months, else None."""
    if (first is None or (first.month, first.day) == (1, 1)) and (
        last is None or (last.month, last.day) == (12, 31)
    ):
        return "year"
    if (first is None or first.day == 1) and (last is None or last == _last_of_month(last)):
        return "month"
    return None


def count_from_aggregates(
    session: Session, *, reader: Actor | None, filters: service.ActivityFilters
) -> int | None:
    """The exact count from activity_stats, or None when the filters are not its keys
    (words, a location, provenance, joint only, a period not made of whole months)."""
    if filters.q or filters.location is not None or filters.provenance or filters.joint:
        return None
    grain = aggregate_grain(filters.date_from, filters.date_to)
    if grain is None:
        return _count_days(session, reader=reader, filters=filters)
    rows = _grain_rows(ActivityStat.__table__, grain, filters.date_from, filters.date_to)
    return _stat_count(session, reader, filters, rows)


def _stat_count(
    session: Session,
    reader: Actor | None,
    filters: service.ActivityFilters,
    rows: ColumnElement[bool],
) -> int:
    """The records `reader` may see among the activity_stats `rows`, at the level and on
    the keys the filters choose (mission, type, response area, theme, status)."""
    table = ActivityStat.__table__
    statuses: Sequence[str] = [filters.status] if filters.status else Status.values()
    figure = policy.visible_stat(reader, table, "n", statuses=statuses)
    level = {
        (True, True): "fine",
        (True, False): "type",
        (False, True): "area",
        (False, False): "all",
    }[(bool(filters.type), bool(filters.area))]
    query = select(func.coalesce(func.sum(figure), 0)).where(
        rows, table.c.level == level, table.c.theme == (filters.theme or "")
    )
    if filters.mission is not None:
        query = query.where(table.c.mission_id == filters.mission.id)
    else:  # each record once: on its lead mission's rows
        query = query.where(table.c.mission_id == table.c.lead_mission_id)
    if filters.type:
        query = query.where(table.c.type == filters.type)
    if filters.area:
        query = query.where(table.c.response_area == filters.area)
    return int(session.scalar(query) or 0)


def _count_days(session: Session, *, reader: Actor | None, filters: service.ActivityFilters) -> int:
    """A period with days at its ends, counted exactly at the cost of its two end months:
    the whole months between from the aggregates' month rows, the quarter- and year-only
    records from theirs, and the records of the (at most two) partial months from the raw
    rows, through the start-date index (the dashboards' rule, app/dashboards/service.py)."""
    first, last = filters.date_from, filters.date_to
    inner_first = first
    if first is not None and first.day != 1:
        inner_first = _last_of_month(first) + timedelta(days=1)
    inner_last = last
    if last is not None and last != _last_of_month(last):
        inner_last = last.replace(day=1) - timedelta(days=1)
    total = 0
    if inner_first is None or inner_last is None or inner_first <= inner_last:
        whole = dataclasses.replace(filters, date_from=inner_first, date_to=inner_last)
        total += count_from_aggregates(session, reader=reader, filters=whole) or 0
        # the quarter- and year-only records wholly inside the whole months are counted
        # there; those of the whole period that the months leave out, here
        total -= _unknown_months(session, reader, whole)
    total += _unknown_months(session, reader, filters)
    ends = []
    if first is not None and inner_first != first:
        ends.append((first, min(_last_of_month(first), last) if last else _last_of_month(first)))
    if last is not None and inner_last != last:
        month_start = last.replace(day=1)
        if first is None or month_start > first:
            ends.append((month_start, last))
        elif not ends:  # the whole period lies in one month
            ends.append((first, last))
    for start, end in ends:
        part = dataclasses.replace(filters, date_from=start, date_to=end)
        for statement in end_month_count_statements(session, reader, part):
            total += int(session.scalar(statement) or 0)
    return total


def end_month_count_statements(
    session: Session, reader: Actor | None, part: service.ActivityFilters
) -> list[Select]:
    """Counts of the records in a few days at a period's end, one per branch: each a range
    of the branch's (mission, status, start date) index. One count over the visible rows
    let SQLite pick the status index and read every record of a status (2.6 s at 1M)."""
    query = service.apply_filters(select(func.count()).select_from(Activity), part)
    return [query.where(*branch.conditions()) for branch in branches(session, reader, part)]


def _unknown_months(
    session: Session, reader: Actor | None, filters: service.ActivityFilters
) -> int:
    """The quarter-only and year-only records wholly inside the filters' period, from
    their own aggregate rows."""
    table = ActivityStat.__table__
    first, last = filters.date_from, filters.date_to
    rows = or_(
        _rows_within(table, counting.QUARTER_ONLY, DatePrecision.QUARTER.value, first, last),
        _rows_within(table, counting.YEAR_ONLY, DatePrecision.YEAR.value, first, last),
    )
    return _stat_count(session, reader, filters, rows)


def _rows_within(
    table, row_grain: str, precision: str, first: date | None, last: date | None
) -> ColumnElement[bool]:
    """The aggregate rows of one grain whose period, at `precision`, lies wholly inside
    first..last (a row sits on its period's first day)."""
    conditions = [table.c.grain == row_grain]
    if first is not None:
        conditions.append(table.c.period >= first)
    if last is not None:
        conditions.append(table.c.period <= counting.latest_start_within(precision, last))
    return and_(*conditions)


def _grain_rows(table, grain: str, first: date | None, last: date | None) -> ColumnElement[bool]:
    """The aggregate rows of the records wholly inside a period of whole years ('year'
    rows count every record of their year) or whole months: the 'month' rows (records
    known to the month or day) plus the quarter-only and year-only rows whose quarter or
    year ends inside the period (counting.py, "Partial dates")."""
    if grain == counting.YEAR_GRAIN:
        return _rows_within(table, counting.YEAR_GRAIN, DatePrecision.YEAR.value, first, last)
    return or_(
        _rows_within(table, counting.MONTH_GRAIN, DatePrecision.MONTH.value, first, last),
        _rows_within(table, counting.QUARTER_ONLY, DatePrecision.QUARTER.value, first, last),
        _rows_within(table, counting.YEAR_ONLY, DatePrecision.YEAR.value, first, last),
    )
