"""Benchmark: stream an activity export and watch the process's memory stay flat.

    .venv/bin/python bench/export.py [--url sqlite:///bench/.data/dashboards-1000000.db]
                                     [--rows 100000,1000000] [--format csv|json]

Reads the database that bench/dashboards.py builds (1,000,000 synthetic activities),
streams the export the way /api/v1/exports/activities.csv does (batches of 1,000 rows
in a session of its own), throws the bytes away, and prints the rows per second and the
resident memory (VmRSS) at the start, its peak, and at the end.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import app.models  # noqa: E402, F401
from app.activities.service import ActivityFilters  # noqa: E402
from app.db import make_engine  # noqa: E402
from app.exchange import exporter  # noqa: E402


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=f"sqlite:///{ROOT}/bench/.data/dashboards-1000000.db")
    parser.add_argument("--rows", default="100000,1000000")
    parser.add_argument("--format", choices=["csv", "json"], default="csv")
    args = parser.parse_args()
    engine = make_engine(args.url)
    chunks = exporter.csv_chunks if args.format == "csv" else exporter.json_chunks
    for limit in (int(n) for n in args.rows.split(",")):
        start_rss = peak = rss_mb()
        started = time.perf_counter()
        size = rows = 0
        records = exporter.activities(
            engine, filters=ActivityFilters(), everything=True, limit=limit
        )

        def counted(records=records):
            nonlocal rows
            for record in records:
                rows += 1
                yield record

        for chunk in chunks(counted()):
            size += len(chunk)
            if rows % 20_000 == 0:
                peak = max(peak, rss_mb())
        elapsed = time.perf_counter() - started
        peak = max(peak, rss_mb())
        print(
            f"{rows:>9,} rows  {size / 1e6:8.1f} MB {args.format}  {elapsed:6.1f} s "
            f"({rows / elapsed:,.0f} rows/s)  RSS start {start_rss:.0f} MB, "
            f"peak {peak:.0f} MB, end {rss_mb():.0f} MB",
            flush=True,
        )


if __name__ == "__main__":
    main()
