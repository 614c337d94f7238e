"""Benchmark: import 100,000 spreadsheet rows in one transaction (target: under 30 s).

    .venv/bin/python bench/import.py [--rows 100000] [--format csv|xlsx] [--url URL]

Without --url it makes a fresh SQLite database in a temporary directory, migrates
and seeds it. The file is generated (Skopje's monitoring visits, trainings,
meetings and reports with locations, partners and themes), imported with
`fieldlog import`'s own function, and imported again to time the no-op re-import.
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select  # noqa: E402

import app.models  # noqa: E402, F401
from app.activities.models import Activity  # noqa: E402
from app.db import make_engine, unit_of_work  # noqa: E402
from app.exchange import columns as cols  # noqa: E402
from app.exchange.importer import import_file  # noqa: E402
from app.missions.service import get_by_code  # noqa: E402

LOCATIONS = ["gevgelija", "tabanovce", "gevgelija-office", "tabanovce-transit-station", "skopje"]
PARTNERS = ["unhcr", "iom", "red-cross", "myla", "save-the-children"]


def make_rows(count: int, seed: int = 7) -> list[dict[str, str]]:
    rng = random.Random(seed)
    rows = []
    for n in range(count):
        day = f"2016-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        row = {"external_id": f"bench-{seed}-{n}", "start": day, "source": "bench/import.py"}
        kind = n % 4
        if kind == 0:
            row |= {
                "type": "monitoring_visit",
                "title": f"Monitoring visit {n} to {rng.choice(LOCATIONS)}",
                "dimension": "politico_military",
                "response_area": "monitoring",
                "themes": "border_management; early_warning",
                "locations": rng.choice(LOCATIONS),
                "team": "PDU team",
                "team_size": str(rng.randint(2, 4)),
                "persons_observed": str(rng.randint(0, 2000)),
                "findings": "understaffing; lack_of_equipment",
                "alert_level": rng.choice(["none", "low", "elevated"]),
            }
        elif kind == 1:
            total = rng.randint(10, 40)
            row |= {
                "type": "training",
                "title": f"Training {n} for border police",
                "dimension": "politico_military",
                "response_area": "policing_crime",
                "themes": "anti_trafficking; policing",
                "locations": "skopje",
                "partners": "iom",
                "target_groups": "border_police",
                "participants_total": str(total),
                "participants_women": str(rng.randint(0, total)),
                "training_days": "2",
            }
        elif kind == 2:
            row |= {
                "type": "meeting",
                "title": f"Coordination meeting {n}",
                "dimension": "cross_dimensional",
                "response_area": "reporting_liaising",
                "partners": "; ".join(rng.sample(PARTNERS, 2)),
                "meeting_kind": "coordination",
                "meeting_level": "working_level",
            }
        else:
            row |= {
                "type": "report",
                "title": f"Spot report {n}",
                "dimension": "cross_dimensional",
                "response_area": "reporting_liaising",
                "reference_number": f"SEC.FR/{n}/16",
                "report_kind": "spot",
                "recipients": "cpc",
                "self_initiated": "yes",
            }
        rows.append(row)
    return rows


def as_csv(rows) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=cols.IMPORT_NAMES)
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode()


def as_xlsx(rows) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Activities")
    sheet.append(cols.IMPORT_NAMES)
    for row in rows:
        sheet.append([row.get(name) for name in cols.IMPORT_NAMES])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def fresh_sqlite() -> str:
    from alembic import command

    from app.cli import alembic_config
    from app.seeding import seed

    url = f"sqlite:///{tempfile.mkdtemp()}/bench-import.db"
    command.upgrade(alembic_config(url), "head")
    with unit_of_work(make_engine(url)) as session:
        seed(session)
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    parser.add_argument("--url", help="a migrated, seeded database (default: fresh SQLite)")
    args = parser.parse_args()
    url = args.url or fresh_sqlite()
    rows = make_rows(args.rows)
    data = as_csv(rows) if args.format == "csv" else as_xlsx(rows)
    print(
        f"{args.rows:,} rows, {args.format}, {len(data) / 1_048_576:.1f} MB, {url.split('@')[-1]}"
    )
    engine = make_engine(url)
    for attempt in ("first import", "re-import"):
        started = time.perf_counter()
        with unit_of_work(engine) as session:
            mission = get_by_code(session, "MKD")
            result = import_file(session, data, filename=f"bench.{args.format}", mission=mission)
            checked = time.perf_counter() - started
        elapsed = time.perf_counter() - started
        print(
            f"{attempt}: {elapsed:.1f} s ({checked:.1f} s to check and write, the rest to "
            f"commit) — {result.summary()}"
        )
        if result.errors:
            print(result.errors[:5])
            raise SystemExit(1)
    with unit_of_work(engine, write=False) as session:
        stored = session.scalar(
            select(func.count(Activity.id)).where(Activity.source == "bench/import.py")
        )
    print(f"stored: {stored:,}")


if __name__ == "__main__":
    main()
