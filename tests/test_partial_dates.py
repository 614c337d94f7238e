from datetime import date

import pytest

from app.partial_dates import PartialDate
from app.vocab import DatePrecision


@pytest.mark.parametrize(
    ("text", "start", "end", "precision", "human"),
    [
        ("2015", date(2015, 1, 1), date(2015, 12, 31), DatePrecision.YEAR, "2015"),
        ("2015-Q4", date(2015, 10, 1), date(2015, 12, 31), DatePrecision.QUARTER, "Q4 2015"),
        ("2016-02", date(2016, 2, 1), date(2016, 2, 29), DatePrecision.MONTH, "Feb 2016"),
        ("2015-11-19", date(2015, 11, 19), date(2015, 11, 19), DatePrecision.DAY, "19 Nov 2015"),
    ],
)
def test_parse_round_trip(text, start, end, precision, human):
    parsed = PartialDate.parse(text)
    assert (parsed.start, parsed.end, parsed.precision) == (start, end, precision)
    assert parsed.iso() == text
    assert parsed.human() == human


@pytest.mark.parametrize("text", ["15", "2015-13", "2015-02-30", "2015-Q5", "Nov 2015", "", "1800"])
def test_malformed_dates_are_refused_with_a_reason(text):
    with pytest.raises(ValueError) as excinfo:
        PartialDate.parse(text)
    assert str(excinfo.value)
