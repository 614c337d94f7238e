"""Engine, sessions and the request's unit of work: the one place that commits.

SQLite runs in WAL mode with foreign keys on and a busy timeout. It has one write
lock for the whole file, so a transaction holds it only for the writing itself:

- CLI and job sessions (`unit_of_work`, write=True) start with BEGIN IMMEDIATE: a
  deferred transaction that reads and then writes fails at once with "database is
  locked" when another writer got there first, whatever the busy timeout; an
  immediate one waits its turn.
- A request's session starts as a plain (deferred) read. Authentication, validation
  and the reads a change needs run without the lock; at the first statement that
  writes, the read transaction (which has written nothing) is ended and BEGIN
  IMMEDIATE taken in its place (`_start_writing`), waiting its turn for up to the
  busy timeout. What was read before is then checked by the write itself, as on
  PostgreSQL's READ COMMITTED: an activity's UPDATE and DELETE carry its version.
  Code that reads in order to write (the next free id) calls `write_lock` first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from operator import itemgetter
from typing import Any, ClassVar

from fastapi import Request
from sqlalchemy import (
    JSON,
    Column,
    Engine,
    MetaData,
    Table,
    create_engine,
    event,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from app.config import get_settings

# Constraint names are predictable so migrations can drop and alter them.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    # Every model here maps one table (SQLAlchemy allows other selectables, hence its wider type).
    __table__: ClassVar[Table]


WRITE_OPTION = "fieldlog_write"
SQLITE_SYNCHRONOUS = ("NORMAL", "FULL")  # what FIELDLOG_SQLITE_SYNCHRONOUS may say


def make_engine(url: str, *, busy_timeout_ms: int = 5000, synchronous: str = "NORMAL") -> Engine:
    """Create an engine; for SQLite, install the pragmas and the BEGIN handling."""
    if not url.startswith("sqlite"):
        engine = create_engine(url, pool_pre_ping=True)

        @event.listens_for(engine, "connect")
        def _no_parallel_workers(dbapi_connection, _record) -> None:
            # Every request reads index ranges of a few thousand rows at most. Starting
            # parallel workers for such a query costs 10-30 ms on two busy cores, more
            # than the query itself (a period in days: 86 -> 14 ms at 100k activities,
            # bench/explain.py); they pay off only on the scans no request makes.
            cursor = dbapi_connection.cursor()
            cursor.execute("SET max_parallel_workers_per_gather = 0")
            cursor.close()
            dbapi_connection.commit()

        return engine
    if synchronous not in SQLITE_SYNCHRONOUS:
        raise ValueError(f"synchronous must be one of {', '.join(SQLITE_SYNCHRONOUS)}")

    engine = create_engine(url, connect_args={"check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        # NORMAL: a power cut may lose the last commits (WAL keeps the file whole); FULL: not.
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.close()
        # SQLite's own lower() folds ASCII only; searches must match "PREŠEVO" too.
        dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        write = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
        conn.info[_WRITING] = write
        conn.info[_SAVEPOINTS] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _before_execute(conn, cursor, statement, _parameters, _context, _many) -> None:
        _follow_savepoints(conn, statement)
        if not conn.info.get(_WRITING, True) and _writes(statement):
            _start_writing(conn, cursor)

    return engine


_WRITING = "fieldlog_writing"  # conn.info: this SQLite transaction holds the write lock
_SAVEPOINTS = "fieldlog_savepoints"  # conn.info: the savepoints open in it, oldest first
_WRITE_VERBS = ("INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER", "ANALYZE")


def _follow_savepoints(conn, statement: str) -> None:
    """Keep the names of the savepoints open in the transaction, from the statements
    themselves (SQLAlchemy's savepoint event is told the name only later), so that
    `_start_writing` can open them again."""
    words = statement.split(maxsplit=3)
    if not words or words[0].upper() not in ("SAVEPOINT", "RELEASE", "ROLLBACK"):
        return
    names = conn.info.setdefault(_SAVEPOINTS, [])
    if words[0].upper() == "SAVEPOINT" and len(words) == 2:
        names.append(words[1])
    elif len(words) >= 2 and words[-2].upper() == "SAVEPOINT" and words[-1] in names:
        del names[names.index(words[-1]) :]  # RELEASE / ROLLBACK TO SAVEPOINT name


def _writes(statement: str) -> bool:
    return statement.lstrip()[:7].upper().startswith(_WRITE_VERBS)


def _start_writing(conn, cursor) -> None:
    """Swap a SQLite read transaction that has written nothing for an immediate one.

    Upgrading the read in place would fail at once whenever another writer committed
    since it began (its snapshot is then stale); a fresh BEGIN IMMEDIATE queues for
    the lock instead. The open savepoints are opened again inside it.
    """
    cursor.execute("COMMIT")
    cursor.execute("BEGIN IMMEDIATE")
    for name in conn.info.get(_SAVEPOINTS, []):
        cursor.execute(f"SAVEPOINT {name}")
    conn.info[_WRITING] = True


def write_lock(session: Session) -> None:
    """Take SQLite's write lock now, before reads whose answer the writing relies on
    (the highest id so far). On PostgreSQL there is no such lock: nothing to do."""
    conn = session.connection()
    if conn.dialect.name == "sqlite" and not conn.info.get(_WRITING, True):
        cursor = conn.connection.cursor()
        try:
            _start_writing(conn, cursor)
        finally:
            cursor.close()


def _unicode_lower(value):
    return value.lower() if isinstance(value, str) else value


@lru_cache
def get_engine() -> Engine:
    settings = get_settings()
    return make_engine(
        settings.database_url,
        busy_timeout_ms=settings.sqlite_busy_timeout_ms,
        synchronous=settings.sqlite_synchronous,
    )


def session_factory(engine: Engine, *, write: bool) -> sessionmaker[Session]:
    """Sessions bound to `engine`; write sessions take SQLite's write lock up front."""
    bind = engine.execution_options(**{WRITE_OPTION: True}) if write else engine
    return sessionmaker(bind=bind, expire_on_commit=False, autoflush=True)


@contextmanager
def unit_of_work(engine: Engine | None = None, *, write: bool = True) -> Iterator[Session]:
    """A session committed on success and rolled back on any error: for the CLI and jobs."""
    session = session_factory(engine or get_engine(), write=write)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def insert_rows(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert many rows (all with the same keys) in the session's transaction: bulk loads.

    On PostgreSQL this is COPY. An executemany INSERT costs the server a bind and an
    execute per row (about 0.35 ms an activity, 35 s for 100,000); COPY checks the
    same constraints, foreign keys and triggers in a tenth of the time. Elsewhere it
    is one executemany INSERT.
    """
    if not rows:
        return
    import psycopg

    driver = session.connection().connection.driver_connection
    if not isinstance(driver, psycopg.Connection):  # SQLite, or no psycopg 3 to COPY with
        _insert_many(session, table, rows)
        return
    names = list(rows[0])
    converters = [_copy_converter(table.c[name]) for name in names]
    quote = session.get_bind().dialect.identifier_preparer.quote
    statement = f"COPY {quote(table.name)} ({', '.join(quote(n) for n in names)}) FROM STDIN"
    try:
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(
                    [
                        row[name] if convert is None else convert(row[name])
                        for name, convert in zip(names, converters, strict=True)
                    ]
                )
    except psycopg.IntegrityError as exc:  # as an INSERT's would be, for the same handlers
        raise IntegrityError(statement, None, exc) from exc


def _insert_many(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """One executemany INSERT (see `execute_many`); columns left out that have a
    Python-side default need SQLAlchemy's own executemany, which fills them in."""
    if any(c.default is not None and c.key not in rows[0] for c in table.columns):
        session.execute(insert(table), rows)
        return
    execute_many(session, insert(table), rows)


def execute_many(session: Session, statement: Any, rows: Sequence[dict[str, Any]]) -> None:
    """Run one INSERT (or upsert) for many rows with the same keys, compiled once.

    SQLAlchemy's own executemany builds and checks a parameter set per row, and for bulk
    loads that cost more than the database's work (a third of `fieldlog demo`); here
    each row's values only pass through their column types' bind processors (dates on
    SQLite, JSON), exactly what SQLAlchemy would send.
    """
    if not rows:
        return
    connection = session.connection()
    compiled = statement.compile(dialect=connection.dialect, column_keys=list(rows[0]))
    processors = compiled._bind_processors
    if compiled.positional:
        names = list(compiled.positiontup or ())
        converted = [(i, processors[n]) for i, n in enumerate(names) if n in processors]
        get = itemgetter(*names)
        if len(names) == 1:
            values: list[Any] = [(get(row),) for row in rows]
        elif not converted:
            values = [get(row) for row in rows]
        else:
            values = []
            for row in rows:
                value = list(get(row))
                for i, process in converted:
                    value[i] = process(value[i])
                values.append(tuple(value))
    else:
        values = [
            {n: processors[n](v) if n in processors else v for n, v in row.items()} for row in rows
        ]
    connection.exec_driver_sql(str(compiled), values)


def _copy_converter(column: Column) -> Callable[[Any], Any] | None:
    """What COPY needs in place of a Python value, where psycopg's own adaptation differs
    from what an INSERT through SQLAlchemy stores (JSON, whose None may mean JSON null)."""
    if not isinstance(column.type, JSON):
        return None
    from psycopg.types.json import Json

    sql_null = column.type.none_as_null
    return lambda value: None if value is None and sql_null else Json(value)


def analyze(engine: Engine) -> None:
    """Bring the query planner's statistics up to date after a large load (`fieldlog demo`,
    `fieldlog seed`). Without them PostgreSQL plans for the tables as they were before the
    load (the dashboards were 3-4× slower until autovacuum's own ANALYZE), and SQLite
    picks indexes without knowing their spread.

    PostgreSQL: `VACUUM (ANALYZE)`, which also marks the freshly written pages all-visible,
    so counts such as a head of mission's review queue are read from the index alone (at
    a million records 351 ms -> under 1 ms; 7 s for the whole database). VACUUM cannot run
    in a transaction, hence a connection of its own. SQLite: a sampled ANALYZE (seconds at
    a million rows) and PRAGMA optimize."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM (ANALYZE)"))
        return
    with unit_of_work(engine) as session:
        session.execute(text("PRAGMA analysis_limit=2000"))
        session.execute(text("ANALYZE"))
        session.execute(text("PRAGMA optimize"))


def refresh_statistics(session: Session, tables: Sequence[str]) -> None:
    """After a bulk load on PostgreSQL, ANALYZE the tables it grew.

    Until autovacuum gets round to it, the planner believes the tables are as small
    as before, and a connection's cached generic plans keep their sequential scans:
    re-importing 100,000 rows then took minutes instead of seconds.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"ANALYZE {', '.join(tables)}"))


