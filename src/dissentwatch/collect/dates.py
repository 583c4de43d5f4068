"""Publication times from sources, normalised to ISO-8601 UTC."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone

from dissentwatch.models import to_utc_iso

_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_published(value: object, default_tz: timezone = UTC) -> str:
    """ISO date or datetime (with or without offset), or a Unix timestamp → UTC ISO string.

    A date alone stays a date (``2023-03-06``): inventing a midnight would claim a precision
    the source does not give. Naive datetimes are read in ``default_tz``.
    """
    try:
        return _parse_published(value, default_tz)
    except (OverflowError, OSError) as exc:  # a Unix time out of any calendar's range
        raise ValueError(f"out of range ({exc})") from None
    except ValueError:
        raise ValueError("not an ISO-8601 date or time, nor a Unix time") from None


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
    if text.isdigit():
        return to_utc_iso(datetime.fromtimestamp(int(text), tz=UTC))
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T", 1))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=default_tz)
    return to_utc_iso(parsed)


def fixed_offset(minutes: int) -> timezone:
    return timezone(timedelta(minutes=minutes))
