"""The period of a report: whole days from ``since`` to ``until``, both included.

``Period.parse("2023-03", "2023-03")`` is March 2023 (a month or a year stands for its first day
as ``since`` and its last day as ``until``). The previous report is the period of the same
length just before: :meth:`Period.previous`.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

_DATE = re.compile(r"^(?P<year>[0-9]{4})(?:-(?P<month>[0-9]{2})(?:-(?P<day>[0-9]{2}))?)?$")


class PeriodError(ValueError):
    """A date that is not YYYY, YYYY-MM or YYYY-MM-DD, or a period that ends before it starts."""


@dataclass(frozen=True)
class Period:
    since: date
    until: date

    @classmethod
    def parse(cls, since: str, until: str) -> Period:
        start, end = parse_day(since, "since", last=False), parse_day(until, "until", last=True)
        if end < start:
            raise PeriodError(f"--until {until} is before --since {since}")
        return cls(start, end)

    @property
    def days(self) -> int:
        return (self.until - self.since).days + 1

    def previous(self) -> Period:
        """The period of the same number of days that ends the day before this one starts."""
        end = self.since - timedelta(days=1)
        return Period(end - timedelta(days=self.days - 1), end)

    def mondays(self) -> list[date]:
        """The Monday of every ISO week the period touches."""
        first = self.since - timedelta(days=self.since.weekday())
        return [first + timedelta(weeks=i) for i in range((self.until - first).days // 7 + 1)]

    @property
    def label(self) -> str:
        """"6 – 12 March 2023", "28 February – 6 March 2023", "1 March 2023"."""
        a, b = self.since, self.until
        if a == b:
            return _day(b)
        if (a.year, a.month) == (b.year, b.month):
            return f"{a.day} – {_day(b)}"
        if a.year == b.year:
            return f"{a.day} {calendar.month_name[a.month]} – {_day(b)}"
        return f"{_day(a)} – {_day(b)}"


def _day(d: date) -> str:
    return f"{d.day} {calendar.month_name[d.month]} {d.year}"


def parse_day(value: str, what: str, last: bool) -> date:
    """A day from YYYY-MM-DD, or the first (``last=False``) or last day of YYYY-MM or YYYY."""
    match = _DATE.match(value.strip()) if isinstance(value, str) else None
    if not match:
        raise PeriodError(f"{what} {value!r} is not a date: use YYYY-MM-DD (or YYYY-MM, YYYY)")
    year, month, day = int(match["year"]), match["month"], match["day"]
    try:
        if day is not None:
            return date(year, int(month), int(day))
        if month is not None:
            m = int(month)
            return date(year, m, calendar.monthrange(year, m)[1] if last else 1)
        return date(year, 12, 31) if last else date(year, 1, 1)
    except ValueError as exc:
        raise PeriodError(f"{what} {value!r} is not a date: {exc}") from None
