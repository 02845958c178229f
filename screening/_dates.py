"""Partial ISO dates ("YYYY", "YYYY-MM", "YYYY-MM-DD") as ranges of days."""

from __future__ import annotations

import calendar
import re
from datetime import date

_DATE = re.compile(r"^(?P<y>\d{4})(?:-(?P<m>\d{2})(?:-(?P<d>\d{2}))?)?$")


def date_bounds(text: str) -> tuple[date, date, bool]:
    """Return the first and last day the text may mean, and whether it is partial.

    Raises:
        ValueError: The text is not an ISO date, year-month or year.
    """
    match = _DATE.match(text)
    if match is None:
        raise ValueError("expected YYYY-MM-DD, YYYY-MM or YYYY")
    year = int(match["y"])
    if match["m"] is None:
        return date(year, 1, 1), date(year, 12, 31), True
    month = int(match["m"])
    if match["d"] is None:
        first = date(year, month, 1)  # raises ValueError on a bad month or year 0
        return first, date(year, month, calendar.monthrange(year, month)[1]), True
    day = date(year, month, int(match["d"]))
    return day, day, False


def age_on(birth: date, on: date) -> int:
    """Completed years of age on a given day (negative if born later)."""
    years = on.year - birth.year
    if (on.month, on.day) < (birth.month, birth.day):
        years -= 1
    return years
