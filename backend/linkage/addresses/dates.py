"""Approximate dates: victims remember "March 2026" or "between the 3rd and the 10th"."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from backend.linkage.addresses._model import InvalidValue
from backend.linkage.addresses._text import clean

__all__ = ["ApproximateDate", "DateError"]

_MONTH = re.compile(r"(\d{4})-(\d{2})")
#: A phone's clock and time zone may run a day ahead of the server's.
_GRACE = dt.timedelta(days=1)


class DateError(InvalidValue):
    """A date or range that cannot be right."""


@dataclass(frozen=True, slots=True)
class ApproximateDate:
    """A day, or the range of days something happened within (both ends included).

    Construct it with ``day``, ``month``, ``between`` or ``parse``, each of
    which takes ``today`` so that "not in the future" is decided by the caller's
    clock (and tests stay deterministic).

    Attributes:
        start: The first possible day.
        end: The last possible day; equal to ``start`` for an exact day.
    """

    start: dt.date
    end: dt.date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise DateError(
                "end_before_start", f"the range ends ({self.end}) before it starts ({self.start})"
            )

    @classmethod
    def between(cls, start: dt.date, end: dt.date, *, today: dt.date) -> ApproximateDate:
        """A range of days.

        Raises:
            DateError: ``end_before_start``, or ``in_the_future`` when it
                starts more than a day after ``today``.
        """
        if end > today + _GRACE:
            raise DateError("in_the_future", f"{end} is in the future")
        return cls(start, end)

    @classmethod
    def day(cls, day: dt.date, *, today: dt.date) -> ApproximateDate:
        """One known day."""
        return cls.between(day, day, today=today)

    @classmethod
    def month(cls, year: int, month: int, *, today: dt.date) -> ApproximateDate:
        """Some day in a month (the month under way ends today, plus the day of grace)."""
        try:
            last = calendar.monthrange(year, month)[1]
            start, end = dt.date(year, month, 1), dt.date(year, month, last)
        except ValueError:
            raise DateError("malformed", f"{year}-{month:02d} is not a month") from None
        if start > today + _GRACE:
            raise DateError("in_the_future", f"{year}-{month:02d} is in the future")
        # the month under way: it happened by now
        return cls.between(start, min(end, today + _GRACE), today=today)

    @classmethod
    def parse(cls, text: str, *, today: dt.date) -> ApproximateDate:
        """Read ``2026-03-14``, ``2026-03`` or ``2026-03-01/2026-03-20`` (ISO 8601).

        Raises:
            DateError: Not one of those forms, or an impossible range.
        """
        value = clean(text)
        try:
            if "/" in value:
                first, _, last = value.partition("/")
                return cls.between(
                    dt.date.fromisoformat(first), dt.date.fromisoformat(last), today=today
                )
            month = _MONTH.fullmatch(value)
            if month:
                return cls.month(int(month.group(1)), int(month.group(2)), today=today)
            if len(value) == 10:
                return cls.day(dt.date.fromisoformat(value), today=today)
        except ValueError as exc:
            if isinstance(exc, DateError):
                raise
            raise DateError("malformed", f"{value!r} is not a date") from None
        raise DateError(
            "malformed", "a date is 2026-03-14, a month 2026-03, a range 2026-03-01/2026-03-20"
        )

    @property
    def is_exact(self) -> bool:
        """Whether the day is known."""
        return self.start == self.end

    def __str__(self) -> str:
        if self.is_exact:
            return self.start.isoformat()
        last = calendar.monthrange(self.start.year, self.start.month)[1]
        if self.start.day == 1 and self.end == self.start.replace(day=last):
            return self.start.strftime("%Y-%m")
        return f"{self.start.isoformat()}/{self.end.isoformat()}"