def highest_id_ever(session: Session, table: Table) -> int:
    """The highest id `table` has ever handed out, deleted rows included: a bulk load
    that picks its own ids starts after it, so it never reuses a deleted record's id
    (and with it that record's audit trail and addresses).

    SQLite keeps it in sqlite_sequence (AUTOINCREMENT tables, migration 0005);
    PostgreSQL in the table's sequence (NULL until the sequence is first used).
    """
    if session.get_bind().dialect.name == "postgresql":
        query = "SELECT pg_sequence_last_value(pg_get_serial_sequence(:table, 'id')::regclass)"
        remembered = session.scalar(text(query), {"table": table.name}) or 0
    else:
        # sqlite_sequence appears with the first AUTOINCREMENT table (none before 0005)
        exists = "SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'"
        query = "SELECT seq FROM sqlite_sequence WHERE name = :table"
        remembered = (
            session.scalar(text(query), {"table": table.name})
            if session.scalar(text(exists))
            else None
        ) or 0
    present = session.scalar(select(func.max(table.c.id))) or 0
    return max(remembered, present)


def request_session(request: Request) -> Iterator[Session]:
    """The request's unit of work.

    Used with ``Depends(..., scope="function")`` so the commit runs when the
    endpoint returns, before the response is sent: a failing commit becomes an
    error response, never a 200 for data that was not stored. It starts as a read
    whatever the method: on SQLite the write lock is taken at the first write (see
    the module's docstring), not while the request authenticates and validates.
    """
    with unit_of_work(request.app.state.engine, write=False) as session:
        yield session
