"""Field extraction for one event: every value with the evidence span it was read from.

``extract_fields`` is the one entry point the pipeline calls. Each field has its own module
(``dates``, ``units``, ``regions``, ``participants`` ...); lexicons and the gazetteer are data
files (``fields/data/*.json``, ``dissentwatch/data/places.json``).
"""

from __future__ import annotations

from typing import Any

from dissentwatch.analyze.fields import addressee as _addressee
from dissentwatch.analyze.fields import affiliation as _affiliation
from dissentwatch.analyze.fields import casualties, cues, dates, participants, regions, units
from dissentwatch.analyze.fields.demands import demands as _demands
from dissentwatch.analyze.fields.grievances import grievances as _grievances
from dissentwatch.analyze.fields.places import GAZETTEER_VERSION
from dissentwatch.analyze.fields.status import status as _status
from dissentwatch.analyze.text import trim_span
from dissentwatch.models import Evidence

EXTRACTOR = "fields.v2+" + GAZETTEER_VERSION  # a gazetteer change re-analyzes documents too
_CONTEXT = 300
_LOOKBACK = 1500
"""How far before a segment the group may have been introduced (unit, origin, faces)."""
APPEALS = frozenset({"video_appeal", "written_appeal"})
"""Event types that have an addressee."""


class _Collector:
    """Fields and their evidence for one document; a value is kept only with a valid span."""

    def __init__(self, text: str, document_id: int, lookback: int = 0) -> None:
        self.text = text
        self.document_id = document_id
        self.lookback = lookback
        self.fields: dict[str, Any] = {}
        self.evidence: list[Evidence] = []

    def cite(self, field: str, start: int, end: int, value: Any) -> bool:
        start, end = trim_span(self.text, start, end)
        if not 0 <= start < end <= len(self.text):
            return False
        self.evidence.append(Evidence(field, self.document_id, start, end, self.text[start:end], value))
        return True

    def set(self, field: str, value: Any, start: int, end: int) -> None:
        if self.cite(field, start, end, value):
            self.fields[field] = value


def lookback_start(text: str, start: int, context_start: int | None = None) -> int:
    """Where the text that may introduce the event's group begins.

    ``context_start`` (the end of the previous event, when the caller knows it) bounds it; else a
    segment early in the document may use everything before it, and a later one its paragraph.
    """
    floor = max(0, start - _LOOKBACK)
    if context_start is not None:
        return min(start, max(floor, context_start))
    if start <= _LOOKBACK:
        return 0
    paragraph = text.rfind("\n\n", floor, start)
    return paragraph + 2 if paragraph >= 0 else previous_sentence_start(text, start)


def previous_sentence_start(text: str, start: int) -> int:
    """Where the sentence before ``start`` begins (at most a few hundred characters back)."""
    floor = max(0, start - _CONTEXT)
    head = text[floor:start].rstrip()
    for i in range(len(head) - 2, -1, -1):
        if head[i] in ".!?\n" and head[i + 1].isspace():
            return floor + i + 2
    return floor


def extract_fields(
    text: str,
    start: int,
    end: int,
    lang: str | None,
    published: str | None,
    document_id: int,
    event_type: str,
    context_start: int | None = None,
) -> tuple[dict[str, Any], list[Evidence]]:
    """The fields of one event read from ``text[start:end]`` (export shape of DESIGN.md).

    Every emitted value has an ``Evidence`` with absolute offsets into ``text`` whose quote is
    ``text[start:end]``; a value without evidence is not emitted. The group's unit, origin, faces
    and grievances may be read a little before ``start`` (see ``lookback_start``); a caller that
    knows where the previous event's text ends passes it as ``context_start``.
    """
    start, end = max(0, start), min(len(text), end)
    out = _Collector(text, document_id, lookback_start(text, start, context_start))
    context = previous_sentence_start(text, start)
    _date(out, start, end, context, published)
    unit = _unit(out, start, end, context)
    _actor(out, start, end, lang, unit)
    _places(out, start, end, context, lang)
    _people(out, start, end, lang)
    _appeal(out, start, end, context, lang, event_type)
    return out.fields, out.evidence


