"""Scores of one evaluation: relevance, types, field accuracy, set F1s, aggregates."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from dissentwatch.evaluate.metrics import PRF, set_counts
from dissentwatch.models import EVENT_TYPES, Mention
from dissentwatch.store import Store

ACCURACY_FIELDS = ("unit_number", "date", "addressee", "location")


@lru_cache(maxsize=4096)
def region_key(name: str) -> str:
    """A comparable key for a region: its ISO code from the gazetteer, else the folded name."""
    try:
        from dissentwatch.analyze.fields import places

        normalise = getattr(places, "normalise_region", None)
        found = normalise(name) if normalise else None
    except Exception:  # gazetteer not installed or failing: fall back to names
        found = None
    if isinstance(found, str) and found:
        return found
    iso = getattr(found, "iso", None) or (found.get("iso") if isinstance(found, dict) else None)
    return str(iso) if iso else " ".join(name.casefold().split())


def predicted_regions(m: Mention) -> set[str]:
    keys = set()
    for region in m.fields.get("home_regions") or []:
        if isinstance(region, dict):
            keys.add(str(region["iso"]) if region.get("iso") else region_key(str(region.get("name", ""))))
        elif region:
            keys.add(region_key(str(region)))
    return keys


@lru_cache(maxsize=4096)
def location_key(name: str) -> str:
    """A comparable key for a location: the gazetteer place it names («DNR», "DPR" and
    "Donetsk Oblast" are one), else the folded name."""
    from dissentwatch.analyze.fields.places import find_places

    found = find_places(name)
    return found[0].name_en if found else " ".join(name.casefold().split())


def gold_value(event: dict[str, Any], name: str) -> Any:
    value = event.get(name)
    if name == "location" and value:
        return location_key(str(value))
    return value


def predicted_value(m: Mention, name: str) -> Any:
    if name == "location":
        location = m.fields.get("location")
        name_of = location.get("name") if isinstance(location, dict) else location
        return location_key(str(name_of)) if name_of else None
    if name == "unit_number":
        unit = m.fields.get("unit")
        value = unit.get("number") if isinstance(unit, dict) else m.fields.get("unit_number")
        return str(value) if value is not None else None
    return m.fields.get(name)


@dataclass
class Accuracy:
    correct: int = 0
    total: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"accuracy": round(self.correct / self.total, 4) if self.total else None,
                "correct": self.correct, "n": self.total}


@dataclass
class Scores:
    documents: int = 0
    relevance: PRF = field(default_factory=PRF)
    types: dict[str, PRF] = field(default_factory=lambda: {t: PRF() for t in EVENT_TYPES})
    accuracy: dict[str, Accuracy] = field(default_factory=lambda: {f: Accuracy() for f in ACCURACY_FIELDS})
    home_regions: PRF = field(default_factory=PRF)
    grievances: PRF = field(default_factory=PRF)
    relatives: Accuracy = field(default_factory=Accuracy)
    aggregates: PRF = field(default_factory=PRF)
    errors: list[dict[str, Any]] = field(default_factory=list)

    def add_document(self, store: Store, document_id: int, gold: dict[str, Any], mentions: list[Mention]) -> None:
        from dissentwatch.evaluate.run import greedy_type_match

        events = list(gold.get("events") or [])
        self.documents += 1
        self.relevance += PRF(int(bool(events) and bool(mentions)), int(bool(mentions) and not events),
                              int(bool(events) and not mentions))
        pairs = greedy_type_match(events, mentions)
        self._count_types(events, mentions, pairs, str(gold["id"]))
        for i, j in pairs:
            self._compare_fields(events[i], mentions[j])
        self._aggregates(store, document_id, gold.get("aggregates") or [])

    def _count_types(self, events: list[dict[str, Any]], mentions: list[Mention], pairs: list[tuple[int, int]], doc: str) -> None:
        matched_g, matched_p = {i for i, _ in pairs}, {j for _, j in pairs}
        for i, _ in pairs:
            self.types.setdefault(events[i]["type"], PRF()).tp += 1
        for i, event in enumerate(events):
            if i not in matched_g:
                self.types.setdefault(event["type"], PRF()).fn += 1
                self.errors.append({"document": doc, "error": "missed", "type": event["type"]})
        for j, m in enumerate(mentions):
            if j not in matched_p:
                self.types.setdefault(m.type, PRF()).fp += 1
                self.errors.append({"document": doc, "error": "spurious", "type": m.type})

    def _compare_fields(self, event: dict[str, Any], m: Mention) -> None:
        for name in ACCURACY_FIELDS:
            wanted, value = gold_value(event, name), predicted_value(m, name)
            if wanted is None and value is None:
                continue
            acc = self.accuracy[name]
            acc.total += 1
            acc.correct += str(wanted) == str(value)
        self.relatives.total += 1
        self.relatives.correct += bool(event.get("by_relatives")) == m.by_relatives
        gold_regions = {region_key(str(r)) for r in event.get("home_regions") or []}
        self.home_regions += set_counts(gold_regions, predicted_regions(m))
        self.grievances += set_counts(set(event.get("grievances") or []), set(m.fields.get("grievances") or []))

    def _aggregates(self, store: Store, document_id: int, gold_quotes: list[Any]) -> None:
        text = str(store.scalar("SELECT text FROM documents WHERE id = ?", (document_id,)) or "")
        found = [(r["start"], r["end"]) for r in store.query(
            'SELECT start, "end" FROM aggregates WHERE document_id = ?', (document_id,))]
        hit: set[int] = set()
        for quote in gold_quotes:
            quote = quote if isinstance(quote, str) else str(quote.get("quote", ""))
            at = text.find(quote[:60]) if quote else -1
            overlapping = [k for k, (s, e) in enumerate(found) if at >= 0 and s < at + len(quote) and at < e]
            if overlapping:
                self.aggregates.tp += 1
                hit.update(overlapping)
            else:
                self.aggregates.fn += 1
        self.aggregates.fp += len(found) - len(hit)

    def macro_f1(self) -> float | None:
        """Mean F1 over the types present in gold or predictions (None when there are none)."""
        active = [p for p in self.types.values() if p.tp + p.fp + p.fn]
        return round(sum(p.f1 for p in active) / len(active), 4) if active else None

    def as_dict(self, brief: bool = False) -> dict[str, Any]:
        micro = PRF()
        for p in self.types.values():
            micro += p
        result: dict[str, Any] = {"documents": self.documents, "relevance": self.relevance.as_dict(),
                                  "type_macro_f1": self.macro_f1(), "type_micro": micro.as_dict()}
        if brief:
            return result
        result["types"] = {t: p.as_dict() for t, p in self.types.items()}
        result["fields"] = {name: acc.as_dict() for name, acc in self.accuracy.items()}
        result["fields"]["by_relatives"] = self.relatives.as_dict()
        result["home_regions"] = self.home_regions.as_dict()
        result["grievances"] = self.grievances.as_dict()
        result["aggregates"] = self.aggregates.as_dict()
        result["errors"] = self.errors
        return result


def evidence_validity(store: Store) -> dict[str, Any]:
    """How many evidence and aggregate spans lie in their document's text and equal their quote."""
    rows = store.query(
        'SELECT e.start, e."end", e.quote, d.text FROM evidence e JOIN documents d ON d.id = e.document_id '
        'UNION ALL SELECT a.start, a."end", a.quote, d.text FROM aggregates a JOIN documents d ON d.id = a.document_id'
    )
    valid = sum(1 for r in rows if 0 <= r[0] < r[1] <= len(r[3]) and r[3][r[0]:r[1]] == r[2])
    return {"spans": len(rows), "valid": valid, "validity": round(valid / len(rows), 4) if rows else 1.0}
