"""Benchmark databases: the study's seed, demo users and N synthetic activities, built once.

SQLite files live in bench/.data/ (gitignored); PostgreSQL databases are named
fieldlog_bench_<N> on the server FIELDLOG_BENCH_POSTGRES_URL points at (default: the
local one the tests use). Both are built with the `fieldlog` command itself (init, seed,
demo-users, demo --activities N), so building is also a measure of `fieldlog demo`.

    .venv/bin/python bench/databases.py --sizes 10000,100000 --backends sqlite,postgres
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / ".data"
FIELDLOG = [sys.executable, "-m", "app.cli"]
POSTGRES = os.environ.get(
    "FIELDLOG_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
BACKENDS = ("sqlite", "postgres")


def url_for(size: int, backend: str) -> str:
    if backend == "sqlite":
        return f"sqlite:///{DATA / f'bench-{size}.db'}"
    from sqlalchemy.engine import make_url

    return make_url(POSTGRES).set(database=f"fieldlog_bench_{size}").render_as_string(False)


def _admin(sql: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(sql))
    engine.dispose()


def _complete(url: str, size: int) -> bool:
    """Built to the end: the demo's activities are all there (an interrupted build is not)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            n = conn.execute(
                text("SELECT count(*) FROM activities WHERE provenance = 'synthetic'")
            ).scalar()
        return n == size
    except Exception:
        return False
    finally:
        engine.dispose()


def build(size: int, backend: str = "sqlite") -> str:
    """The database URL of a benchmark database with `size` synthetic activities."""
    url = url_for(size, backend)
    if _complete(url, size):
        return url
    if backend == "sqlite":
        DATA.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(str(DATA / f"bench-{size}.db") + suffix).unlink(missing_ok=True)
    else:
        _admin(f"DROP DATABASE IF EXISTS fieldlog_bench_{size} WITH (FORCE)")
        _admin(f"CREATE DATABASE fieldlog_bench_{size}")
    env = {**os.environ, "FIELDLOG_DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    timings, cpu = {}, 0.0
    for args in (["init"], ["seed"], ["demo-users"], ["demo", "--activities", str(size)]):
        started, used = time.perf_counter(), _children_cpu()
        subprocess.run([*FIELDLOG, *args], env=env, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
        timings[args[0]] = time.perf_counter() - started
        cpu = _children_cpu() - used
    print(
        f"  built {backend} {size:,}: `fieldlog demo` {timings['demo']:.0f} s, of which "
        f"{cpu:.0f} s of CPU in the command itself; load average {os.getloadavg()[0]:.1f} "
        f"(all steps {sum(timings.values()):.0f} s)",
        flush=True,
    )
    return url


def _children_cpu() -> float:
    """CPU seconds used by finished child processes: what a command cost on a busy
    machine, where its wall-clock time says more about the other work running."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--backends", default="sqlite,postgres")
    args = parser.parse_args()
    for backend in args.backends.split(","):
        for size in (int(s) for s in args.sizes.split(",")):
            print(build(size, backend), flush=True)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    main()
