"""Checks of what people type: vocabulary keys, dates and regions, in filters and in edits.

One place for the CLI, the web pages and the JSON API, so that a typo gets the same answer
everywhere: an :class:`InvalidValue` whose message names the value, what is allowed, and the
closest allowed values ("unknown type 'refusl' (did you mean 'refusal'?); allowed: ...").
"""

from __future__ import annotations

import calendar
import difflib
import logging
import re
from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

from dissentwatch import packaged_json
from dissentwatch.models import vocabularies, vocabulary

log = logging.getLogger(__name__)

# An event date as the event model writes it: a year, a month, a day, or a day of an unknown year.
_EVENT_DATE = re.compile(r"^(?:(?P<year>[0-9]{4})(?:-(?P<month>[0-9]{2})(?:-(?P<day>[0-9]{2}))?)?"
                         r"|--(?P<md_month>[0-9]{2})-(?P<md_day>[0-9]{2}))$")
_ISO_SHAPE = re.compile(r"^[A-Za-z]{2}-[A-Za-z0-9]{1,3}$")


class InvalidValue(ValueError):
    """A value outside its vocabulary, gazetteer or format (the message says which and why)."""


def did_you_mean(value: str, allowed: Iterable[str]) -> list[str]:
    """Up to three allowed values that look like ``value`` (case-insensitive)."""
    options = {a.casefold(): a for a in allowed}
    close = difflib.get_close_matches(value.casefold(), list(options), n=3, cutoff=0.6)
    return [options[c] for c in close]


def unknown(what: str, value: Any, allowed: Sequence[str], *, show_allowed: bool = True) -> InvalidValue:
    """The error for a value that is not one of ``allowed``."""
    hint = did_you_mean(str(value), allowed)
    message = f"unknown {what} {value!r}"
    if hint:
        message += f" (did you mean {' or '.join(repr(h) for h in hint)}?)"
    if show_allowed:
        message += f"; allowed: {', '.join(allowed)}"
    return InvalidValue(message)


def vocabulary_keys(name: str) -> tuple[str, ...]:
    """The keys of a vocabulary in their packaged order (``type``, ``grievances`` ...)."""
    return tuple(vocabularies()[name])


def check_key(vocab: str, value: Any, what: str | None = None) -> str:
    """``value`` when it is a key of vocabulary ``vocab``, else :class:`InvalidValue`."""
    if not isinstance(value, str) or value not in vocabulary(vocab):
        raise unknown(what or vocab, value, vocabulary_keys(vocab))
    return value


def check_keys(vocab: str, values: Iterable[Any], what: str | None = None) -> list[str]:
    """Every value checked by :func:`check_key`, in order, duplicates dropped."""
    out: list[str] = []
    for value in values:
        key = check_key(vocab, value, what)
        if key not in out:
            out.append(key)
    return out


# -- dates -------------------------------------------------------------------------------


def _real_date(year: int | None, month: int | None, day: int | None) -> bool:
    if month is not None and not 1 <= month <= 12:
        return False
    if day is None:
        return True
    last = calendar.monthrange(year if year is not None else 2000, month or 1)[1]  # 2000: 29 Feb exists
    return 1 <= day <= last


def _number(text: str | None) -> int | None:
    return int(text) if text else None


def check_event_date(value: Any, what: str = "date") -> str:
    """An event date: 2023, 2023-03, 2023-03-06, or --03-06 (day and month, year unknown)."""
    match = _EVENT_DATE.fullmatch(value) if isinstance(value, str) else None
    if match is not None:
        year, month = _number(match["year"]), _number(match["month"] or match["md_month"])
        if _real_date(year, month, _number(match["day"] or match["md_day"])):
            return str(value)
    raise InvalidValue(f"{what} {value!r} is not a date: write 2023-03-06, 2023-03, 2023 or --03-06 "
                       "(day and month of an unknown year)")


def date_precision_of(date: str) -> str:
    """The precision an event date is written with: day, month or year."""
    if date.startswith("--") or len(date) == 10:
        return "day"
    return "month" if len(date) == 7 else "year"


def check_date_filter(value: str, what: str = "date") -> str:
    """A ``since``/``until`` bound: a year, month or day (2023, 2023-03, 2023-03-06) that
    :func:`~dissentwatch.store.events.is_date_filter` accepts."""
    from dissentwatch.store.events import is_date_filter

    if not is_date_filter(value):
        raise InvalidValue(f"{what} {value!r} is not a date like 2023, 2023-03 or 2023-03-06")
    return value


# -- regions -----------------------------------------------------------------------------


@cache
def region_names() -> dict[str, str]:
    """ISO 3166-2 code -> English name of every region of the packaged gazetteer."""
    return {str(r["iso"]): str(r["name"]) for r in packaged_json("places.json")["regions"]}


def region_code(value: str) -> str | None:
    """The gazetteer's ISO code for a region code or name (any language, any case form)."""
    from dissentwatch.resolve.places import region_iso

    if _ISO_SHAPE.match(value.strip()):
        code = value.strip().upper()
        return code if code in region_names() else None
    found = region_iso(value.strip())
    return found if found in region_names() else None


def unknown_region(value: str, what: str = "region") -> InvalidValue:
    """The error for a region the gazetteer does not know, with the closest codes or names."""
    names = region_names()
    pool = list(names) if _ISO_SHAPE.match(value.strip()) else list(names.values())
    hint = did_you_mean(value.strip(), pool)
    message = f"unknown {what} {value!r}: not in the gazetteer of regions"
    if hint:
        message += f" (did you mean {' or '.join(repr(h) for h in hint)}?)"
    return InvalidValue(message + "; give an ISO 3166-2 code such as RU-KGD or a region name such as "
                                  "'Kaliningrad Oblast'")


def check_region(value: str, what: str = "region") -> str:
    """The ISO code of a region filter or edit: a gazetteer code or a name it knows."""
    code = region_code(value) if value.strip() else None
    if code is None:
        raise unknown_region(value, what)
    return code


# -- the filters of event listings ---------------------------------------------------------


def check_event_filters(filters: dict[str, Any]) -> dict[str, Any]:
    """The filters of ``query_events`` with type, review status, dates and region checked;
    the region stays as given (a name also matches names), so a bad one fails here, loudly."""
    out = dict(filters)
    for key, vocab, what in (("type", "type", "type"), ("review_status", "review_status", "review status")):
        value = out.get(key)
        if value:
            out[key] = check_keys(vocab, [value] if isinstance(value, str) else value, what)
    for key in ("since", "until"):
        if out.get(key):
            out[key] = check_date_filter(str(out[key]), key)
    if out.get("region"):
        check_region(str(out["region"]))
    return out
