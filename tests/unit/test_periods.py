"""Splitting a period for the dashboards: for many random periods, the pieces cover every
day from start to end exactly once, each piece is a kind the aggregates can answer, and
the raw days (the slow part) are only the ragged ends."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from app.dashboards.periods import (
    EARLIEST,
    LATEST,
    Segment,
    month_end,
    months_only,
    next_month,
    previous_month,
    split,
)

ONE_DAY = timedelta(days=1)


def days_of(segment: Segment) -> tuple[date, date]:
    """The first and last day a segment stands for (its `end` names the last period)."""
    if segment.kind == "raw":
        return segment.start, segment.end
    if segment.kind == "month":
        return segment.start, month_end(segment.end)
    return segment.start, date(segment.end.year, 12, 31)


def assert_covers_exactly(segments: list[Segment], first: date, last: date) -> None:
    spans = [days_of(s) for s in segments]
    assert spans, "no segments"
    assert spans[0][0] == first and spans[-1][1] == last, spans
    for (_, end_of_one), (start_of_next, _) in zip(spans, spans[1:], strict=False):
        assert start_of_next == end_of_one + ONE_DAY, f"gap or overlap in {spans}"
    for start, end in spans:
        assert start <= end, spans


def assert_well_formed(segment: Segment) -> None:
    if segment.kind == "year":
        assert (segment.start.month, segment.start.day) == (1, 1), segment
        assert (segment.end.month, segment.end.day) == (1, 1), segment
    elif segment.kind == "month":
        assert segment.start.day == 1 and segment.end.day == 1, segment
    else:
        assert segment.kind == "raw", segment
        # a raw piece never holds a whole month: that would belong to the monthly rows
        start, end = days_of(segment)
        assert not (start.day == 1 and end >= month_end(start)), segment


def random_periods(seed: int, count: int):
    rng = random.Random(seed)
    for _ in range(count):
        start = date(1995, 1, 1) + timedelta(days=rng.randrange(12_000))
        yield start, start + timedelta(days=rng.choice([0, 1, 27, 31, 60, 365, 800, 3000]))
        yield start, start + timedelta(days=rng.randrange(2_000))


def test_split_covers_random_periods_exactly_with_well_formed_pieces():
    for start, end in random_periods(seed=11, count=400):
        segments = split(start, end)
        assert_covers_exactly(segments, start, end)
        for segment in segments:
            assert_well_formed(segment)
        kinds = [s.kind for s in segments]
        assert kinds.count("year") <= 1 and kinds.count("raw") <= 2, segments
        assert kinds.count("month") <= 2, segments


def test_months_only_covers_the_same_days_without_years():
    for start, end in random_periods(seed=12, count=200):
        segments = months_only(start, end)
        assert_covers_exactly(segments, start, end)
        assert all(s.kind in ("month", "raw") for s in segments), segments


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (date(2016, 1, 1), date(2016, 12, 31), [("year", (2016, 1, 1), (2016, 1, 1))]),
        (date(2016, 3, 1), date(2016, 3, 31), [("month", (2016, 3, 1), (2016, 3, 1))]),
        (date(2016, 3, 2), date(2016, 3, 30), [("raw", (2016, 3, 2), (2016, 3, 30))]),
        (
            date(2015, 11, 15),
            date(2017, 2, 10),
            [
                ("raw", (2015, 11, 15), (2015, 11, 30)),
                ("month", (2015, 12, 1), (2015, 12, 1)),
                ("year", (2016, 1, 1), (2016, 1, 1)),
                ("month", (2017, 1, 1), (2017, 1, 1)),
                ("raw", (2017, 2, 1), (2017, 2, 10)),
            ],
        ),
    ],
    ids=["whole-year", "whole-month", "inside-a-month", "ragged-both-ends"],
)
def test_split_of_typical_periods(start, end, expected):
    assert split(start, end) == [Segment(k, date(*a), date(*b)) for k, a, b in expected]


def test_open_ends_reach_the_earliest_and_latest_dates_kept():
    assert_covers_exactly(split(None, None), EARLIEST, LATEST)
    assert_covers_exactly(split(None, date(2016, 5, 17)), EARLIEST, date(2016, 5, 17))
    assert_covers_exactly(split(date(2016, 5, 17), None), date(2016, 5, 17), LATEST)
    assert_covers_exactly(split(date(1900, 1, 1), date(3000, 1, 1)), EARLIEST, LATEST)


def test_an_empty_period_has_no_pieces():
    assert split(date(2016, 2, 1), date(2016, 1, 31)) == []
    assert months_only(date(2016, 2, 1), date(2016, 1, 31)) == []


@pytest.mark.parametrize(
    ("day", "end", "following", "preceding"),
    [
        (date(2016, 2, 10), date(2016, 2, 29), date(2016, 3, 1), date(2016, 1, 1)),
        (date(2015, 2, 28), date(2015, 2, 28), date(2015, 3, 1), date(2015, 1, 1)),
        (date(2015, 12, 31), date(2015, 12, 31), date(2016, 1, 1), date(2015, 11, 1)),
        (date(2016, 1, 1), date(2016, 1, 31), date(2016, 2, 1), date(2015, 12, 1)),
    ],
)
def test_month_arithmetic_across_year_ends_and_leap_days(day, end, following, preceding):
    assert month_end(day) == end
    assert next_month(day) == following
    assert previous_month(day) == preceding
