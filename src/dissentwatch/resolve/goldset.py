"""Mentions made from gold annotations, to measure and train resolve apart from analyze.

Every gold event of a ``*_gold.jsonl`` file becomes a mention of its document (fields as
annotated, evidence at the annotated quote). The documents' ``same_event`` tags then say which
reports tell one occurrence.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dissentwatch.models import Evidence, Mention
from dissentwatch.store import Store
from dissentwatch.store.mentions import save_analysis

FIELDS = ("date", "affiliation", "status", "participants", "faces_covered", "addressee", "grievances",
          "demands", "killed_claimed")


def gold_mention(doc_id: int, text: str, event: dict[str, Any], index: int) -> Mention:
    quote = event.get("evidence") or ""
    start = text.find(quote) if quote else -1
    span = (start, start + len(quote)) if start >= 0 else (index, index + 1)
    fields: dict[str, Any] = {k: event.get(k) for k in FIELDS if event.get(k) not in (None, [])}
    if event.get("unit") or event.get("unit_number"):
        fields["unit"] = {"name": event.get("unit") or "", "number": event.get("unit_number"),
                          "kind": event.get("unit_kind")}
    if event.get("home_regions"):
        fields["home_regions"] = [{"name": n} for n in event["home_regions"]]
    if event.get("location"):
        fields["location"] = {"name": event["location"]}
    evidence = [Evidence("type", doc_id, span[0], span[1], text[span[0] : span[1]])] if start >= 0 else []
    return Mention(doc_id, event["type"], bool(event.get("by_relatives")), fields, evidence,
                   confidence=0.8, extractor="gold", start=span[0], end=span[1])


def load_gold_mentions(store: Store, gold_path: Path) -> int:
    """Save the gold events of ``gold_path`` as the mentions of the documents already in ``store``."""
    count = 0
    for line in gold_path.read_text("utf-8").splitlines():
        if not line.strip():
            continue
        gold = json.loads(line)
        row = store.query("SELECT id, text, content_hash FROM documents WHERE external_id = ?", (gold["id"],))
        if not row:
            continue
        doc_id, text = row[0]["id"], row[0]["text"]
        mentions = [gold_mention(doc_id, text, e, i) for i, e in enumerate(gold.get("events", []))]
        with store.transaction() as conn:
            save_analysis(conn, doc_id, row[0]["content_hash"], "gold", mentions, [])
        count += len(mentions)
    return count
