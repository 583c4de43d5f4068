"""The cheap high-recall gate: does a text mention any event trigger next to a military actor?

Two compiled patterns over the matching view (one of event triggers, one of actors); most
irrelevant posts fail the first search and cost a few microseconds per kilobyte. Everything
that passes goes on to sentence splitting and the rules in ``classify``.
"""

from __future__ import annotations

from dissentwatch.analyze.lexicons import search

GATE_VERSION = "gate_lexicon.v1"
STRONG_CATEGORIES = (
    "strong_video_appeal", "refusal", "mutiny", "desertion", "dismissal", "prosecution", "legal_challenge",
)


def passes_gate(view: str) -> bool:
    """True when the matching view has a specific trigger, or an appeal word or a grievance
    ("cannon fodder", "abandoned", "no weapons") and a military actor (or relatives)."""
    if any(search(c, view) is not None for c in STRONG_CATEGORIES):
        return True
    if search("appeal", view) is None and search("grievance_cue", view) is None:
        return False
    return search("actor", view) is not None or search("relatives", view) is not None
