"""Benchmark: the mission dashboard and the comparison for a period in days
(2015-06-15 – 2016-03-10), timed in-process with the code of a given checkout, so two
checkouts (before and after a change) can be timed on the same database:

    .venv/bin/python bench/dashboards_days.py DB_URL /work/main 5
    .venv/bin/python bench/dashboards_days.py DB_URL . 5

(database URL, checkout, repeats). Build the databases with bench/dashboards.py
(bench/.data/dashboards-N.db).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from datetime import date


def main(url: str, root: str, repeat: int) -> None:
    sys.path.insert(0, root)
    import app.models  # noqa: F401
    from app.accounts import service as accounts
    from app.accounts.deps import Viewer
    from app.dashboards import service
    from app.dashboards.schemas import Period
    from app.db import make_engine, unit_of_work
    from app.missions import service as missions

    engine = make_engine(url)
    period = Period(start=date(2015, 6, 15), end=date(2016, 3, 10))
    with unit_of_work(engine, write=False) as s:
        hom = Viewer.of(accounts.get_by_email(s, "hom.mkd@demo.fieldlog.example"))
        cpc = Viewer.of(accounts.get_by_email(s, "cpc@demo.fieldlog.example"))
        mkd = missions.get_by_code(s, "MKD")
        cases = {
            "dashboard MKD, days": lambda: service.mission_dashboard(
                s, mission=mkd, period=period, user=hom
            ),
            "compare, days": lambda: service.compare(s, period=period, user=cpc),
        }
        for name, run in cases.items():
            run()
            times = []
            for _ in range(repeat):
                started = time.perf_counter()
                run()
                times.append((time.perf_counter() - started) * 1000)
            median = statistics.median(times)
            print(f"{os.path.basename(root):10} {name:22} median {median:8.1f} ms", flush=True)
    engine.dispose()


if __name__ == "__main__":
    main(sys.argv[1], os.path.abspath(sys.argv[2]), int(sys.argv[3]))
