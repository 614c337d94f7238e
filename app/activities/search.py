"""Full-text search over the activities: one search document per activity, kept in step
with every write, matched by SQLite FTS5 or PostgreSQL full-text search (a GIN index).

The document is the record's words (title, summary, observations, outcome, organisations
present, research topic, the reviewer's comment) and the names of its locations and
partners, *normalised* in Python the same way a query's words are:

- lower case; Cyrillic (Serbian and Macedonian) to Latin (ш -> š, ђ -> đ, ѓ -> ǵ, …);
- then đ -> dj and every diacritic dropped (NFKD): "Preševo", "Presevo" and "Прешево"
  are all `presevo`, "Гевгелија" and "Gevgelija" both `gevgelija`.
- A word with š, ž, č, ć or đ is also indexed in its other common plain spellings
  ("Preshevo", "Dordevic" for Đorđević), so those find it too; a query is never expanded.

So the databases see plain ASCII words and neither needs a language configuration (FTS5's
`unicode61` tokenizer; PostgreSQL's `simple` configuration). A query's words are matched
as prefixes, all of them (AND).

Storage (migration 0015): on SQLite `activity_search` is an FTS5 table whose rowid is the
activity's id; on PostgreSQL a table (activity_id, document, tsv) with `tsv` a stored
generated `to_tsvector('simple', document)` under a GIN index.

Location and partner names are in the documents, so renaming one re-indexes the
activities linked to it (`_reindex_renamed`, on every flush that renames one).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

from markupsafe import Markup, escape
from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    Integer,
    MetaData,
    Table,
    Text,
    bindparam,
    cast,
    column,
    event,
    func,
    inspect,
    literal_column,
    select,
    table,
    text,
)
from sqlalchemy.dialects.postgresql import DOUBLE_PRECISION
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.types import Boolean, Float

from app.activities.models import Activity, activity_locations, activity_partners
from app.db import insert_rows
from app.missions.models import Location, Partner

TABLE = "activity_search"
# The record's own text fields in the document (the title twice: a word in the title
# weighs more in the ranking than one in the summary).
TEXT_FIELDS = (
    "title",
    "title",
    "summary",
    "observations",
    "outcome",
    "organisations_present",
    "research_topic",
    "review_comment",
)
MAX_TERMS = 12  # the words of a query that are used (200 characters at most anyway)

# --- normalisation --------------------------------------------------------------------------

# Serbian and Macedonian Cyrillic to Latin (with diacritics: folded afterwards), and the
# other Cyrillic letters a name may carry, read simply.
_CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "ђ": "đ", "е": "e", "ж": "ž",
    "з": "z", "и": "i", "ј": "j", "к": "k", "л": "l", "љ": "lj", "м": "m", "н": "n",
    "њ": "nj", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "ћ": "ć", "у": "u",
    "ф": "f", "х": "h", "ц": "c", "ч": "č", "џ": "dž", "ш": "š",
    "ѓ": "ǵ", "ќ": "ḱ", "ѕ": "dz",
    "й": "j", "ы": "y", "э": "e", "ю": "ju", "я": "ja", "ё": "e", "ъ": "", "ь": "",
    "щ": "št", "і": "i", "ї": "ji", "є": "je", "ґ": "g", "ў": "u",
}  # fmt: skip
# Latin letters that NFKD does not take apart.
_LATIN = {"đ": "dj", "ß": "ss", "ø": "o", "ł": "l", "æ": "ae", "œ": "oe", "ı": "i", "þ": "th"}
# Other plain spellings of a word with these letters (indexed, never asked for).
_ENGLISH = str.maketrans({"š": "sh", "ž": "zh", "č": "ch", "ć": "ch", "đ": "dj"})
_PLAIN_D = str.maketrans({"đ": "d"})
_OTHER_SPELLINGS = "šžčćđ"
_CYRILLIC_TABLE = str.maketrans(_CYRILLIC)
_LATIN_TABLE = str.maketrans(_LATIN)
_WORD = re.compile(r"[^\W_]+")


def _fold(word: str) -> str:
    """A lower-case, Latin word without diacritics, in plain ASCII letters and digits."""
    decomposed = unicodedata.normalize("NFKD", word.translate(_LATIN_TABLE))
    return "".join(c for c in decomposed if c.isascii() and c.isalnum())


@lru_cache(maxsize=200_000)
def forms(word: str) -> tuple[str, ...]:
    """The normalised forms a word is indexed under: its plain form first, then the other
    plain spellings of its š, ž, č, ć, đ (if any). Empty if nothing is left of it."""
    latin = word.lower().translate(_CYRILLIC_TABLE)
    plain = _fold(latin)
    if not plain:
        return ()
    found = [plain]
    if any(c in latin for c in _OTHER_SPELLINGS):
        for table_ in (_ENGLISH, _PLAIN_D):
            other = _fold(latin.translate(table_))
            if other and other not in found:
                found.append(other)
    return tuple(found)


def normalise(word: str) -> str:
    """A query word's normalised form ('' if nothing is left of it)."""
    found = forms(word)
    return found[0] if found else ""


