"""Partial dates beyond the four examples: every period's last day, the bounds, the order,
and that what `iso` writes `parse` reads back, for many dates."""

from __future__ import annotations

import calendar
import random
from datetime import date, timedelta

import pytest

from app.partial_dates import PartialDate
from app.vocab import DatePrecision


@pytest.mark.parametrize(
    ("quarter", "first", "last"),
    [
        (1, date(2016, 1, 1), date(2016, 3, 31)),
        (2, date(2016, 4, 1), date(2016, 6, 30)),
        (3, date(2016, 7, 1), date(2016, 9, 30)),
        (4, date(2016, 10, 1), date(2016, 12, 31)),
    ],
)
def test_each_quarter_starts_and_ends_on_its_own_days(quarter, first, last):
    parsed = PartialDate.parse(f"2016-Q{quarter}")
    assert (parsed.start, parsed.end) == (first, last)
    assert parsed.human() == f"Q{quarter} 2016"


def test_a_month_ends_on_its_last_day_in_leap_and_common_years():
    for year in (2015, 2016, 2000, 2100):
        for month in range(1, 13):
            parsed = PartialDate.parse(f"{year}-{month:02d}")
            assert parsed.end == date(year, month, calendar.monthrange(year, month)[1])
    assert PartialDate.parse("2016-02-29").end == date(2016, 2, 29)


@pytest.mark.parametrize(("text", "year"), [("1990", 1990), ("2100-12-31", 2100)])
def test_the_first_and_last_allowed_years_are_accepted(text, year):
    assert PartialDate.parse(text).start.year == year


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("1989", "between 1990 and 2100"),
        ("2101-01", "between 1990 and 2100"),
        ("2015-00", "month must be between 01 and 12"),
        ("2015-02-29", "no such day"),
        ("2015-Q0", "YYYY-Qn"),
        ("2015-1", "YYYY-MM"),
        ("2015-11-19T10:00", "YYYY-MM-DD"),
    ],
)
def test_each_refusal_names_the_rule_that_was_broken(text, reason):
    with pytest.raises(ValueError, match=reason):
        PartialDate.parse(text)


@pytest.mark.parametrize("value", [2015, None, date(2015, 1, 1), b"2015"])
def test_only_text_is_parsed(value):
    with pytest.raises(ValueError, match="YYYY"):
        PartialDate.parse(value)


def test_surrounding_spaces_are_ignored():
    assert PartialDate.parse("  2015-11 \n").iso() == "2015-11"


def test_iso_is_read_back_by_parse_for_many_dates_and_every_precision():
    rng = random.Random(9)
    for _ in range(500):
        day = date(1990, 1, 1) + timedelta(days=rng.randrange(40_000))
        for precision in DatePrecision:
            start = {
                DatePrecision.DAY: day,
                DatePrecision.MONTH: day.replace(day=1),
                DatePrecision.QUARTER: date(day.year, (day.month - 1) // 3 * 3 + 1, 1),
                DatePrecision.YEAR: date(day.year, 1, 1),
            }[precision]
            original = PartialDate(start, precision)
            again = PartialDate.parse(original.iso())
            assert again == original, original
            assert again.start <= day <= again.end, (original, day)


def test_of_reads_a_stored_pair_and_a_missing_precision_means_a_day():
    assert PartialDate.of(None, "month") is None
    assert PartialDate.of(date(2015, 11, 1), "month").iso() == "2015-11"
    assert PartialDate.of(date(2015, 11, 19), None).precision is DatePrecision.DAY


def test_dates_sort_by_their_first_day():
    texts = ["2016", "2015-11-19", "2015-Q4", "2015-12", "2015"]
    ordered = sorted(PartialDate.parse(t) for t in texts)
    assert [d.iso() for d in ordered] == ["2015", "2015-Q4", "2015-11-19", "2015-12", "2016"]
