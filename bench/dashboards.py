"""Benchmark: mission dashboard and comparison at 10,000, 100,000 and 1,000,000 activities.

For each size it builds a SQLite database (migrations, the study's seed data, demo
users, then `fieldlog demo --activities N`), and prints the median server-side time
(the app's Server-Timing header) of /missions/{code} and /compare, and of the bare
SQL aggregation each page stands for run against the raw activities table, which is
what the kept aggregates save.

    .venv/bin/python bench/dashboards.py [--sizes 10000,100000,1000000] [--repeat 30]

Target (issue #4): under 50 ms at 1,000,000 on SQLite, and at 1,000,000 no more than
1.5× the time at 10,000. Databases are kept in bench/.data/ and reused when present.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / ".data"
FIELDLOG = [sys.executable, "-m", "app.cli"]


def build(size: int) -> str:
    """A SQLite database with `size` activities (plus the study's), built once."""
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"dashboards-{size}.db"
    url = f"sqlite:///{path}"
    if path.exists():
        return url
    env = {**os.environ, "FIELDLOG_DATABASE_URL": url}
    started = time.perf_counter()
    for args in (["init"], ["seed"], ["demo-users"], ["demo", "--activities", str(size)]):
        subprocess.run([*FIELDLOG, *args], env=env, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    print(f"  built {size:,} activities in {time.perf_counter() - started:.0f} s", flush=True)
    return url


def median_ms(fn, repeat: int) -> float:
    fn()  # warm caches and the connection pool
    times = []
    for _ in range(repeat):
        times.append(fn())
    return statistics.median(times)


def measure(url: str, repeat: int) -> dict[str, float]:
    from fastapi.testclient import TestClient
    from sqlalchemy import func, select

    import app.models  # noqa: F401
    from app.accounts import service as accounts
    from app.accounts.deps import Viewer
    from app.activities.models import Activity
    from app.config import Settings
    from app.dashboards import service
    from app.dashboards.schemas import Period
    from app.db import make_engine, unit_of_work
    from app.main import create_app

    engine = make_engine(url)
    with unit_of_work(engine) as session:
        hom = accounts.get_by_email(session, "hom.mkd@demo.fieldlog.example")
        cpc = accounts.get_by_email(session, "cpc@demo.fieldlog.example")
        _, hom_token = accounts.create_token(session, user=hom, name="bench", days=1)
        _, cpc_token = accounts.create_token(session, user=cpc, name="bench", days=1)
        hom_viewer, cpc_viewer = Viewer.of(hom), Viewer.of(cpc)
        first, last = session.execute(
            select(func.min(Activity.start_date), func.max(Activity.start_date))
        ).one()
    app = create_app(Settings(database_url=url), engine)
    clients = {
        "hom": TestClient(app, headers={"Authorization": f"Bearer {hom_token}"}),
        "cpc": TestClient(app, headers={"Authorization": f"Bearer {cpc_token}"}),
    }

    def page(who: str, path: str):
        def run() -> float:
            response = clients[who].get(path)
            assert response.status_code == 200, (path, response.status_code)
            timing = response.headers["server-timing"]
            return float(timing.split("dur=")[1])

        return run

    def bare(axis: str, mission_id: int | None, viewer):
        """The raw GROUP BY over every activity that the page's figures stand for."""
        from app.activities import counting, policy

        column = {"area": Activity.response_area, "type": Activity.type}[axis]

        def run() -> float:
            with unit_of_work(engine, write=False) as session:
                started = time.perf_counter()
                inv = counting.involvement(policy.visible_activities(viewer))
                query = (
                    select(inv.c.mission_id, column, *counting.figures_sql(is_lead=inv.c.is_lead))
                    .select_from(inv)
                    .join(Activity, Activity.id == inv.c.activity_id)
                )
                if mission_id is not None:
                    query = query.where(inv.c.mission_id == mission_id)
                session.execute(query.group_by(inv.c.mission_id, column)).all()
                return (time.perf_counter() - started) * 1000

        return run

    def aggregated(axis: str, mission_id: int | None, viewer):
        """The same figures from the aggregates (what the pages use)."""

        def run() -> float:
            with unit_of_work(engine, write=False) as session:
                started = time.perf_counter()
                service.figures(
                    session,
                    period=Period(start=None, end=None),
                    user=viewer,
                    axis=axis,
                    mission_id=mission_id,
                )
                return (time.perf_counter() - started) * 1000

        return run

    def places(mission_id: int | None, start=None, end=None):
        """The map's counts per place (location_stats, plus the raw days at the ends)."""

        def run() -> float:
            with unit_of_work(engine, write=False) as session:
                started = time.perf_counter()
                period = Period(start=start, end=end)
                service.place_figures(session, period=period, mission_id=mission_id)
                return (time.perf_counter() - started) * 1000

        return run

    with unit_of_work(engine, write=False) as session:
        from app.missions import service as missions

        mkd = missions.get_by_code(session, "MKD").id
    # a period in days inside the data, cutting through months at both ends (issue #12)
    days = "from=2015-06-15&to=2016-03-10"
    results = {
        "/missions/MKD": median_ms(page("hom", "/missions/MKD"), repeat),
        "/compare": median_ms(page("cpc", "/compare"), repeat),
        "/missions/MKD (days)": median_ms(page("hom", f"/missions/MKD?{days}"), repeat),
        "/compare (days)": median_ms(page("cpc", f"/compare?{days}"), repeat),
        "figures MKD (aggregates)": median_ms(aggregated("area", mkd, hom_viewer), repeat),
        "figures all (aggregates)": median_ms(aggregated("area", None, cpc_viewer), repeat),
        "map places MKD": median_ms(places(mkd), repeat),
        "map places all (days)": median_ms(
            places(None, date(2015, 6, 15), date(2016, 3, 10)), repeat
        ),
        "bare SQL MKD (raw rows)": median_ms(bare("area", mkd, hom_viewer), max(3, repeat // 5)),
        "bare SQL all (raw rows)": median_ms(bare("area", None, cpc_viewer), max(3, repeat // 5)),
    }
    engine.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    table: dict[int, dict[str, float]] = {}
    for size in sizes:
        print(f"{size:,} activities", flush=True)
        table[size] = measure(build(size), args.repeat)
        for name, ms in table[size].items():
            print(f"  {name:<28} {ms:8.1f} ms", flush=True)
    names = list(next(iter(table.values())))
    print("\nmedian ms     " + "".join(f"{s:>12,}" for s in sizes) + "   ratio max/min size")
    for name in names:
        values = [table[s][name] for s in sizes]
        ratio = values[-1] / values[0] if values[0] else float("nan")
        print(f"{name:<28}" + "".join(f"{v:12.1f}" for v in values) + f"   {ratio:6.2f}x")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    main()
