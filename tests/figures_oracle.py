"""The dashboards' figures worked out from the raw rows, one record at a time: the oracle the
fast answer (aggregates plus the raw days at the ends of a period) is checked against.

It states the rules again in its own words: a record counts in a period when all of its
partial date falls inside it (PartialDate.end), only *may* when it overlaps it; headline
figures are approved records; what else the reader may see is counted apart per status.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.activities import policy
from app.activities.models import Activity
from app.partial_dates import PartialDate

FIGURES = ("n", "trained", "women", "split", "alerts", "recon", "synth")


def raw_tallies(session, *, first: date, last: date, user, axis: str, reconstructed=True):
    """(approved {(mission, column): figures}, apart {key: Counter}, may Counter)."""
    approved: dict = defaultdict(lambda: [0] * len(FIGURES))
    apart: dict = defaultdict(Counter)
    may: Counter = Counter()
    query = select(Activity).options(selectinload(Activity.other_missions))
    for a in session.scalars(query):
        if not policy.can_see(user, a):
            continue
        if not reconstructed and a.provenance == "reconstructed":
            continue
        when = PartialDate.of(a.start_date, a.start_precision)
        wholly = when.start >= first and when.end <= last
        overlaps = when.start <= last and when.end >= first
        if not overlaps:
            continue
        columns = {"area": [a.response_area], "type": [a.type], "theme": list(a.themes)}[axis]
        for mission_id in [a.mission_id, *(m.id for m in a.other_missions)]:
            lead = mission_id == a.mission_id
            training = a.type == "training" and lead
            values = [
                1,
                (a.participants_total or 0) if training else 0,
                (a.participants_women or 0) if training else 0,
                # the people whose sex was recorded: the women and the men given
                ((a.participants_women or 0) + (a.participants_men or 0)) if training else 0,
                int(
                    a.type == "monitoring_visit"
                    and a.alert_level in ("low", "elevated", "high")
                    and not a.alert_closed
                ),
                int(a.provenance == "reconstructed"),
                int(a.provenance == "synthetic"),
            ]
            for column in columns:
                key = (mission_id, column)
                if a.status == "approved" and wholly:
                    for i, v in enumerate(values):
                        approved[key][i] += v
                elif a.status == "approved":
                    may[key] += 1
                elif wholly:
                    apart[key][a.status] += 1
    return dict(approved), {k: v for k, v in apart.items() if v}, may
