"""Field extraction for one event: every value with the evidence span it was read from.

``extract_fields`` is the one entry point the pipeline calls. Each field has its own module
(``dates``, ``units``, ``places`` ...); lexicons are data files under ``fields/data``.
"""

from __future__ import annotations

from typing import Any

from dissentwatch.models import Evidence

EXTRACTOR = "fields.v0"


def extract_fields(
    text: str,
    start: int,
    end: int,
    lang: str | None,
    published: str | None,
    document_id: int,
    event_type: str,
) -> tuple[dict[str, Any], list[Evidence]]:
    """The fields of one event read from ``text[start:end]`` (export shape of DESIGN.md).

    Every emitted value has an ``Evidence`` with absolute offsets into ``text``.
    """
    return {}, []
