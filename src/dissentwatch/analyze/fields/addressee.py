"""Who an appeal is addressed to, and the form of address («Уважаемый Владимир Владимирович»).

An addressee term counts when an addressing cue («обратились к», "appeal to", «lettre à») stands
shortly before it; among several, the highest authority wins.
"""

from __future__ import annotations

import re

from dissentwatch.analyze.fields import lexicon
from dissentwatch.analyze.fields.lexicon import Hit

PRIORITY = ("head_of_state", "governor", "defence_ministry", "general_staff", "prosecutor", "other",
            "commander", "public")
_CUE_WINDOW = 60
ADDRESS_FORM = re.compile(
    r"(?<!\w)(?i:(?:глубоко)?уважаем\w+|дорог\w+|многоуважаем\w+|very\s+dear|dear|(?:very\s+)?respected|"
    r"très\s+cher|cher|шановн\w+)\s+(?:(?:[A-ZА-ЯЁІЇЄ][\w-]+|(?i:верховн\w+|главнокомандующ\w+|"
    r"commander-in-chief|president|président|господин|пан))(?:\s*,?\s+|\s*$)){1,3}"
)


def addressee(text: str, start: int, end: int, lang: str | None) -> Hit | None:
    """The addressee hit of the highest authority addressed in ``text[start:end]``."""
    cues = lexicon.load("cues", "addressing").find(text, lang, max(0, start - _CUE_WINDOW), end)
    received = lexicon.load("cues", "addressing_after").find(text, lang, start, min(len(text), end + _CUE_WINDOW))
    addressed = [h for h in lexicon.load("addressee").find(text, lang, start, end)
                 if _after_cue(h, cues) or _before_cue(h, received)]
    if not addressed:
        return None
    return min(addressed, key=lambda h: (PRIORITY.index(h.key), h.start))


def _after_cue(hit: Hit, cues: list[Hit]) -> bool:
    return any(0 <= hit.start - cue.end <= _CUE_WINDOW and cue.start < hit.start for cue in cues)


def _before_cue(hit: Hit, cues: list[Hit]) -> bool:
    """"The Duma member received nine appeals": the addressee, then a receiving cue."""
    return any(0 <= cue.start - hit.end <= _CUE_WINDOW for cue in cues)


def address_form(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The span of a form of address, trimmed of trailing commas and spaces."""
    m = ADDRESS_FORM.search(text, start, end)
    if not m:
        return None
    stop = m.end()
    while stop > m.start() and text[stop - 1] in " ,\n\t":
        stop -= 1
    return m.start(), stop
