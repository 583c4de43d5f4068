"""Affiliation of the unit: an explicit cue (Росгвардия, ЧВК «Вагнер», «народной милиции ЛНР»),
else the units gazetteer when the unit's number and kind name exactly one formation there.
"""

from __future__ import annotations

from functools import cache

from dissentwatch import packaged_json
from dissentwatch.analyze.fields import lexicon
from dissentwatch.analyze.fields.units import UnitMatch

_PRIORITY = ("pmc", "national_guard", "dnr_lnr", "defence_ministry")


@cache
def _gazetteer_affiliations() -> dict[tuple[str, str], set[str]]:
    out: dict[tuple[str, str], set[str]] = {}
    for unit in packaged_json("units.json").get("units", []):
        if unit.get("affiliation"):
            out.setdefault((str(unit["number"]), unit["kind"]), set()).add(unit["affiliation"])
    return out


def affiliation(text: str, start: int, end: int, lang: str | None,
                unit: UnitMatch | None) -> tuple[str, int, int] | None:
    """``(key, start, end)`` of the evidence for the affiliation, or None."""
    hits = {h.key: h for h in reversed(lexicon.load("affiliation").find(text, lang, start, end))}
    for key in _PRIORITY[:3]:
        if key in hits:
            return key, hits[key].start, hits[key].end
    if unit is not None and unit.number:
        known = _gazetteer_affiliations().get((unit.number, unit.kind), set())
        if len(known) == 1:
            return next(iter(known)), unit.start, unit.end
    if "defence_ministry" in hits:
        return "defence_ministry", hits["defence_ministry"].start, hits["defence_ministry"].end
    return None
