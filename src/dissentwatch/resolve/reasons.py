"""Why a mention is in its event, in words, from the reason resolve or an analyst recorded
(``event_mentions.reason``): who founded the event, which signals joined the others and by how
much, which events a report bridged, which mentions an analyst merged in, split off or pinned.
"""

from __future__ import annotations

import json
from typing import Any

SIGNAL_WORDS = {
    "type": "type", "relatives": "relatives", "unit": "unit", "date": "date", "published": "publication dates",
    "regions": "home regions", "location": "place", "copy": "copy or forward", "quotes": "shared quotes",
    "embedding": "similar wording", "participants": "head count", "killed": "dead claimed",
    "grievances": "complaints", "citation": "cites the outlet", "denial": "denial", "outlet": "same outlet",
}


def _signals(signals: dict[str, Any]) -> str:
    parts = []
    for name, value in signals.items():
        if name == "cosine" or not isinstance(value, int | float):
            continue
        parts.append(f"{SIGNAL_WORDS.get(name, name)} {value:+g}")
    return ", ".join(parts)


def describe_reason(reason: str | dict[str, Any] | None, pinned: bool = False) -> str:
    """One line saying why a mention is in its event ("joined, score 4.25: unit +2, date +1.5")."""
    try:
        data = json.loads(reason) if isinstance(reason, str) else dict(reason or {})
    except (ValueError, TypeError):
        data = {}
    if not isinstance(data, dict):
        data = {}
    if data.get("split_from"):
        text = "split off by an analyst"
    elif data.get("merged_from"):
        text = f"merged in by an analyst from {data['merged_from']}"
    elif data.get("founder"):
        text = "founded the event"
    elif isinstance(data.get("score"), int | float):
        text = f"joined, score {data['score']:g}"
        signals = _signals(data["signals"]) if isinstance(data.get("signals"), dict) else ""
        if signals:
            text += f": {signals}"
        if isinstance(data.get("bridged"), list) and data["bridged"]:
            text += f"; bridged {', '.join(str(b) for b in data['bridged'])}"
    else:
        text = "placed by an analyst" if pinned else "reason not recorded"
    if data.get("absorbed_from"):
        text += f" (came with {data['absorbed_from']})"
    if pinned and "analyst" not in text:
        text += "; pinned by an analyst"
    return text
