"""Small helpers for resolve/publish tests: documents and mentions written through the store API."""

from __future__ import annotations

from typing import Any

from dissentwatch.models import Document, Evidence, Mention
from dissentwatch.store import Store
from dissentwatch.store.documents import ingest
from dissentwatch.store.mentions import save_analysis


def add_document(store: Store, external_id: str, text: str, *, published: str | None = None,
                 language: str = "ru", outlet: str | None = None, source_kind: str = "files",
                 forwarded_from: str | None = None, url: str | None = None) -> int:
    doc = Document(source_kind, external_id, text, url=url or f"https://example.org/{external_id}",
                   outlet=outlet or f"outlet-{external_id}", published=published, language=language,
                   forwarded_from=forwarded_from)
    ingest(store, [doc])
    return int(store.scalar("SELECT id FROM documents WHERE source_kind = ? AND external_id = ?",
                            (source_kind, external_id)))


def mention(store: Store, document_id: int, type: str, anchor: str, *, fields: dict[str, Any] | None = None,
            confidence: float = 0.7, evidence: dict[str, str] | None = None) -> Mention:
    """A mention whose span is ``anchor`` in the document's text; ``evidence`` maps a field to a
    quote of the text (the type's evidence is the anchor)."""
    text = str(store.scalar("SELECT text FROM documents WHERE id = ?", (document_id,)))
    start = text.index(anchor)
    spans = [Evidence("type", document_id, start, start + len(anchor), anchor, type)]
    for field, quote in (evidence or {}).items():
        at = text.index(quote)
        spans.append(Evidence(field, document_id, at, at + len(quote), quote, (fields or {}).get(field)))
    return Mention(document_id, type, fields=dict(fields or {}), evidence=spans, confidence=confidence,
                   extractor="test.v1", start=start, end=start + len(anchor))


def save(store: Store, document_id: int, *mentions: Mention) -> list[int]:
    content_hash = str(store.scalar("SELECT content_hash FROM documents WHERE id = ?", (document_id,)))
    with store.transaction() as conn:
        return save_analysis(conn, document_id, content_hash, "test.v1", list(mentions), [])


def events_of(store: Store, external_id: str) -> set[str]:
    return {r[0] for r in store.query(
        "SELECT em.event_id FROM event_mentions em JOIN mentions m ON m.id = em.mention_id "
        "JOIN documents d ON d.id = m.document_id WHERE d.external_id = ?", (external_id,))}


BRIDGE_UNIT = {"name": "255-го полка", "number": "255", "kind": "regiment"}
BRIDGE_REGIONS = [{"name": "Murmansk Oblast", "iso": "RU-MUR"}]


def save_bridged_pair(store: Store) -> int:
    """Two reports of one appeal that share nothing to join on ("b1" names the 255th regiment,
    "b2" Murmansk and the date), saved; returns the id of "b3", a report that names both, whose
    mention :func:`save_bridge` saves once the two have been resolved apart."""
    a = add_document(store, "b1", "Бойцы 255-го полка пожаловались на командиров.", published="2023-03-07T00:00:00Z")
    b = add_document(store, "b2", "Мобилизованные из Мурманской области записали видео 6 марта.",
                     published="2023-03-07T01:00:00Z")
    c = add_document(store, "b3", "Мурманские мобилизованные из 255-го полка записали видео 6 марта.",
                     published="2023-03-08T00:00:00Z")
    save(store, a, mention(store, a, "video_appeal", "пожаловались на командиров", fields={"unit": BRIDGE_UNIT}))
    save(store, b, mention(store, b, "video_appeal", "записали видео 6 марта",
                           fields={"date": "2023-03-06", "home_regions": BRIDGE_REGIONS}))
    return c


def save_bridge(store: Store, document_id: int) -> None:
    """The mention of "b3" (:func:`save_bridged_pair`): the regiment, the date and the region."""
    save(store, document_id, mention(store, document_id, "video_appeal", "записали видео 6 марта",
                                     fields={"unit": BRIDGE_UNIT, "date": "2023-03-06", "home_regions": BRIDGE_REGIONS}))


def seed_dates(store: Store) -> None:
    """Three events: an appeal dated 28 February 2023 by its reports (first reported on 1 March),
    an undated refusal first reported on 10 April 2023, an undated desertion of an undated report."""
    from dissentwatch.resolve.resolver import resolve_mentions

    kgd = {"name": "Kaliningrad Oblast", "iso": "RU-KGD", "lat": 54.71, "lon": 20.51}
    a = add_document(store, "tg/1", "Бойцы 5-й бригады записали видео 28 февраля.", published="2023-03-01T10:00:00Z")
    save(store, a, mention(store, a, "video_appeal", "записали видео 28 февраля",
                           fields={"date": "2023-02-28", "date_kind": "occurred",
                                   "unit": {"name": "5-й бригады", "number": "5", "kind": "brigade"}},
                           evidence={"date": "28 февраля", "unit": "5-й бригады"}))
    b = add_document(store, "tg/2", "Мобилизованные из Калининграда отказались ехать на фронт.",
                     published="2023-04-10T10:00:00Z")
    save(store, b, mention(store, b, "refusal", "отказались ехать на фронт", fields={"home_regions": [kgd]},
                           evidence={"home_regions": "Калининграда"}))
    c = add_document(store, "files/3", "Солдат дезертировал из части, сообщают родственники.")
    save(store, c, mention(store, c, "desertion", "дезертировал из части"))
    resolve_mentions(store)
