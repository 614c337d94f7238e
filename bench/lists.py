"""Benchmark: the activity list (page and API) per role, and export rows per second.

For each size it uses the SQLite database bench/dashboards.py builds (bench/.data/,
migrated to the latest schema first), signs in the CPC desk, the Skopje head of mission
and a Belgrade focal point by API token, and times (median and p95, client side, and
the app's Server-Timing) each request:

- `/activities` and `/api/v1/activities?limit=100`, first page;
- filtered: mission, type and words (`?mission=SRB&type=training&q=border`);
- a day-precision period in another order (`?from=2015-06-15&to=2016-03-10&sort=title`);
- a deep keyset page: the cursor of the 5,000th row in the default order.

Then it streams one mission's CSV export as its head of mission would (the Skopje
mission, every row that reader may see) and prints rows per second.

    .venv/bin/python bench/lists.py [--sizes 10000,100000,1000000] [--repeat 20]
                                    [--url postgresql://…  (one database instead)]

Figures are noisy on a shared machine: the run prints the load average next to them.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ROLES = {
    "cpc": "cpc@demo.fieldlog.example",
    "hom": "hom.mkd@demo.fieldlog.example",
    "fp": "fp.srb@demo.fieldlog.example",
}
DEEP_ROW = 5_000


def summary(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def deep_cursor(session, reader) -> str | None:
    """The cursor after the DEEP_ROW-th row `reader` sees, newest first (made once)."""
    from sqlalchemy import select

    from app.activities import policy, service
    from app.activities.models import Activity

    row = session.execute(
        select(Activity.start_date, Activity.id)
        .where(policy.visible_activities(reader))
        .order_by(Activity.start_date.desc(), Activity.id.desc())
        .offset(DEEP_ROW - 1)
        .limit(1)
    ).first()
    return service.encode_cursor("-start", row[0], row[1]) if row else None


def measure(url: str, repeat: int) -> dict[str, tuple[float, float, float]]:
    """{request: (median ms, p95 ms, median server ms)}."""
    from fastapi.testclient import TestClient

    import app.models  # noqa: F401
    from app.accounts import service as accounts
    from app.config import Settings
    from app.db import make_engine, unit_of_work
    from app.main import create_app

    engine = make_engine(url)
    tokens, cursors = {}, {}
    with unit_of_work(engine) as session:
        for role, email in ROLES.items():
            user = accounts.get_by_email(session, email)
            _, tokens[role] = accounts.create_token(session, user=user, name="bench", days=1)
            cursors[role] = deep_cursor(session, user)
    app = create_app(Settings(database_url=url), engine)
    results: dict[str, tuple[float, float, float]] = {}
    for role, token in tokens.items():
        client = TestClient(app, headers={"Authorization": f"Bearer {token}"})
        requests = {
            "page first": "/activities",
            "page filtered": "/activities?mission=SRB&type=training&q=border",
            "page days+title": "/activities?from=2015-06-15&to=2016-03-10&sort=title",
            "page deep": f"/activities?cursor={cursors[role]}&page=201",
            "api first": "/api/v1/activities?limit=100",
            "api filtered": "/api/v1/activities?limit=100&mission=SRB&type=training&q=border",
            "api deep": f"/api/v1/activities?limit=100&cursor={cursors[role]}",
        }
        for name, path in requests.items():
            client.get(path)  # warm caches and the connection pool
            wall, server = [], []
            for _ in range(repeat):
                started = time.perf_counter()
                response = client.get(path)
                wall.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, (path, response.status_code)
                server.append(float(response.headers["server-timing"].split("dur=")[1]))
            median, p95 = summary(wall)
            results[f"{role} {name}"] = (median, p95, statistics.median(server))
        client.close()
    engine.dispose()
    return results


def export_rate(url: str) -> tuple[int, float]:
    """(rows, rows per second) of the Skopje head of mission's CSV export of MKD."""
    import app.models  # noqa: F401
    from app.accounts import service as accounts
    from app.accounts.deps import Viewer
    from app.activities.service import ActivityFilters
    from app.db import make_engine, unit_of_work
    from app.exchange import exporter
    from app.missions import service as missions

    engine = make_engine(url)
    with unit_of_work(engine, write=False) as session:
        reader = Viewer.of(accounts.get_by_email(session, ROLES["hom"]))
        filters = ActivityFilters(mission=missions.get_by_code(session, "MKD"))
    rows = 0
    started = time.perf_counter()

    def counted():
        nonlocal rows
        for record in exporter.activities(engine, filters=filters, reader=reader):
            rows += 1
            yield record

    for _ in exporter.csv_chunks(counted()):
        pass
    elapsed = time.perf_counter() - started
    engine.dispose()
    return rows, rows / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--url", help="one database to time instead of the built ones")
    parser.add_argument("--no-export", action="store_true")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "bench"))
    from dashboards import build

    targets = (
        {args.url: args.url}
        if args.url
        else {f"{int(s):,}": build(int(s)) for s in args.sizes.split(",")}
    )
    for label, url in targets.items():
        if url.startswith("sqlite"):
            from alembic import command

            from app.cli import alembic_config

            command.upgrade(alembic_config(url), "head")
        print(f"{label} activities  (load average {os.getloadavg()[0]:.1f})", flush=True)
        print(f"  {'request':<26}{'median ms':>10}{'p95 ms':>9}{'server ms':>11}")
        for name, (median, p95, server) in measure(url, args.repeat).items():
            print(f"  {name:<26}{median:10.1f}{p95:9.1f}{server:11.1f}", flush=True)
        if not args.no_export:
            rows, rate = export_rate(url)
            print(f"  export MKD as its HoM: {rows:,} rows, {rate:,.0f} rows/s", flush=True)


if __name__ == "__main__":
    os.chdir(ROOT)
    main()
