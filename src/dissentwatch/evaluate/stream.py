"""``dissentwatch eval --stream``: how many posts of real channels the analysis flags, and which.

A flagged post is one in which analyze finds at least one event. On a news stream nearly every
post reports none, so the flags per 10,000 posts are what an analyst watching it would read.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from dissentwatch.store import Store

_FLAGGED = """
SELECT d.id, d.external_id, d.outlet, d.published, d.url, m.type, m.confidence,
       (SELECT quote FROM evidence e WHERE e.mention_id = m.id AND e.field = 'type' LIMIT 1) AS quote
FROM mentions m JOIN documents d ON d.id = m.document_id
ORDER BY m.confidence DESC, d.id
"""


def stream_report(paths: Sequence[Path], model: Any = "default", workers: int = 1,
                  db_path: Path | None = None) -> dict[str, Any]:
    """Import the exports into a temporary store, analyze, list the flagged posts."""
    from dissentwatch.analyze.pipeline import analyze_store
    from dissentwatch.collect.telegram_export import collect_telegram_export
    from dissentwatch.learn.dataset import expand_streams
    from dissentwatch.store.documents import ingest

    with tempfile.TemporaryDirectory() as tmp, Store(db_path or Path(tmp) / "stream.db") as store:
        for path in expand_streams(paths):
            ingest(store, (d for d in collect_telegram_export(path, derive=False) if not isinstance(d, Exception)))
        analyze_store(store, workers=workers, command="eval --stream", model=model)
        posts = int(store.scalar("SELECT COUNT(*) FROM documents") or 0)
        flagged: dict[int, dict[str, Any]] = {}
        for row in store.query(_FLAGGED):
            entry = flagged.setdefault(row["id"], {
                "post": row["external_id"], "outlet": row["outlet"], "published": row["published"], "url": row["url"],
                "probability": row["confidence"], "types": [], "quote": (row["quote"] or "")[:300]})
            entry["types"].append(row["type"])
    rows = sorted(flagged.values(), key=lambda r: -(r["probability"] or 0))
    return {"posts": posts, "flagged": len(rows), "per_10000": round(10_000 * len(rows) / posts, 2) if posts else None,
            "model": getattr(model, "version", None) or ("default" if model == "default" else "rules"), "list": rows}
