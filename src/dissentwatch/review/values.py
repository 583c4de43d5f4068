"""What an analyst may write into a field: each editable field's check, against the vocabularies,
the event model's date formats and the packaged gazetteer of regions (``data/places.json``).

:func:`checked_value` returns the value in the export shape (a region name becomes
``{name, iso, lat, lon}``, "5-10" participants become ``[5, 10]``) or raises
:class:`~dissentwatch.validation.InvalidValue` naming the field, the value and what is allowed.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from dissentwatch.validation import (
    InvalidValue,
    check_event_date,
    check_key,
    check_keys,
    region_code,
    unknown_region,
    vocabulary_keys,
)

log = logging.getLogger(__name__)

# Fields whose values are keys of a vocabulary (the web form offers them as choices).
VOCABULARY_FIELDS: dict[str, str] = {
    "type": "type", "date_precision": "date_precision", "date_kind": "date_kind",
    "affiliation": "affiliation", "status": "status", "addressee": "addressee",
    "grievances": "grievances", "demands": "demands",
}
LIST_FIELDS = ("grievances", "demands")
REQUIRED_FIELDS = ("type",)
LOCATION_PRECISIONS = ("exact", "city", "region", "country")
MAX_COUNT = 1_000_000  # more soldiers than any unit has: a typo
MAX_TEXT = 500
_RANGE = re.compile(r"^\s*(\d+)\s*(?:-|–|\.\.)\s*(\d+)\s*$")
_UNIT_KEYS = ("name", "number", "kind", "canonical_id")
_REGION_KEYS = ("name", "iso", "lat", "lon", "city")
_LOCATION_KEYS = ("name", "lat", "lon", "precision", "region_iso", "region_name")
_TRUE, _FALSE = ("true", "yes", "1"), ("false", "no", "0")


def _vocabulary_check(field: str) -> Callable[[Any], Any]:
    return lambda value: check_key(VOCABULARY_FIELDS[field], value, field)


def _list_check(field: str) -> Callable[[Any], Any]:
    def check(value: Any) -> list[str]:
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, list):
            raise InvalidValue(f"{field} takes a list of keys, not {value!r}")
        return check_keys(VOCABULARY_FIELDS[field], value, field)

    return check


def _flag(field: str) -> Callable[[Any], Any]:
    def check(value: Any) -> bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE or text in _FALSE:
            return text in _TRUE
        raise InvalidValue(f"{field} takes true or false, not {value!r}")

    return check


def _count(field: str, value: Any, low: int = 0) -> int:
    """A whole number between ``low`` and :data:`MAX_COUNT` (also written as text: "12")."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= MAX_COUNT:
        raise InvalidValue(f"{field} takes a whole number from {low} to {MAX_COUNT:,}, not {value!r}")
    return value


def _casualties(field: str) -> Callable[[Any], Any]:
    return lambda value: _count(field, value)


def check_participants(value: Any) -> int | list[int]:
    """A count (12) or a range ([5, 10], "5-10") of people, at least one."""
    if isinstance(value, str) and _RANGE.match(value):
        match = _RANGE.match(value)
        assert match is not None
        value = [int(match.group(1)), int(match.group(2))]
    if isinstance(value, list):
        if len(value) != 2:
            raise InvalidValue(f"participants takes a number or a range [low, high], not {value!r}")
        low, high = (_count("participants", v, 1) for v in value)
        if low > high:
            raise InvalidValue(f"participants range {value!r} runs backwards: write [low, high]")
        return [low, high] if low != high else low
    try:
        return _count("participants", value, 1)
    except InvalidValue:
        raise InvalidValue(f"participants takes a number (12) or a range (5-10 or [5, 10]), "
                           f"not {value!r}") from None


def _text(field: str, value: Any) -> str:
    if not isinstance(value, str | int) or isinstance(value, bool) or not str(value).strip():
        raise InvalidValue(f"{field} takes text, not {value!r}")
    text = " ".join(str(value).split())
    if len(text) > MAX_TEXT:
        raise InvalidValue(f"{field} is too long ({len(text)} characters; {MAX_TEXT} at most)")
    return text


def _only_keys(field: str, value: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
    extra = sorted(set(value) - set(allowed))
    if extra:
        raise InvalidValue(f"{field} has unknown keys {', '.join(extra)}; allowed: {', '.join(allowed)}")


def check_unit(value: Any) -> dict[str, Any]:
    """``{name, number, kind, canonical_id}``; a plain text is the unit's name."""
    if isinstance(value, int) and not isinstance(value, bool) or isinstance(value, str) and value.isdigit():
        value = {"number": str(value)}
    if isinstance(value, str):
        value = {"name": _text("unit", value)}
    if not isinstance(value, dict):
        raise InvalidValue(f'unit takes a name or {{"name": ..., "number": ..., "kind": ...}}, not {value!r}')
    _only_keys("unit", value, _UNIT_KEYS)
    unit = {k: _text(f"unit {k}", v) for k, v in value.items() if v not in (None, "")}
    if "number" in unit and not unit["number"].isdigit():
        raise InvalidValue(f"unit number takes digits (255), not {unit['number']!r}")
    if "kind" in unit:
        check_key("unit_kind", unit["kind"], "unit kind")
    if not unit.get("name") and not unit.get("number"):
        raise InvalidValue("unit needs a name or a number")
    return unit


def _coordinate(field: str, key: str, value: Any) -> float:
    limit = 90 if key == "lat" else 180
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) \
            or not -limit <= value <= limit:
        raise InvalidValue(f"{field} {key} takes a number from {-limit} to {limit}, not {value!r}")
    return round(float(value), 4)


