"""Benchmark: every page and API route a user opens, for each role, at each size and database.

For each database (bench/databases.py builds them: SQLite and PostgreSQL, 10k / 100k /
1M synthetic activities) it serves the app in this process and times each route as each
role opens it: the activity list (first page, filtered, searched, the API's pages and a
deep keyset page), the mission dashboard (default period, whole months, a period in
days), the comparison, the background reports for one quarter and My work. Each route is
asked `--repeat` times (fewer when it is slow: at most `--budget` seconds a route) after
one warm-up; it prints the client-side median and p95 and the server's own median (its
Server-Timing header) in milliseconds. Results are also appended to
bench/.data/routes.jsonl, so tables can be made from several runs.

    .venv/bin/python bench/routes.py --sizes 100000 --backends sqlite,postgres

100k on both databases takes about 10 minutes on 2 busy cores.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from databases import DATA, build  # noqa: E402

ROLES = {"focal point": "fp.mkd", "head of mission": "hom.mkd", "CPC desk": "cpc"}
DAYS = "from=2015-06-15&to=2016-03-10"
ROUTES = {
    "/activities": "/activities",
    "/activities filtered": "/activities?mission=MKD&type=training&status=approved",
    "/activities?q=": "/activities?q=Gevgelija",
    "/activities filters+q": "/activities?mission=MKD&type=monitoring_visit&q=Gevgelija",
    "/activities period in days": f"/activities?{DAYS}",
    "API list limit=100": "/api/v1/activities?limit=100",
    "API list filtered": "/api/v1/activities?limit=100&mission=MKD&status=approved&from=2016",
    "API deep keyset page": None,  # found by following next_cursor, see deep_page()
    "/missions/MKD": "/missions/MKD",
    "/missions/MKD months": "/missions/MKD?from=2015-06&to=2016-03",
    "/missions/MKD days": f"/missions/MKD?{DAYS}",
    "API dashboard days": f"/api/v1/missions/MKD/dashboard?{DAYS}",
    "/compare": "/compare",
    "/compare days": f"/compare?{DAYS}",
    "/missions/MKD/report quarter": "/missions/MKD/report?from=2016-Q1&to=2016-Q1",
    "/report quarter": "/report?from=2016-Q1&to=2016-Q1",
    "/my-work": "/my-work",
}
DEEP_HOPS = 20


def tokens(url: str) -> dict[str, str]:
    """A fresh API token for each role's demo user."""
    import app.models  # noqa: F401  (every mapped class, for the relationships)
    from app.accounts import service as accounts
    from app.db import make_engine, unit_of_work

    engine = make_engine(url)
    found = {}
    with unit_of_work(engine) as session:
        for role, who in ROLES.items():
            user = accounts.get_by_email(session, f"{who}@demo.fieldlog.example")
            found[role] = accounts.create_token(session, user=user, name="bench", days=1)[1]
    engine.dispose()
    return found


def deep_page(client) -> str | None:
    """A keyset page DEEP_HOPS pages of 200 in: the cursor the API itself hands out."""
    path = "/api/v1/activities?limit=200"
    cursor = None
    for _ in range(DEEP_HOPS):
        response = client.get(path + (f"&cursor={cursor}" if cursor else ""))
        if response.status_code != 200:
            return None
        cursor = response.json().get("next_cursor")
        if cursor is None:
            return None
    return f"/api/v1/activities?limit=100&cursor={cursor}"


def time_route(client, path: str, repeat: int, budget: float) -> dict:
    first = client.get(path)  # warm-up: caches, the pool's connections, prepared plans
    if first.status_code != 200:
        return {"status": first.status_code}
    client_ms, server_ms = [], []
    deadline = time.perf_counter() + budget
    while len(client_ms) < repeat and (len(client_ms) < 3 or time.perf_counter() < deadline):
        started = time.perf_counter()
        response = client.get(path)
        client_ms.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
        timing = response.headers.get("server-timing", "")
        if "dur=" in timing:
            server_ms.append(float(timing.split("dur=")[1].split(",")[0]))
    ordered = sorted(client_ms)
    return {
        "status": 200,
        "n": len(client_ms),
        "median": statistics.median(client_ms),
        "p95": ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))],
        "server": statistics.median(server_ms) if server_ms else None,
    }


