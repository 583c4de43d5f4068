"""The cheap high-recall gate: does a text mention any event trigger next to a military actor?

Two compiled patterns over the matching view (one of event triggers, one of actors); most
irrelevant posts fail the first search and cost a few microseconds per kilobyte. Everything
that passes goes on to sentence splitting and the rules in ``classify``.
"""

from __future__ import annotations

import re
from functools import cache

from dissentwatch.analyze.lexicons import pattern

GATE_VERSION = "gate_lexicon.v1"
STRONG_CATEGORIES = (
    "strong_video_appeal", "refusal", "mutiny", "desertion", "dismissal", "prosecution", "legal_challenge",
)


@cache
def strong_pattern() -> re.Pattern[str]:
    """One pattern for every specific trigger category of the lexicon."""
    return re.compile("|".join(f"(?:{pattern(c).pattern})" for c in STRONG_CATEGORIES))


def passes_gate(view: str) -> bool:
    """True when the matching view has a specific trigger, or an appeal word and a military
    actor (or relatives)."""
    if strong_pattern().search(view) is not None:
        return True
    if pattern("appeal").search(view) is None:
        return False
    return pattern("actor").search(view) is not None or pattern("relatives").search(view) is not None
