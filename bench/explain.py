"""Benchmark: what PostgreSQL does for each route, from `EXPLAIN (ANALYZE, BUFFERS)`.

For each route of bench/routes.py and each role it serves the request once (warm-up), then
once more while recording every statement the app sends, and asks PostgreSQL to run each
again under `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)`. It prints, per route and role, how
many statements ran, their summed execution time as PostgreSQL measured it, the slowest
statement's time, the shared buffers hit and read, and any sequential scan or large sort
of a big table (activities and its link tables, the aggregates, the audit trail) — the
plan shapes the list and dashboard work relies on, checked at full size rather than on
the tests' 6,000 rows.

    .venv/bin/python bench/explain.py --size 1000000

The database is the one bench/databases.py builds (fieldlog_bench_<N>).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from databases import build  # noqa: E402
from routes import ROUTES, deep_page, tokens  # noqa: E402

BIG_TABLES = {
    "activities",
    "activity_other_missions",
    "activity_locations",
    "activity_partners",
    "activity_themes",
    "activity_target_groups",
    "activity_stats",
    "audit_events",
}
BIG_SORT = 1_000  # rows: a sort of more than this over a big table is worth a look


def plan_findings(node: dict, found: list[str]) -> None:
    """Sequential scans of big tables and sorts of many rows, anywhere in the plan."""
    relation = node.get("Relation Name")
    if node["Node Type"] == "Seq Scan" and relation in BIG_TABLES:
        found.append(f"Seq Scan on {relation} ({node.get('Actual Rows', 0):,} rows)")
    if node["Node Type"] in ("Sort", "Incremental Sort") and node.get("Actual Rows", 0) > BIG_SORT:
        found.append(f"{node['Node Type']} of {node['Actual Rows']:,} rows")
    for child in node.get("Plans", []):
        plan_findings(child, found)


def explain(engine, statements: list[tuple[str, object]]) -> dict:
    total_ms, slowest, hit, read, findings = 0.0, (0.0, ""), 0, 0, []
    with engine.connect() as conn:
        for statement, parameters in statements:
            if not statement.lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            cursor = conn.connection.cursor()
            cursor.execute(
                "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + statement, parameters or None
            )
            raw = cursor.fetchone()[0]
            cursor.close()
            result = (json.loads(raw) if isinstance(raw, str) else raw)[0]
            ms = result["Execution Time"] + result.get("Planning Time", 0.0)
            total_ms += ms
            if ms > slowest[0]:
                slowest = (ms, " ".join(statement.split())[:160])
            plan = result["Plan"]
            hit += plan.get("Shared Hit Blocks", 0)
            read += plan.get("Shared Read Blocks", 0)
            plan_findings(plan, findings)
        conn.rollback()
    return {
        "statements": len(statements),
        "total_ms": total_ms,
        "slowest_ms": slowest[0],
        "slowest_sql": slowest[1],
        "hit": hit,
        "read": read,
        "findings": sorted(set(findings)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--only", default="", help="comma-separated route names")
    parser.add_argument("--verbose", action="store_true", help="print the slowest statement")
    args = parser.parse_args()
    only = {s for s in args.only.split(",") if s}

    from fastapi.testclient import TestClient
    from sqlalchemy import event

    import app.models  # noqa: F401
    from app.config import Settings
    from app.db import make_engine
    from app.main import create_app

    url = build(args.size, "postgres")
    engine = make_engine(url)
    app = create_app(Settings(database_url=url), engine)
    recorded: list[tuple[str, object]] = []
    recording = [False]

    @event.listens_for(engine, "before_cursor_execute")
    def _record(conn, cursor, statement, parameters, context, executemany) -> None:
        if recording[0] and not executemany:
            recorded.append((statement, parameters))

    print(
        f"PostgreSQL, {args.size:,} activities: statements, summed execution ms (EXPLAIN "
        "ANALYZE), slowest ms, shared buffers hit / read, findings"
    )
    for role, token in tokens(url).items():
        client = TestClient(
            app, headers={"Authorization": f"Bearer {token}"}, raise_server_exceptions=False
        )
        for name, path in ROUTES.items():
            if only and name not in only:
                continue
            path = path or deep_page(client)
            if path is None or client.get(path).status_code != 200:
                continue
            recorded.clear()
            recording[0] = True
            client.get(path)
            recording[0] = False
            result = explain(engine, list(recorded))
            findings = "; ".join(result["findings"]) or "index reads only"
            print(
                f"  {role:16} {name:30} {result['statements']:3} {result['total_ms']:8.1f} "
                f"{result['slowest_ms']:8.1f} {result['hit']:>8,} / {result['read']:<6,} "
                f"{findings}",
                flush=True,
            )
            if args.verbose:
                print(f"      slowest: {result['slowest_sql']}")
        client.close()
    engine.dispose()
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    os.chdir(ROOT)
    main()