def words(text_: str | None) -> list[str]:
    return _WORD.findall(text_ or "")


def terms(query: str | None) -> list[str]:
    """The normalised words of a query, each once, in order, at most MAX_TERMS."""
    found: list[str] = []
    for word in words(query):
        term = normalise(word)
        if term and term not in found:
            found.append(term)
    return found[:MAX_TERMS]


def document(texts: Iterable[str | None]) -> str:
    """The search document of these texts: their words' normalised forms."""
    return " ".join(form for part in texts for word in words(part) for form in forms(word))


def record_document(record: Any, location_names: Sequence[str], partner_names: Sequence[str]):
    """The document of an activity (a row, or a bulk loader's plain record); its names in
    alphabetical order, so each way of building it gives the same text."""
    return document(
        [
            *(getattr(record, name, None) for name in TEXT_FIELDS),
            *sorted(location_names),
            *sorted(partner_names),
        ]
    )


_SEPARATOR = "\x1f"  # between the names group_concat joins (rebuild, on SQLite)


def _sqlite_document(*parts: str | None) -> str:
    """fieldlog_search_document(<TEXT_FIELDS>, locations, partners) for `rebuild`."""
    *texts, locations, partners = parts
    return document(
        [
            *texts,
            *sorted((locations or "").split(_SEPARATOR)),
            *sorted((partners or "").split(_SEPARATOR)),
        ]
    )


# --- highlighting ---------------------------------------------------------------------------


def highlight(text_: str | None, query: str | None) -> Markup:
    """`text_`, escaped, with every word that a query word matches (as a prefix, after the
    same normalisation as the search) in <mark>: "Presevo" marks "Preševo"."""
    wanted = terms(query)
    text_ = text_ or ""
    if not wanted:
        return escape(text_)
    out: list[str] = []
    last = 0
    for match in _WORD.finditer(text_):
        word = match.group()
        if any(form.startswith(term) for form in forms(word) for term in wanted):
            out.append(str(escape(text_[last : match.start()])))
            out.append(f"<mark>{escape(word)}</mark>")
            last = match.end()
    out.append(str(escape(text_[last:])))
    return Markup("".join(out))


SNIPPET_FIELDS = (
    "summary",
    "observations",
    "outcome",
    "organisations_present",
    "research_topic",
    "review_comment",
)


def _matched_at(text_: str, wanted: Sequence[str]) -> int | None:
    for match in _WORD.finditer(text_):
        if any(form.startswith(t) for form in forms(match.group()) for t in wanted):
            return match.start()
    return None


