"""Publication times from sources, normalised to ISO-8601 UTC."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone

from dissentwatch.models import to_utc_iso

_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DAY_FIRST = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")


def parse_published(value: object, default_tz: timezone = UTC) -> str:
    """ISO date or datetime (with or without offset), a day-first date as spreadsheets in
    Russia and most of Europe write it (``06.03.2023``, ``06.03.2023 14:30``,
    ``06.03.2023 14:30:15``), or a Unix timestamp → UTC ISO string.

    A date alone stays a date (``2023-03-06``): inventing a midnight would claim a precision
    the source does not give. Naive datetimes are read in ``default_tz``.
    """
    try:
        return _parse_published(value, default_tz)
    except (OverflowError, OSError) as exc:  # a Unix time out of any calendar's range
        raise ValueError(f"out of range ({exc})") from None
    except ValueError:
        raise ValueError("not an ISO-8601 date or time, a DD.MM.YYYY date, nor a Unix time") from None


def _parse_published(value: object, default_tz: timezone) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return to_utc_iso(datetime.fromtimestamp(float(value), tz=UTC))
    if isinstance(value, datetime):
        return to_utc_iso(value if value.tzinfo else value.replace(tzinfo=default_tz))
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    if _DATE_ONLY.match(text):
        return date.fromisoformat(text).isoformat()
    day_first = _DAY_FIRST.match(text)
    if day_first:
        return _day_first(day_first, default_tz)
    if text.isdigit():
        return to_utc_iso(datetime.fromtimestamp(int(text), tz=UTC))
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T", 1))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=default_tz)
    return to_utc_iso(parsed)


def _day_first(match: re.Match[str], default_tz: timezone) -> str:
    day, month, year, hour, minute, second = match.groups()
    if hour is None:
        return date(int(year), int(month), int(day)).isoformat()
    moment = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0), tzinfo=default_tz)
    return to_utc_iso(moment)


def fixed_offset(minutes: int) -> timezone:
    return timezone(timedelta(minutes=minutes))
