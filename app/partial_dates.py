"""Dates that carry their precision: "2015", "2015-Q4", "2015-11", "2015-11-19".

The sources often say only "in 2015"; such a date is stored as the first day of
its period together with its precision, and is never shown as an exact day.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from typing import overload

from app.vocab import DatePrecision

_PATTERN = re.compile(
    r"^(?P<year>\d{4})(?:-(?:Q(?P<quarter>[1-4])|(?P<month>\d{2})(?:-(?P<day>\d{2}))?))?$"
)
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


@dataclass(frozen=True, order=True)
class PartialDate:
    start: date
    precision: DatePrecision

    @classmethod
    def parse(cls, text: str) -> PartialDate:
        """Parse one of the four forms; raise ValueError with a readable message."""
        match = _PATTERN.match(text.strip()) if isinstance(text, str) else None
        if not match:
            raise ValueError(
                "use YYYY, YYYY-Qn, YYYY-MM or YYYY-MM-DD (e.g. 2015, 2015-Q4, 2015-11, 2015-11-19)"
            )
        year = int(match["year"])
        if year < 1990 or year > 2100:
            raise ValueError("year must be between 1990 and 2100")
        if match["quarter"]:
            return cls(date(year, 3 * int(match["quarter"]) - 2, 1), DatePrecision.QUARTER)
        if match["month"]:
            month = int(match["month"])
            if not 1 <= month <= 12:
                raise ValueError("month must be between 01 and 12")
            if match["day"]:
                try:
                    return cls(date(year, month, int(match["day"])), DatePrecision.DAY)
                except ValueError:
                    days = calendar.monthrange(year, month)[1]
                    raise ValueError(
                        f"no such day: {calendar.month_name[month]} {year} has {days} days"
                    ) from None
            return cls(date(year, month, 1), DatePrecision.MONTH)
        return cls(date(year, 1, 1), DatePrecision.YEAR)

    @overload
    @classmethod
    def of(cls, start: date, precision: str | None) -> PartialDate: ...

    @overload
    @classmethod
    def of(cls, start: None, precision: str | None) -> None: ...

    @overload
    @classmethod
    def of(cls, start: date | None, precision: str | None) -> PartialDate | None: ...

    @classmethod
    def of(cls, start: date | None, precision: str | None) -> PartialDate | None:
        """The stored pair (first day, precision) as one value; no day, no date."""
        if start is None:
            return None
        return cls(start, DatePrecision(precision or DatePrecision.DAY))

    @property
    def end(self) -> date:
        """The last day of the period this date stands for."""
        d = self.start
        if self.precision is DatePrecision.DAY:
            return d
        if self.precision is DatePrecision.MONTH:
            return date(d.year, d.month, calendar.monthrange(d.year, d.month)[1])
        if self.precision is DatePrecision.QUARTER:
            last_month = d.month + 2
            return date(d.year, last_month, calendar.monthrange(d.year, last_month)[1])
        return date(d.year, 12, 31)

    def iso(self) -> str:
        """The machine form, the same one `parse` reads."""
        d = self.start
        match self.precision:
            case DatePrecision.DAY:
                return d.isoformat()
            case DatePrecision.MONTH:
                return f"{d.year:04d}-{d.month:02d}"
            case DatePrecision.QUARTER:
                return f"{d.year:04d}-Q{(d.month - 1) // 3 + 1}"
            case _:
                return f"{d.year:04d}"

    def human(self) -> str:
        """The reading form: '19 Nov 2015', 'Nov 2015', 'Q4 2015', '2015'."""
        d = self.start
        match self.precision:
            case DatePrecision.DAY:
                return f"{d.day} {_MONTHS[d.month - 1]} {d.year}"
            case DatePrecision.MONTH:
                return f"{_MONTHS[d.month - 1]} {d.year}"
            case DatePrecision.QUARTER:
                return f"Q{(d.month - 1) // 3 + 1} {d.year}"
            case _:
                return str(d.year)

    def __str__(self) -> str:
        return self.iso()