def check_home_region(value: Any) -> dict[str, Any]:
    """One home region, by gazetteer code or name, as ``{name, iso, lat, lon}``."""
    from dissentwatch.resolve.places import region_record

    entry: dict[str, Any] = {"name": value} if isinstance(value, str) else value
    if not isinstance(entry, dict):
        raise InvalidValue(f"home region takes a name, a code or {{\"iso\": ...}}, not {value!r}")
    _only_keys("home region", entry, _REGION_KEYS)
    given = str(entry.get("iso") or entry.get("name") or "").strip()
    iso = region_code(given) if given else None
    if iso is None:
        raise unknown_region(given, "home region")
    named = region_code(str(entry["name"])) if entry.get("name") and entry.get("iso") else iso
    if named != iso:
        raise InvalidValue(f"home region name {entry['name']!r} is {named or 'not in the gazetteer'}, "
                           f"not {entry['iso']!r}: give one of them")
    record = dict(region_record(iso) or {})
    for key in ("lat", "lon"):
        if entry.get(key) is not None:
            record[key] = _coordinate("home region", key, entry[key])
    if entry.get("city"):
        record["city"] = _text("home region city", entry["city"])
    return record


def check_home_regions(value: Any) -> list[dict[str, Any]]:
    """Home regions: a list, or names and codes separated by ";" ("RU-KGD; Murmansk Oblast")."""
    if isinstance(value, str):
        value = [v.strip() for v in value.split(";") if v.strip()]
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list):
        raise InvalidValue(f"home_regions takes a list of regions, not {value!r}")
    regions: list[dict[str, Any]] = []
    for item in value:
        region = check_home_region(item)
        if all(r["iso"] != region["iso"] for r in regions):
            regions.append(region)
    return regions


def check_location(value: Any) -> dict[str, Any]:
    """Where it happened: a place of the gazetteer by name, or ``{name, lat, lon, precision}``."""
    from dissentwatch.resolve.places import geocode_location

    entry: dict[str, Any] = {"name": _text("location", value)} if isinstance(value, str) else value
    if not isinstance(entry, dict):
        raise InvalidValue(f'location takes a place name or {{"name": ..., "lat": ..., "lon": ...}}, not {value!r}')
    _only_keys("location", entry, _LOCATION_KEYS)
    if entry.get("precision") is not None and entry["precision"] not in LOCATION_PRECISIONS:
        raise InvalidValue(f"unknown location precision {entry['precision']!r}; "
                           f"allowed: {', '.join(LOCATION_PRECISIONS)}")
    if entry.get("lat") is None or entry.get("lon") is None:
        found = geocode_location(entry) or {}
        if found.get("lat") is None or found.get("lon") is None:
            raise InvalidValue(f"unknown location {entry.get('name')!r}: not in the gazetteer; give its "
                               'coordinates: {"name": ..., "lat": ..., "lon": ..., "precision": "city"}')
        entry = {**entry, **{k: v for k, v in found.items() if v is not None}}
    entry["lat"], entry["lon"] = (_coordinate("location", k, entry[k]) for k in ("lat", "lon"))
    if entry.get("region_iso") is not None and region_code(str(entry["region_iso"])) is None:
        raise unknown_region(str(entry["region_iso"]), "location region")
    if entry.get("name") is not None:
        entry["name"] = _text("location name", entry["name"])
    return entry


def check_disclaimers(value: Any) -> list[str]:
    """Disclaimers as stated: a list of texts, or texts separated by ";"."""
    if isinstance(value, str):
        value = [v for v in value.split(";") if v.strip()]
    if not isinstance(value, list):
        raise InvalidValue(f"disclaimers takes a list of texts, not {value!r}")
    return [_text("disclaimer", v) for v in value]


CHECKS: dict[str, Callable[[Any], Any]] = {
    **{f: _vocabulary_check(f) for f in VOCABULARY_FIELDS if f not in LIST_FIELDS},
    **{f: _list_check(f) for f in LIST_FIELDS},
    **{f: _flag(f) for f in ("by_relatives", "faces_covered", "spokesperson")},
    **{f: _casualties(f) for f in ("killed_claimed", "wounded_claimed")},
    "date": lambda value: check_event_date(str(value) if type(value) is int else value),  # 2023 from JSON
    "participants": check_participants, "unit": check_unit,
    "home_regions": check_home_regions, "location": check_location, "disclaimers": check_disclaimers,
    "address_form": lambda value: _text("address_form", value),
}


def checked_value(field: str, value: Any) -> Any:
    """``value`` for ``field`` in the export shape; empty clears the field (None)."""
    if value in ("", [], {}, None):
        if field in REQUIRED_FIELDS:
            raise InvalidValue(f"{field} cannot be emptied: every event has one")
        return None
    if isinstance(value, str):
        value = value.strip()
    return CHECKS[field](value)


def edit_choices(event: Mapping[str, Any]) -> list[dict[str, Any]]:
    """For a form: each vocabulary field with its keys and the event's current value(s)."""
    out = []
    for field, vocab in VOCABULARY_FIELDS.items():
        current = event.get(field)
        out.append({"field": field, "vocab": vocab, "multiple": field in LIST_FIELDS,
                    "options": vocabulary_keys(vocab),
                    "current": list(current) if isinstance(current, list) else [current]})
    return out
