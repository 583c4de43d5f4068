"""Segmentation: sentence candidates → one span per distinct event of a document.

Candidates of the same type (and the same actor: soldiers or relatives) are one event unless a
new anchor separates them: another unit number, another date, or an explicit "another video".
Unspecified appeals become video appeals when a video is near, are folded into a video appeal
of the same document, or else count as written appeals. A prosecution absorbs the refusal or
desertion it punishes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from dissentwatch.analyze.classify import Candidate
from dissentwatch.analyze.lexicons import pattern

SEGMENT_VERSION = "segment_anchors.v1"
_UNIT_NOUN = (
    r"(?:полк|бригад|батальон|дивизи|отряд|рот[аыуе]|regiment|brigade|battalion|division|"
    r"r[ée]giment|bataillon|brigad|pułk|бригади|полку)"
)
_UNIT_NUMBER = re.compile(
    r"(?<![\w/])(\d{1,4})(?:-?(?:й|я|го|ой|ая|ей|ого|th|st|nd|rd|e|ème|\.))?\s+(?:[\w-]+\s+){0,3}?" + _UNIT_NOUN
    + r"|(?:в/ч|воинск\w+ част\w+|military unit|jednostki wojskowej)\s*(?:№\s*)?(\d{4,5})"
)
_MONTHS = (
    r"(?:январ|феврал|март|апрел|ма[яй]|июн|июл|август|сентябр|октябр|ноябр|декабр|січн|лют|березн|квітн|травн|"
    r"червн|липн|серпн|вересн|жовтн|листопад|грудн|january|february|march|april|may|june|july|august|september|"
    r"october|november|december|janvier|f[ée]vrier|mars|avril|mai|juin|juillet|ao[uû]t|septembre|octobre|"
    r"novembre|d[ée]cembre)\w*"
)
_DATE = re.compile(rf"(?<!\w)(\d{{1,2}})(?:-?(?:го|е|er))?\s+{_MONTHS}|(?<!\w){_MONTHS}\s+(\d{{1,2}})(?!\d)")


@dataclass
class Segment:
    """The sentences that report one event."""

    type: str
    by_relatives: bool
    candidates: list[Candidate] = field(default_factory=list)
    units: set[str] = field(default_factory=set)
    dates: set[str] = field(default_factory=set)

    @property
    def start(self) -> int:
        return min(c.start for c in self.candidates)

    @property
    def end(self) -> int:
        return max(c.end for c in self.candidates)

    @property
    def score(self) -> float:
        return max(c.score for c in self.candidates)


def anchors(view: str, start: int, end: int) -> tuple[set[str], set[str]]:
    """Unit numbers and day-month dates named in ``view[start:end]``."""
    units = {m.group(1) or m.group(2) for m in _UNIT_NUMBER.finditer(view, start, end)}
    dates = {m.group(0) for m in _DATE.finditer(view, start, end)}
    return units, dates


def _resolve_unspecified(candidates: list[Candidate]) -> list[Candidate]:
    has_video = any(c.type == "video_appeal" for c in candidates)
    has_other = any(c.type not in {"video_appeal", "written_appeal", "appeal_unspecified"} for c in candidates)
    resolved = []
    for c in candidates:
        if c.type == "appeal_unspecified":
            if has_video or has_other:
                continue  # complaints told within another event's report
            c.type = "written_appeal"
        resolved.append(c)
    if any(c.type == "prosecution" for c in resolved):
        resolved = [c for c in resolved if c.type not in {"refusal", "desertion"}]
    return resolved


def _conflicts(segment: Segment, units: set[str], dates: set[str], fresh: bool) -> bool:
    if fresh:
        return True
    if units and segment.units and not units & segment.units:
        return True
    return bool(dates and segment.dates and not dates & segment.dates)


def segment_candidates(view: str, candidates: list[Candidate]) -> list[Segment]:
    """Group candidates into segments, one per distinct event."""
    segments: list[Segment] = []
    for c in sorted(_resolve_unspecified(candidates), key=lambda c: c.start):
        units, dates = anchors(view, c.start, c.end)
        fresh = pattern("new_anchor").search(view, c.start, c.end) is not None
        same = [s for s in segments if s.type == c.type and s.by_relatives == c.by_relatives]
        target = same[-1] if same and not _conflicts(same[-1], units, dates, fresh) else None
        if target is None:
            target = Segment(c.type, c.by_relatives)
            segments.append(target)
        target.candidates.append(c)
        target.units |= units
        target.dates |= dates
    return segments
