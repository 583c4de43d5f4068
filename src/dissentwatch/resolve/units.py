"""The units gazetteer (``data/units.json``): canonical units for mentions, never guessed.

A mention's unit resolves to a ``canonical_id`` only when its number and kind (and the branch,
when the text names one: tank, motor rifle, marine ...) match exactly one entry. Otherwise the
surface form stays as it was, unresolved.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from typing import Any

from dissentwatch import packaged_json

_NUMBER = re.compile(r"\d{1,5}")


@cache
def gazetteer() -> dict[str, Any]:
    """The parsed ``units.json``: ``{"kinds": {...}, "branches": {...}, "units": [...]}``."""
    data: dict[str, Any] = packaged_json("units.json")
    return data


def units() -> list[dict[str, Any]]:
    return list(gazetteer()["units"])


@cache
def _by_id() -> dict[str, dict[str, Any]]:
    return {u["id"]: u for u in units()}


def unit_by_id(canonical_id: str) -> dict[str, Any] | None:
    return _by_id().get(canonical_id)


def _first_stem(text: str, lexicon: dict[str, list[str]]) -> str | None:
    lowered = text.casefold().replace("ё", "е")
    best: tuple[int, str] | None = None
    for key, stems in lexicon.items():
        for stem in stems:
            at = lowered.find(stem)
            if at >= 0 and (best is None or at < best[0]):
                best = (at, key)
    return best[1] if best else None


def kind_in_text(text: str) -> str | None:
    """The unit kind a text names ("полку", "regiment", "régiment" -> "regiment"), if any."""
    return _first_stem(text or "", gazetteer()["kinds"])


def branch_in_text(text: str) -> str | None:
    """The branch a text names ("мотострелкового", "motor rifle" -> "motor_rifle"), if any."""
    return _first_stem(text or "", gazetteer()["branches"])


def number_in_text(text: str) -> str | None:
    found = _NUMBER.search(text or "")
    return found.group(0).lstrip("0") or "0" if found else None


@cache
def _index() -> dict[tuple[str, str], list[dict[str, Any]]]:
    out: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for unit in units():
        out.setdefault((str(unit["number"]), unit["kind"]), []).append(unit)
    return out


def resolve_unit(unit: dict[str, Any] | None) -> dict[str, Any] | None:
    """The mention's unit with ``canonical_id`` set when exactly one gazetteer entry fits.

    The unit keeps the name it was written with; number and kind are filled from the name
    when missing. Ambiguous or unknown units come back without ``canonical_id``.
    """
    if not unit:
        return None
    key = tuple(str(unit.get(k) or "") for k in ("name", "number", "kind", "surface"))
    out = {k: v for k, v in unit.items() if k != "canonical_id"}
    out.update(_resolved_parts(key))
    return out


@lru_cache(maxsize=65536)
def _resolved_parts(key: tuple[str, ...]) -> dict[str, Any]:
    name, number, kind, surface = key
    out = _resolve({"name": name, "number": number or None, "kind": kind or None, "surface": surface or None})
    return {k: out[k] for k in ("number", "kind", "canonical_id") if k in out}


def _resolve(out: dict[str, Any]) -> dict[str, Any]:
    name = str(out.get("name") or "")
    out["number"] = str(out["number"]).lstrip("0") if out.get("number") else number_in_text(name)
    out["kind"] = out.get("kind") or kind_in_text(name)
    out.pop("canonical_id", None)
    if out.get("surface"):
        name = f"{name} {out['surface']}"
    match = match_unit(out["number"], out["kind"], branch_in_text(name))
    if match is not None:
        out["canonical_id"] = match["id"]
    return out


def match_unit(number: str | None, kind: str | None, branch: str | None = None) -> dict[str, Any] | None:
    """The single entry with this number and kind (and branch, when given); None otherwise."""
    if not number or not kind:
        return None
    found = _index().get((str(number), kind), [])
    if branch:
        found = [u for u in found if u.get("branch") == branch]
    return found[0] if len(found) == 1 else None


def display_name(unit: dict[str, Any], lang: str = "en") -> str:
    """A unit's name in a language, falling back to English, then to its surface form."""
    entry = unit_by_id(unit.get("canonical_id") or "")
    if entry:
        return str(entry["names"].get(lang) or entry["names"]["en"])
    return str(unit.get("name") or " ".join(str(v) for v in (unit.get("number"), unit.get("kind")) if v))
