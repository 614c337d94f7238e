"""Benchmark: full-text search in the activity list, at 10k / 100k / 1M activities, on
SQLite and PostgreSQL.

For each size and database it takes a *copy* of the benchmark database bench/databases.py
builds (SQLite: the file, by SQLite's backup; PostgreSQL: CREATE DATABASE … TEMPLATE),
migrates the copy to head (timing migration 0015's build and backfill of the search
index), then times what the list page does for a search (app/activities/listing.py
list_page: the first page, best match first, and the count) for:

- a place name ("Gevgelija"), the same in Cyrillic ("Гевгелија"), another place typed
  without its diacritics ("Presevo" for Preševo);
- a common word ("training", in about 1 record in 8) and a rare word ("corruption",
  only in the study's own records);
- each without and with a mission filter (MKD), as the CPC desk and as the Skopje head
  of mission.

Each search is run `--repeat` times after one warm-up; it prints the median and p95 in
milliseconds, per search and over all of them, and the CPU time of this process (on
SQLite the whole of the search's work, which a busy machine's wall-clock time
overstates), and appends the figures to bench/.data/search.jsonl.

    .venv/bin/python bench/search.py --sizes 100000 --backends sqlite,postgres
    .venv/bin/python bench/search.py --sizes 1000000 --source /work/main/bench/.data
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from databases import DATA, POSTGRES, _complete, build, url_for  # noqa: E402

ROLES = {"CPC desk": "cpc", "head of mission": "hom.mkd"}
SEARCHES = {
    "place": "Gevgelija",
    "place, Cyrillic": "Гевгелија",
    "place, no diacritics": "Presevo",
    "common word": "training",
    "rare word": "corruption",
}


def copy_database(size: int, backend: str, source: Path | None) -> str | None:
    """A copy of the benchmark database of `size`; its URL. None when PostgreSQL's is
    still being built (or was left unfinished): it is never rebuilt from here."""
    from sqlalchemy.engine import make_url

    if backend == "sqlite":
        origin = (source or DATA) / f"bench-{size}.db"
        if not origin.exists():
            build(size, backend)
        target = DATA / f"search-{size}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(str(target) + suffix).unlink(missing_ok=True)
        with sqlite3.connect(origin) as src, sqlite3.connect(target) as dst:
            src.backup(dst)
        return f"sqlite:///{target}"
    if not _complete(url_for(size, backend), size):
        return None
    name = f"fieldlog_search_{size}"
    _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    _admin(f"CREATE DATABASE {name} TEMPLATE fieldlog_bench_{size}")
    return make_url(POSTGRES).set(database=name).render_as_string(False)


def reused(size: int, backend: str) -> str:
    from sqlalchemy.engine import make_url

    if backend == "sqlite":
        return f"sqlite:///{DATA / f'search-{size}.db'}"
    return make_url(POSTGRES).set(database=f"fieldlog_search_{size}").render_as_string(False)


def _admin(sql: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(sql))
    engine.dispose()


def migrate(url: str) -> float:
    """Upgrade to head (0015 builds and fills the index); seconds taken."""
    from alembic import command

    from app.cli import alembic_config

    started = time.perf_counter()
    command.upgrade(alembic_config(url), "head")
    return time.perf_counter() - started


def time_searches(url: str, repeat: int) -> dict[str, list[float]]:
    from sqlalchemy import text

    import app.models  # noqa: F401
    from app.accounts import service as accounts
    from app.activities import listing, service
    from app.db import make_engine, unit_of_work
    from app.missions import service as missions

    engine = make_engine(url)
    times: dict[str, list[float]] = {}
    cpu_times: dict[str, list[float]] = {}
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
        conn.commit()
    with unit_of_work(engine, write=False) as session:
        mkd = missions.get_by_code(session, "MKD")
        for role, who in ROLES.items():
            reader = accounts.get_by_email(session, f"{who}@demo.fieldlog.example")
            for name, q in SEARCHES.items():
                for mission in (None, mkd):
                    label = f"{role}: {name}{', MKD' if mission else ''}"
                    filters = service.ActivityFilters(q=q, mission=mission)
                    samples, cpu = [], []
                    for n in range(repeat + 1):
                        started, used = time.perf_counter(), time.process_time()
                        page = listing.list_page(
                            session,
                            reader=reader,
                            filters=filters,
                            sort=service.RELEVANCE,
                            limit=25,
                        )
                        if n:  # the first is the warm-up
                            samples.append((time.perf_counter() - started) * 1000)
                            cpu.append((time.process_time() - used) * 1000)
                    times[label] = samples
                    cpu_times[label] = cpu
                    more = "+" if page.total_is_lower_bound else ""
                    print(
                        f"    {label:<44} median {statistics.median(samples):7.1f} ms  "
                        f"p95 {p95(samples):7.1f} ms  CPU {statistics.median(cpu):6.1f} ms  "
                        f"({page.total:,}{more} found)",
                        flush=True,
                    )
    engine.dispose()
    cpu_all = [t for samples in cpu_times.values() for t in samples]
    print(
        f"  CPU of this process (all of it, on SQLite, which runs in it): median "
        f"{statistics.median(cpu_all):.1f} ms, p95 {p95(cpu_all):.1f} ms",
        flush=True,
    )
    return times


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument(
        "--source", type=Path, default=None, help="where the SQLite bench databases are"
    )
    parser.add_argument(
        "--reuse", action="store_true", help="time the copies made by an earlier run again"
    )
    parser.add_argument(
        "--in-place",
        action="store_true",
        help="time bench/databases.py's own databases (migrated to head first), not copies",
    )
    args = parser.parse_args()
    DATA.mkdir(parents=True, exist_ok=True)
    for size in (int(s) for s in args.sizes.split(",")):
        for backend in args.backends.split(","):
            print(f"{backend} {size:,}", flush=True)
            if args.in_place:
                from databases import build

                url = build(size, backend)
            elif args.reuse:
                url = reused(size, backend)
            else:
                url = copy_database(size, backend, args.source)
            if url is None:
                print("  not built yet (bench/databases.py): skipped", flush=True)
                continue
            seconds = migrate(url)
            print(f"  migration 0015 (index built and filled): {seconds:.1f} s", flush=True)
            times = time_searches(url, args.repeat)
            everything = [t for samples in times.values() for t in samples]
            medians = [statistics.median(samples) for samples in times.values()]
            print(
                f"  all searches: median {statistics.median(everything):.1f} ms, "
                f"p95 {p95(everything):.1f} ms; median of the searches' medians "
                f"{statistics.median(medians):.1f} ms; load average {os.getloadavg()[0]:.1f}",
                flush=True,
            )
            with open(DATA / "search.jsonl", "a") as out:
                out.write(
                    json.dumps(
                        {
                            "at": datetime.now(UTC).isoformat(timespec="seconds"),
                            "backend": backend,
                            "size": size,
                            "migration_s": round(seconds, 1),
                            "load": os.getloadavg()[0],
                            "searches": {
                                k: {
                                    "median": round(statistics.median(v), 1),
                                    "p95": round(p95(v), 1),
                                }
                                for k, v in times.items()
                            },
                        },
                        ensure_ascii=False,
                    )
                    + "\n"
                )


if __name__ == "__main__":
    main()