def snippet(record: Any, query: str | None, width: int = 160) -> Markup:
    """Where else than the title the words were found, highlighted: the first text field
    with a match (cut to about `width` characters around it), and the matching location
    and partner names (those the title does not already show). Empty when the title
    holds every match."""
    wanted = terms(query)
    if not wanted:
        return Markup("")
    parts: list[Markup] = []
    for name in SNIPPET_FIELDS:
        value = getattr(record, name, None) or ""
        at = _matched_at(value, wanted)
        if at is None:
            continue
        start = max(0, at - width // 3)
        if start:
            start = value.rfind(" ", 0, start) + 1
        cut = value[start : start + width]
        if start + width < len(value):
            cut = cut.rsplit(" ", 1)[0]
        text_ = ("…" if start else "") + cut + ("…" if start + width < len(value) else "")
        parts.append(highlight(text_, query))
        break
    title = getattr(record, "title", "") or ""
    for linked in (*getattr(record, "locations", ()), *getattr(record, "partners", ())):
        if linked.name not in title and _matched_at(linked.name, wanted) is not None:
            parts.append(highlight(linked.name, query))
    return Markup(" · ").join(parts)


# --- matching -------------------------------------------------------------------------------

sqlite_index = table(TABLE, column("rowid"), column("document"))
postgres_index = table(TABLE, column("activity_id"), column("document"), column("tsv"))


def fts5_expression(found: Sequence[str]) -> str:
    """FTS5's query: every word, as a prefix (the words are plain letters and digits)."""
    return " AND ".join(f'"{term}"*' for term in found)


def tsquery_expression(found: Sequence[str]) -> str:
    """to_tsquery's: every word, as a prefix."""
    return " & ".join(f"{term}:*" for term in found)


class matches(ColumnElement[bool]):  # noqa: N801 (reads as a function in a query)
    """The activities whose document holds every word of `query` (a condition on
    Activity.id): the full-text index's matches, on either database."""

    inherit_cache = False
    type = Boolean()

    def __init__(self, query: str) -> None:
        self.terms = terms(query)


@compiles(matches)
def _matches_postgres(element: matches, compiler, **kw):
    if not element.terms:
        return compiler.process(Activity.id.is_(None), **kw)
    ids = select(postgres_index.c.activity_id).where(postgres_condition(element.terms))
    return compiler.process(Activity.id.in_(ids), **kw)


@compiles(matches, "sqlite")
def _matches_sqlite(element: matches, compiler, **kw):
    if not element.terms:
        return compiler.process(Activity.id.is_(None), **kw)
    ids = select(sqlite_index.c.rowid).where(sqlite_condition(element.terms))
    return compiler.process(Activity.id.in_(ids), **kw)


def sqlite_condition(found: Sequence[str]) -> ColumnElement[bool]:
    return literal_column(TABLE).op("MATCH")(bindparam("fts_query", fts5_expression(found)))


def _tsquery(found: Sequence[str]):
    return func.to_tsquery(
        literal_column("'simple'"), bindparam("ts_query", tsquery_expression(found))
    )


def postgres_condition(found: Sequence[str]) -> ColumnElement[bool]:
    return postgres_index.c.tsv.op("@@")(_tsquery(found))


def matched(session: Session, query: str):
    """(id column, score column, condition, the index as a FROM) for the list's statements:
    the index's matches of `query`, with a score where lower is better (bm25; minus
    ts_rank), to join to the activities on the id."""
    found = terms(query)
    score: ColumnElement[float]
    if session.get_bind().dialect.name == "sqlite":
        score = func.bm25(literal_column(TABLE), type_=Float)
        return sqlite_index.c.rowid, score, sqlite_condition(found), sqlite_index
    # as double precision: ts_rank's real would come back rounded, and a cursor made of
    # it would not compare equal to the score it was read from
    rank = cast(func.ts_rank(postgres_index.c.tsv, _tsquery(found)), DOUBLE_PRECISION)
    score = -rank
    return postgres_index.c.activity_id, score, postgres_condition(found), postgres_index


def matches_at_most(session: Session, query: str, cap: int) -> int:
    """How many activities the index matches for `query`, counted up to `cap` (cheap: ids
    read from the index alone)."""
    found = terms(query)
    if not found:
        return 0
    ident, _, condition, source = matched(session, query)
    inner = select(ident).select_from(source).where(condition).limit(cap).subquery()
    return int(session.scalar(select(func.count()).select_from(inner)) or 0)


# --- keeping the index in step ----------------------------------------------------------------


def _is_sqlite(bind: Session | Connection) -> bool:
    return (
        bind.get_bind().dialect.name == "sqlite"
        if isinstance(bind, Session)
        else (bind.dialect.name == "sqlite")
    )


def put(session: Session | Connection, documents: dict[int, str]) -> None:
    """Index (or re-index) these activities' documents."""
    if not documents:
        return
    ids = list(documents)
    remove(session, ids)
    rows = [{"id": i, "document": d} for i, d in documents.items()]
    if _is_sqlite(session):
        session.execute(
            text(f"INSERT INTO {TABLE} (rowid, document) VALUES (:id, :document)"), rows
        )
    else:
        session.execute(
            text(f"INSERT INTO {TABLE} (activity_id, document) VALUES (:id, :document)"), rows
        )


def remove(session: Session | Connection, ids: Sequence[int]) -> None:
    """Take these activities out of the index."""
    key = "rowid" if _is_sqlite(session) else "activity_id"
    statement = text(f"DELETE FROM {TABLE} WHERE {key} IN :ids").bindparams(
        bindparam("ids", expanding=True)
    )
    for start in range(0, len(ids), 500):
        session.execute(statement, {"ids": list(ids[start : start + 500])})


def index_activity(session: Session, activity: Activity) -> None:
    """(Re-)index one activity as it stands (its links loaded or settable)."""
    session.flush()
    put(
        session,
        {
            activity.id: record_document(
                activity,
                [loc.name for loc in activity.locations],
                [partner_label(p.name, p.acronym) for p in activity.partners],
            )
        },
    )


def partner_label(name: str, acronym: str | None) -> str:
    """What a partner is found by: its name and its acronym."""
    return f"{name} {acronym}" if acronym else name


class NameBook:
    """Location and partner names by id, read once for a bulk load."""

    def __init__(self, session: Session) -> None:
        self.locations = {
            i: name for i, name in session.execute(select(Location.id, Location.name))
        }
        self.partners = {
            i: partner_label(name, acronym)
            for i, name, acronym in session.execute(
                select(Partner.id, Partner.name, Partner.acronym)
            )
        }

    def document(self, record: Any) -> str:
        return record_document(
            record,
            [self.locations.get(x.id, "") for x in record.locations],
            [self.partners.get(p.id, "") for p in record.partners],
        )


def bulk_rows(book: NameBook, records: Iterable[Any], sqlite: bool) -> list[dict[str, Any]]:
    key = "rowid" if sqlite else "activity_id"
    return [{key: r.id, "document": book.document(r)} for r in records]


def insert_bulk(session: Session, rows: list[dict[str, Any]]) -> None:
    """Index new activities (ids never indexed before): one executemany or COPY."""
    if not rows:
        return
    if _is_sqlite(session):
        session.execute(
            text(f"INSERT INTO {TABLE} (rowid, document) VALUES (:rowid, :document)"), rows
        )
    else:
        insert_rows(session, _POSTGRES_LOAD, rows)


# For COPY on PostgreSQL (tsv is generated from the document); not on Base.metadata, as
# the table differs between the databases (migration 0015 makes it).
_POSTGRES_LOAD = Table(
    TABLE,
    MetaData(),
    Column("activity_id", Integer, primary_key=True),
    Column("document", Text),
)


def _text_rows(connection: Connection | Session, ids: Sequence[int] | None, after: int, limit: int):
    """The text fields of activities (by ids, or the next `limit` after id `after`), with
    their location and partner names."""
    columns = [Activity.id, *(Activity.__table__.c[name] for name in dict.fromkeys(TEXT_FIELDS))]
    query = select(*columns).order_by(Activity.id)
    if ids is not None:
        query = query.where(Activity.id.in_(ids))
    else:
        query = query.where(Activity.id > after).limit(limit)
    rows = list(connection.execute(query))
    found = [r.id for r in rows]
    names: dict[int, tuple[list[str], list[str]]] = {i: ([], []) for i in found}
    if found:
        for activity_id, name in connection.execute(
            select(activity_locations.c.activity_id, Location.name)
            .join(Location, Location.id == activity_locations.c.location_id)
            .where(activity_locations.c.activity_id.in_(found))
        ):
            names[activity_id][0].append(name)
        for activity_id, name, acronym in connection.execute(
            select(activity_partners.c.activity_id, Partner.name, Partner.acronym)
            .join(Partner, Partner.id == activity_partners.c.partner_id)
            .where(activity_partners.c.activity_id.in_(found))
        ):
            names[activity_id][1].append(partner_label(name, acronym))
    return rows, names


def reindex(connection: Connection | Session, ids: Sequence[int]) -> None:
    """Re-index these activities from what the database holds."""
    ids = list(ids)
    for start in range(0, len(ids), 1000):
        rows, names = _text_rows(connection, ids[start : start + 1000], 0, 0)
        put(connection, {r.id: record_document(r, *names[r.id]) for r in rows})


def rebuild(connection: Connection) -> int:
    """Index every activity again, from nothing; returns how many. On SQLite one
    INSERT…SELECT (the normalisation is a Python function the statement calls)."""
    connection.execute(text(f"DELETE FROM {TABLE}"))
    if connection.dialect.name == "sqlite":
        driver = connection.connection.driver_connection
        driver.create_function(  # type: ignore[union-attr]
            "fieldlog_search_document", -1, _sqlite_document, deterministic=True
        )
        fields = ", ".join(f"a.{name}" for name in TEXT_FIELDS)
        names = (
            "(SELECT group_concat({label}, char(31)) FROM {link} j JOIN {table} x "
            "ON x.id = j.{key} WHERE j.activity_id = a.id)"
        )
        result = connection.execute(
            text(
                f"INSERT INTO {TABLE} (rowid, document) "
                f"SELECT a.id, fieldlog_search_document({fields}, "
                + names.format(
                    label="x.name", link="activity_locations", table="locations", key="location_id"
                )
                + ", "
                + names.format(
                    label="x.name || coalesce(' ' || x.acronym, '')",
                    link="activity_partners",
                    table="partners",
                    key="partner_id",
                )
                + ") FROM activities a"
            )
        )
        return result.rowcount
    driver = connection.connection.driver_connection
    done, after = 0, 0
    while True:
        rows, names = _text_rows(connection, None, after, 5000)
        if not rows:
            return done
        documents = [(r.id, record_document(r, *names[r.id])) for r in rows]
        with (
            driver.cursor() as cursor,  # type: ignore[union-attr]
            cursor.copy(f"COPY {TABLE} (activity_id, document) FROM STDIN") as copy,
        ):
            for row in documents:
                copy.write_row(row)
        done += len(rows)
        after = rows[-1].id


# Renaming a location or a partner re-indexes the activities linked to it.
@event.listens_for(Session, "after_flush")
def _reindex_renamed(session: Session, _context) -> None:
    renamed: dict[Any, list[int]] = {}
    for obj in session.dirty:
        if isinstance(obj, (Location, Partner)):
            history = session.is_modified(obj) and _name_changed(obj)
            if history:
                renamed.setdefault(type(obj), []).append(obj.id)
    if not renamed:
        return
    connection = session.connection()
    ids: set[int] = set()
    for model, changed in renamed.items():
        link, key = (
            (activity_locations, "location_id")
            if model is Location
            else (activity_partners, "partner_id")
        )
        ids.update(connection.scalars(select(link.c.activity_id).where(link.c[key].in_(changed))))
    reindex(connection, sorted(ids))


def _name_changed(obj: Location | Partner) -> bool:
    state: Any = inspect(obj)
    names = ("name", "acronym") if isinstance(obj, Partner) else ("name",)
    return any(state.attrs[n].history.added or state.attrs[n].history.deleted for n in names)
