"""Glue to the places gazetteer of ``analyze.fields.places``: regions and locations to coordinates.

Resolve geocodes what a mention carries (``home_regions``, ``location``) and never guesses:
a name the gazetteer does not know keeps its surface form, without coordinates. When the
gazetteer module is not installed yet, every lookup answers ``None``.
"""

from __future__ import annotations

import dataclasses
import importlib
import logging
from functools import lru_cache
from typing import Any

log = logging.getLogger(__name__)


def _places_api() -> Any | None:
    try:
        return importlib.import_module("dissentwatch.analyze.fields.places")
    except ImportError:
        return None


def _as_dict(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if isinstance(value, dict):
        return value
    if hasattr(value, "as_dict"):
        return dict(value.as_dict())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return {k: getattr(value, k) for k in dir(value) if not k.startswith("_") and not callable(getattr(value, k))}


@lru_cache(maxsize=4096)
def region_iso(name: str) -> str | None:
    """The ISO 3166-2 code of a region name or code, in any language or inflection; else None."""
    api = _places_api()
    if api is None or not name:
        return None
    normalise = getattr(api, "normalise_region", None)
    found = normalise(name) if normalise else None
    if isinstance(found, str):
        return found or None
    record = _as_dict(found)
    return str(record["iso"]) if record and record.get("iso") else None


@lru_cache(maxsize=4096)
def region_record(iso: str) -> dict[str, Any] | None:
    """``{name, iso, lat, lon}`` of a region code, from the gazetteer."""
    api = _places_api()
    if api is None or not iso:
        return None
    lookup = getattr(api, "region_by_iso", None)
    record = _as_dict(lookup(iso)) if lookup else None
    if not record:
        return None
    names = record.get("names")
    name = record.get("name") or (names.get("en") if isinstance(names, dict) else None) or iso
    return {"name": name, "iso": iso, "lat": _coord(record, "lat"), "lon": _coord(record, "lon")}


def _coord(record: dict[str, Any], key: str) -> float | None:
    value = record.get(key)
    if value is None and isinstance(record.get("coordinates"), list | tuple):
        value = record["coordinates"][0 if key == "lat" else 1]
    return round(float(value), 4) if value is not None else None


def geocode_region(region: dict[str, Any] | str) -> dict[str, Any]:
    """A home region as ``{name, iso, lat, lon}``: filled from the gazetteer where it resolves."""
    entry = {"name": region} if isinstance(region, str) else dict(region)
    iso = entry.get("iso") or region_iso(str(entry.get("name") or ""))
    record = region_record(iso) if iso else None
    if record is None:
        return {"name": entry.get("name"), "iso": iso, "lat": entry.get("lat"), "lon": entry.get("lon")}
    return {"name": record["name"], "iso": iso,
            "lat": entry.get("lat") if entry.get("lat") is not None else record["lat"],
            "lon": entry.get("lon") if entry.get("lon") is not None else record["lon"]}


@lru_cache(maxsize=4096)
def _find_place(name: str) -> dict[str, Any] | None:
    api = _places_api()
    find = getattr(api, "find_places", None) if api is not None else None
    if find is None or not name:
        return None
    try:
        found = list(find(name))
    except Exception as exc:  # a gazetteer bug must not stop resolve
        log.warning("places: find_places(%r) failed: %s", name, exc)
        return None
    return _as_dict(found[0]) if found else None


def geocode_location(location: dict[str, Any] | str | None) -> dict[str, Any] | None:
    """A location as ``{name, lat, lon, precision}`` (plus ``region_iso`` where known)."""
    if not location:
        return None
    entry = {"name": location} if isinstance(location, str) else dict(location)
    if entry.get("lat") is not None and entry.get("lon") is not None:
        return entry
    found = _find_place(str(entry.get("name") or ""))
    if not found:
        return {"name": entry.get("name"), "lat": None, "lon": None, "precision": entry.get("precision")}
    iso = found.get("region_iso") or found.get("iso")
    out = {"name": entry.get("name") or found.get("name"), "lat": _coord(found, "lat"),
           "lon": _coord(found, "lon"), "precision": found.get("precision") or entry.get("precision")}
    if iso:
        out["region_iso"] = iso
    return out


def regions_in_text(text: str) -> frozenset[str]:
    """ISO codes of the regions the places gazetteer finds in a text (a clustering hint for
    mentions without ``home_regions``); empty without the gazetteer."""
    api = _places_api()
    find = getattr(api, "find_places", None) if api is not None else None
    if find is None or not text:
        return frozenset()
    try:
        found = [_as_dict(p) for p in find(text)]
    except Exception as exc:  # a gazetteer bug must not stop resolve
        log.warning("places: find_places failed: %s", exc)
        return frozenset()
    return frozenset(str(p.get("region_iso") or p.get("iso")) for p in found
                     if p and (p.get("region_iso") or p.get("iso")))
