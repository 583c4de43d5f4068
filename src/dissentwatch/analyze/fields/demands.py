"""Demands: vocabulary keys from the lexicon ``data/demands.json``, each with its first hit."""

from __future__ import annotations

from dissentwatch.analyze.fields.grievances import first_hits
from dissentwatch.analyze.fields.lexicon import Hit


def demands(text: str, start: int, end: int, lang: str | None) -> dict[str, Hit]:
    """The demands made in ``text[start:end]``."""
    return first_hits("demands", text, start, end, lang)