def measure(backend: str, size: int, repeat: int, budget: float, only: set[str]) -> dict:
    from fastapi.testclient import TestClient

    import app.models  # noqa: F401
    from app.config import Settings
    from app.db import make_engine
    from app.main import create_app

    url = build(size, backend)
    engine = make_engine(url)
    app = create_app(Settings(database_url=url), engine)
    results: dict[str, dict[str, dict]] = {}
    for role, token in tokens(url).items():
        client = TestClient(
            app, headers={"Authorization": f"Bearer {token}"}, raise_server_exceptions=False
        )
        for name, path in ROUTES.items():
            if only and name not in only:
                continue
            path = path or deep_page(client)
            result = time_route(client, path, repeat, budget) if path else {"status": None}
            results.setdefault(name, {})[role] = result
            shown = (
                f"{result['median']:8.1f} {result['p95']:8.1f} "
                f"{result['server'] if result['server'] is not None else float('nan'):8.1f}"
                if result["status"] == 200
                else f"   ({result['status']})"
            )
            print(f"  {backend:8} {size:>9,} {role:16} {name:30} {shown}", flush=True)
        client.close()
    engine.dispose()
    return results


def markdown(backend: str, sizes: list[int], table: dict[int, dict]) -> str:
    """One row per route and role: client median / p95 (server median) per size."""
    lines = [
        f"**{backend}** — client-side median / p95 ms (server-side median)",
        "",
        "| route | role | " + " | ".join(f"{s:,}" for s in sizes) + " |",
        "|---|---|" + "---|" * len(sizes),
    ]
    for name in ROUTES:
        for role in ROLES:
            cells = []
            for size in sizes:
                r = table.get(size, {}).get(name, {}).get(role)
                if not r:
                    cells.append("")
                elif r["status"] != 200:
                    cells.append(f"({r['status']})")
                else:
                    server = f" ({r['server']:.0f})" if r["server"] is not None else ""
                    cells.append(f"{r['median']:.0f} / {r['p95']:.0f}{server}")
            if any(cells):
                lines.append(f"| {name} | {role} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def print_logged_tables() -> None:
    """The latest logged run of each database and size, as one table per database."""
    latest: dict[str, dict[int, dict]] = {}
    with open(DATA / "routes.jsonl") as log:
        for line in log:
            record = json.loads(line)
            latest.setdefault(record["backend"], {})[record["size"]] = record
    for backend, runs in latest.items():
        sizes = sorted(runs)
        print(markdown(backend, sizes, {size: runs[size]["results"] for size in sizes}))
        loads = ", ".join(f"{s:,}: {runs[s]['load_before']:.0f} ({runs[s]['at']})" for s in sizes)
        print(f"\nload average before each run: {loads}\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--budget", type=float, default=6.0, help="seconds per route at most")
    parser.add_argument("--only", default="", help="comma-separated route names")
    parser.add_argument(
        "--table", action="store_true", help="only print the tables of the latest runs logged"
    )
    args = parser.parse_args()
    if args.table:
        print_logged_tables()
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    only = {s for s in args.only.split(",") if s}
    started = time.perf_counter()
    load = os.getloadavg()[0]
    for backend in args.backends.split(","):
        table = {}
        for size in sizes:
            table[size] = measure(backend, size, args.repeat, args.budget, only)
            with open(DATA / "routes.jsonl", "a") as out:
                record = {
                    "at": datetime.now(UTC).isoformat(timespec="seconds"),
                    "backend": backend,
                    "size": size,
                    "load_before": load,
                    "results": table[size],
                }
                out.write(json.dumps(record) + "\n")
        print("\n" + markdown(backend, sizes, table) + "\n", flush=True)
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"load average {load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end; "
        f"{time.perf_counter() - started:.0f} s in all"
    )


if __name__ == "__main__":
    os.chdir(ROOT)
    main()
