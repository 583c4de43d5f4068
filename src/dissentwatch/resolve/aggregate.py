"""An event's fields from its mentions: the most supported value per field, unions for lists.

Analysts' edits win: a field named in ``locked_fields`` keeps the value the event already has.
Units are canonicalised through the units gazetteer, regions and locations geocoded through the
places gazetteer.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from dissentwatch.resolve.features import ordinal, parse_event_date
from dissentwatch.resolve.places import geocode_location, geocode_region
from dissentwatch.resolve.units import display_name, resolve_unit

VOTED = ("affiliation", "status", "addressee", "address_form", "participants", "faces_covered",
         "spokesperson", "killed_claimed", "wounded_claimed")
UNIONED = ("grievances", "demands", "disclaimers")
_PRECISION = {"day": 3, "month": 2, "year": 1}


def _key(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def vote(values: Iterable[Any]) -> Any:
    """The most frequent non-empty value (first seen wins a tie); None when there is none."""
    counts: Counter[str] = Counter()
    first: dict[str, Any] = {}
    for value in values:
        if value is None or value == [] or value == "":
            continue
        key = _key(value)
        counts[key] += 1
        first.setdefault(key, value)
    if not counts:
        return None
    best = max(counts.values())
    return next(first[k] for k in first if counts[k] == best)


def union(lists: Iterable[Sequence[Any] | None]) -> list[Any]:
    """All values of several lists, most frequent first, each once."""
    counts: Counter[str] = Counter()
    first: dict[str, Any] = {}
    for values in lists:
        for value in values or []:
            key = _key(value)
            counts[key] += 1
            first.setdefault(key, value)
    return [first[k] for k in sorted(first, key=lambda k: -counts[k])]


def date_precision(value: str | None) -> str | None:
    if not value:
        return None
    if value.startswith("--") or len(value) >= 10:
        return "day"
    return "month" if len(value) == 7 else "year"


def choose_date(fields: Sequence[Mapping[str, Any]]) -> tuple[str | None, str | None]:
    """(date, date_kind): the date most mentions agree with, the most precise on a tie."""
    dates = [f["date"] for f in fields if f.get("date")]
    if not dates:
        return None, None

    def support(candidate: str) -> tuple[int, int, int]:
        agree = sum(_compatible(candidate, other) for other in dates)
        full_year = int(not candidate.startswith("--"))
        return agree, _PRECISION.get(date_precision(candidate) or "", 0), full_year

    best = max(dates, key=support)
    kinds = [f.get("date_kind") for f in fields if f.get("date") and _compatible(best, f["date"])]
    return best, vote(kinds) or "occurred"


def _compatible(a: str, b: str) -> bool:
    """True when two DESIGN.md dates can name the same day ("--03-06" and "2023-03-06")."""
    if a == b:
        return True
    if a.startswith("--") or b.startswith("--"):
        return a[-5:] == b[-5:] and len(a) >= 7 and len(b) >= 7 and len(a[-5:]) == 5
    shorter, longer = sorted((a, b), key=len)
    return longer.startswith(shorter)


def choose_unit(units: Sequence[Mapping[str, Any] | None]) -> dict[str, Any] | None:
    """The unit most mentions name (by number and kind), written as most of them write it."""
    resolved = [r for r in (resolve_unit(dict(u)) for u in units if u) if r]
    if not resolved:
        return None
    numbered = [u for u in resolved if u.get("number")]
    pool = numbered or resolved
    key = vote([[u.get("number"), u.get("kind")] for u in pool if u.get("kind")] or
               [[u.get("number"), None] for u in pool])
    chosen = [u for u in pool if [u.get("number"), u.get("kind")] == key] or pool
    out = dict(chosen[0])
    out["name"] = vote([u.get("name") for u in chosen]) or out.get("name")
    if not out.get("kind"):
        out["kind"] = vote([u.get("kind") for u in pool if u.get("number") == out.get("number")])
    unit = resolve_unit(out)
    if unit and unit.get("canonical_id"):
        unit["surface"] = unit.get("name")
        unit["name"] = display_name(unit, "en")
    return unit


def sort_date(event_date: str | None, first_published: str | None) -> str | None:
    """A full, sortable ISO date for the event: its own date (a missing year taken from the
    first publication), else the first publication's day."""
    published = ordinal(first_published)
    parsed = parse_event_date(event_date, published)
    if "day" in parsed:
        return date.fromordinal(parsed["day"]).isoformat()
    if event_date and not event_date.startswith("--") and len(event_date) in (4, 7):
        return event_date
    return first_published[:10] if first_published else None


def confidence(members: Sequence[Mapping[str, Any]]) -> float:
    """Noisy-or of the best mention confidence per independent source (copies count once)."""
    best: dict[Any, float] = {}
    for m in members:
        root = m.get("copy_of") or m.get("document_id")
        best[root] = max(best.get(root, 0.0), float(m.get("mention_confidence") or 0.5))
    miss = 1.0
    for value in best.values():
        miss *= 1.0 - min(value, 0.95)
    return round(min(0.99, 1.0 - miss), 3)


def aggregate_event(
    members: Sequence[Mapping[str, Any]], existing: Mapping[str, Any] | None = None,
    locked: Iterable[str] = (),
) -> dict[str, Any]:
    """The export-shape fields of an event (no id, sources-free) from its member mention rows.

    ``members`` are rows of ``store.events.event_mention_rows`` (mention fields as JSON text).
    """
    fields = [json.loads(m["mention_fields"] or "{}") for m in members]
    event_date, date_kind = choose_date(fields)
    shape: dict[str, Any] = {
        "type": vote(m["mention_type"] for m in members),
        "by_relatives": sum(bool(m["mention_by_relatives"]) for m in members) * 2 > len(members),
        "date": event_date,
        "date_precision": date_precision(event_date),
        "date_kind": date_kind,
        "unit": choose_unit([f.get("unit") for f in fields]),
    }
    for name in VOTED:
        shape[name] = vote(f.get(name) for f in fields)
    shape["home_regions"] = _regions(union(f.get("home_regions") for f in fields))
    shape["location"] = geocode_location(vote(f.get("location") for f in fields))
    for name in UNIONED:
        shape[name] = union(f.get(name) for f in fields)
    shape["confidence"] = confidence(members)
    shape["sources"] = _sources(members)
    kept = set(locked)
    for name in kept:
        if existing is not None and name in existing:
            shape[name] = existing[name]
    if "date" in kept and "date_precision" not in kept:
        shape["date_precision"] = date_precision(shape["date"])
    published = min((m["published"] for m in members if m["published"]), default=None)
    shape["sort_date"] = sort_date(shape["date"], published)  # an analyst's date orders the event too
    return shape


def _regions(regions: Sequence[Any]) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for region in regions:
        geo = geocode_region(region)
        key = geo.get("iso") or str(geo.get("name") or "").casefold()
        if key and key not in seen:
            seen[key] = geo
    return list(seen.values())


def _sources(members: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    seen: dict[Any, dict[str, Any]] = {}
    for m in members:
        seen.setdefault(m["document_id"], {
            "document_id": m["external_id"], "url": m["url"], "outlet": m["outlet"],
            "published": m["published"], "language": m["language"],
        })
    return list(seen.values())
