"""Splitting a period into the pieces the aggregates can answer.

Whole years come from the yearly rows, whole months from the monthly rows, and
the days left at either end from the raw activities of those (at most two) months,
so any period is answered exactly while most of the work reads a few hundred
aggregate rows.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

EARLIEST = date(1990, 1, 1)
LATEST = date(2100, 12, 31)


@dataclass(frozen=True)
class Segment:
    kind: str  # "year", "month" or "raw"
    start: date
    end: date  # inclusive; for "year"/"month" the first day of the last period


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def previous_month(day: date) -> date:
    return (day.replace(day=1) - timedelta(days=1)).replace(day=1)


def bounds(start: date | None, end: date | None) -> tuple[date, date]:
    """The period with its open ends closed at the earliest and latest dates counted."""
    return max(start or EARLIEST, EARLIEST), min(end or LATEST, LATEST)


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def split(start: date | None, end: date | None) -> list[Segment]:
    """Cover [start, end] (inclusive, open ends allowed) with year, month and raw segments."""
    first, last = bounds(start, end)
    if first > last:
        return []
    segments: list[Segment] = []
    # the first whole month, and the last
    m1 = first if first.day == 1 else next_month(first)
    m2 = last.replace(day=1) if last == month_end(last) else previous_month(last)
    if m1 > m2:  # no whole month inside: all raw
        return [Segment("raw", first, last)]
    if first < m1:
        segments.append(Segment("raw", first, m1 - timedelta(days=1)))
    # whole years inside [m1, m2]
    y1 = m1.year if m1.month == 1 else m1.year + 1
    y2 = m2.year if m2.month == 12 else m2.year - 1
    if y1 <= y2:
        if m1 < date(y1, 1, 1):
            segments.append(Segment("month", m1, date(y1 - 1, 12, 1)))
        segments.append(Segment("year", date(y1, 1, 1), date(y2, 1, 1)))
        if date(y2, 12, 1) < m2:
            segments.append(Segment("month", date(y2 + 1, 1, 1), m2))
    else:
        segments.append(Segment("month", m1, m2))
    if month_end(m2) < last:
        segments.append(Segment("raw", next_month(m2), last))
    return segments


def months_only(start: date | None, end: date | None) -> list[Segment]:
    """Like `split`, but whole years stay as months (for series by month)."""
    result = []
    for segment in split(start, end):
        if segment.kind == "year":
            result.append(Segment("month", segment.start, date(segment.end.year, 12, 1)))
        else:
            result.append(segment)
    return result