def _date(out: _Collector, start: int, end: int, context: int, published: str | None) -> None:
    found = dates.find_dates(out.text, start, end, published) or dates.find_dates(
        out.text, context, start, published)
    if found:
        first = found[0]
        out.set("date", first.value, first.start, first.end)
        if "date" in out.fields:
            out.fields["date_precision"] = first.precision
            out.fields["date_kind"] = "occurred"


def _unit(out: _Collector, start: int, end: int, context: int) -> units.UnitMatch | None:
    found = units.find_units(out.text, start, end)
    if not found and not units.names_a_unit(out.text, start, end):
        found = units.find_units(out.text, out.lookback, start)
    numbered = [u for u in found if u.number]
    if not numbered:
        return None
    unit = min(numbered, key=lambda u: (u.kind == "military_unit", u.start))
    out.set("unit", unit.as_value(), unit.start, unit.end)
    return unit


def _actor(out: _Collector, start: int, end: int, lang: str | None, unit: units.UnitMatch | None) -> None:
    status = _status(out.text, start, end, lang)
    if status:
        out.set("status", status.key, status.start, status.end)
    affiliation = _affiliation.affiliation(out.text, start, end, lang, unit)
    if affiliation:
        out.set("affiliation", affiliation[0], affiliation[1], affiliation[2])


def _places(out: _Collector, start: int, end: int, context: int, lang: str | None) -> None:
    home = regions.home_regions(out.text, start, end, lang) or regions.home_regions(
        out.text, out.lookback, start, lang)
    entries = [entry for entry, match in home if out.cite("home_regions", match.start, match.end, entry)]
    if entries:
        out.fields["home_regions"] = entries
    where = regions.location(out.text, start, end, lang, [m for _, m in home])
    if where:
        out.set("location", where[0], where[1].start, where[1].end)


def _people(out: _Collector, start: int, end: int, lang: str | None) -> None:
    count = (participants.find_participants(out.text, start, end)
             or participants.find_participants(out.text, previous_sentence_start(out.text, start), start)
             or participants.single_actor(out.text, start, end))
    if count:
        out.set("participants", count.value, count.start, count.end)
    faces = cues.faces_covered(out.text, start, end, lang) or cues.faces_covered(out.text, out.lookback, start, lang)
    for field, hit in (("faces_covered", faces),
                       ("spokesperson", cues.spokesperson(out.text, start, end, lang))):
        if hit:
            out.set(field, True, hit.start, hit.end)
    killed = casualties.killed_claimed(out.text, start, end)
    if killed:
        out.set("killed_claimed", killed.value, killed.start, killed.end)
    wounded = casualties.wounded_claimed(out.text, start, end)
    if wounded:
        out.set("wounded_claimed", wounded.value, wounded.start, wounded.end)


def _appeal(out: _Collector, start: int, end: int, context: int, lang: str | None, event_type: str) -> None:
    addressed = _addressee.addressee(out.text, start, end, lang) if event_type in APPEALS else None
    if addressed:
        out.set("addressee", addressed.key, addressed.start, addressed.end)
    form = _addressee.address_form(out.text, start, end)
    if form:
        out.set("address_form", out.text[form[0] : form[1]], form[0], form[1])
    for field, hits in (("grievances", _grievances(out.text, out.lookback, end, lang)),
                        ("demands", _demands(out.text, start, end, lang))):
        keys = [key for key, hit in hits.items() if out.cite(field, hit.start, hit.end, key)]
        if keys:
            out.fields[field] = keys
    disclaimers = [h for h in cues.disclaimers(out.text, start, end, lang)
                   if out.cite("disclaimers", h.start, h.end, out.text[h.start : h.end])]
    if disclaimers:
        out.fields["disclaimers"] = [out.text[h.start : h.end] for h in disclaimers]
