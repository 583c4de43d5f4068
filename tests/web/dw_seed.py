"""A small store for the web and review tests: documents, mentions with evidence, events.

The texts are written for these tests. One post carries script and image payloads: nothing
in it may ever run in the app.
"""

from __future__ import annotations

from typing import Any

from dissentwatch.models import Document, Evidence, Mention, content_hash
from dissentwatch.store import Store
from dissentwatch.store.documents import ingest
from dissentwatch.store.events import add_relation, link_mentions, upsert_event
from dissentwatch.store.mentions import save_analysis

PAYLOAD_SCRIPT = "<script>window.__pwned = 1; document.title = 'PWNED';</script>"
PAYLOAD_IMG = "<img src=x onerror=\"window.__pwned = 2; document.title = 'PWNED'\">"

KGD = {"name": "Kaliningrad Oblast", "iso": "RU-KGD", "lat": 54.7, "lon": 20.5}
MUR = {"name": "Murmansk Oblast", "iso": "RU-MUR", "lat": 68.97, "lon": 33.07}
BEL = {"name": "Belgorod", "lat": 50.6, "lon": 36.6, "precision": "city"}

DOCS: list[dict[str, Any]] = [
    {"id": "tg/alpha/101", "outlet": "alpha_channel", "language": "ru", "published": "2023-03-07T09:00:00Z",
     "url": "https://example.org/alpha/101",
     "text": "Бойцы 5-й бригады записали видеообращение 6 марта. Они из Калининградской и Мурманской "
             "областей и говорят, что их бросают в лобовые штурмы без поддержки."},
    {"id": "news/beta/7", "outlet": "Beta News", "language": "en", "published": "2023-03-08T12:00:00Z",
     "url": "https://example.org/beta/7",
     "text": "Soldiers of the 5th brigade released a video on 6 March, complaining of frontal assaults. "
             "They say they come from Kaliningrad and Murmansk."},
    {"id": "tg/gamma/55", "outlet": "gamma_channel", "language": "ru", "published": "2023-03-09T08:00:00Z",
     "url": "https://example.org/gamma/55",
     "text": "Ещё одно видео от 5-й бригады: бойцы жалуются на командиров и просят вывести их в тыл."},
    {"id": "news/delta/3", "outlet": "Delta", "language": "en", "published": "2023-04-22T10:00:00Z",
     "url": "https://example.org/delta/3",
     "text": "A contract soldier refused to return to the front near Belgorod, his lawyer said on 22 April."},
    {"id": "news/delta/4", "outlet": "Delta", "language": "en", "published": "2023-03-05T10:00:00Z",
     "url": "javascript:alert(1)",
     "text": "A decree of 4 March dismissed several hundred soldiers who had refused orders."},
    {"id": "tg/evil/1", "outlet": "evil_channel", "language": "en", "published": "2023-05-01T10:00:00Z",
     "url": "https://example.org/evil/1",
     "text": f"Appeal of the 99th regiment {PAYLOAD_SCRIPT} on 1 May: we demand rotation {PAYLOAD_IMG} now."},
]


def _evidence(doc_id: int, text: str, field: str, quote: str) -> Evidence:
    start = text.index(quote)
    return Evidence(field=field, document_id=doc_id, start=start, end=start + len(quote), quote=quote)


def _mention(doc_id: int, text: str, type_: str, fields: dict[str, Any], quotes: dict[str, str],
             confidence: float) -> Mention:
    evidence = [_evidence(doc_id, text, f, q) for f, q in quotes.items()]
    return Mention(document_id=doc_id, type=type_, fields=fields, evidence=evidence, confidence=confidence,
                   extractor="test.v1", start=evidence[0].start, end=evidence[0].end)


MENTIONS: list[tuple[str, str, str, dict[str, Any], dict[str, str], float]] = [
    # (event id, document id, type, fields, evidence quotes per field, confidence)
    ("ev-appeal5", "tg/alpha/101", "video_appeal",
     {"date": "2023-03-06", "date_precision": "day", "unit": {"name": "5th brigade", "number": "5", "kind": "brigade"},
      "home_regions": [KGD, MUR], "grievances": ["frontal_assaults"]},
     {"type": "записали видеообращение", "unit": "5-й бригады", "date": "6 марта",
      "grievances": "лобовые штурмы", "home_regions": "Калининградской и Мурманской"}, 0.9),
    ("ev-appeal5", "news/beta/7", "video_appeal",
     {"date": "2023-03-06", "unit": {"name": "5th brigade", "number": "5", "kind": "brigade"}},
     {"type": "released a video", "unit": "5th brigade", "date": "6 March"}, 0.85),
    ("ev-appeal5b", "tg/gamma/55", "video_appeal",
     {"unit": {"name": "5th brigade", "number": "5", "kind": "brigade"}, "demands": ["withdraw_to_rear_or_home"],
      "grievances": ["poor_command"]},
     {"type": "видео", "unit": "5-й бригады", "demands": "вывести их в тыл", "grievances": "жалуются на командиров"},
     0.7),
    ("ev-refusal", "news/delta/3", "refusal",
     {"date": "2023-04-22", "status": "contract", "location": BEL},
     {"type": "refused to return to the front", "location": "Belgorod", "status": "contract soldier",
      "date": "22 April"}, 0.8),
    ("ev-dismissal", "news/delta/4", "dismissal",
     {"date": "2023-03-04", "participants": [200, 900]},
     {"type": "dismissed", "date": "4 March", "participants": "several hundred soldiers"}, 0.75),
    ("ev-evil", "tg/evil/1", "written_appeal",
     {"unit": {"name": f"99th regiment {PAYLOAD_SCRIPT}", "number": "99", "kind": "regiment"},
      "demands": ["rotation_or_leave"], "date": "2023-05-01"},
     {"type": f"Appeal of the 99th regiment {PAYLOAD_SCRIPT}", "demands": f"rotation {PAYLOAD_IMG}",
      "unit": "99th regiment", "date": "on 1 May"}, 0.6),
]


def seed(store: Store) -> dict[str, int]:
    """Fill ``store``; returns the internal id of every document by its imported id."""
    docs = [Document(source_kind="files", external_id=d["id"], text=d["text"], url=d["url"], outlet=d["outlet"],
                     published=d["published"], language=d["language"], title=f"Post {d['id']}") for d in DOCS]
    ingest(store, docs)
    ids = {r["external_id"]: r["id"] for r in store.query("SELECT id, external_id FROM documents")}
    texts = {d["id"]: d["text"] for d in DOCS}
    by_event: dict[str, list[tuple[int, dict[str, Any], str, float]]] = {}
    with store.transaction() as conn:
        for event_id, ext, type_, fields, quotes, confidence in MENTIONS:
            m = _mention(ids[ext], texts[ext], type_, fields, quotes, confidence)
            (mention_id,) = save_analysis(conn, ids[ext], content_hash(texts[ext]), "test.v1", [m], [])
            by_event.setdefault(event_id, []).append((mention_id, {**fields, "type": type_}, ext, confidence))
        for event_id, members in by_event.items():
            upsert_event(conn, event_id, _shape(members), resolver="test")
            link_mentions(conn, event_id, [(m[0], 0.9, _reason(i)) for i, m in enumerate(members)])
        add_relation(conn, "ev-refusal", "ev-dismissal", "follow_up", {"test": True})
    return ids


def _reason(rank: int) -> dict[str, Any]:
    """What resolve records: the first mention founds the event, the others join it."""
    if rank == 0:
        return {"founder": True, "stable_key": "seed"}
    return {"score": 4.0, "signals": {"type": 0.5, "unit": 2.0, "date": 1.5}}


def _shape(members: list[tuple[int, dict[str, Any], str, float]]) -> dict[str, Any]:
    shape: dict[str, Any] = {}
    for _, fields, _, _ in members:
        for key, value in fields.items():
            shape.setdefault(key, value)
    docs = {d["id"]: d for d in DOCS}
    shape["sources"] = [{"document_id": ext, "url": docs[ext]["url"], "outlet": docs[ext]["outlet"],
                         "published": docs[ext]["published"], "language": docs[ext]["language"]}
                        for _, _, ext, _ in members]
    shape["confidence"] = max(m[3] for m in members)
    shape["sort_date"] = shape.get("date") or docs[members[0][2]]["published"][:10]
    return shape


def add_heavy_event(store: Store, event_id: str, n_sources: int, words: int = 60) -> None:
    """An event of ``n_sources`` documents, each with one mention and two evidence spans: what a
    resolver bug once made (35,000 sources), for the tests of a server that stays responsive."""
    filler = " ".join(f"word{i % 97}" for i in range(words))
    docs = [Document(source_kind="files", external_id=f"heavy/{event_id}/{i}", outlet=f"outlet{i % 40}",
                     language="en", published=f"2023-06-{1 + i % 28:02d}T10:00:00Z",
                     url=f"https://example.org/heavy/{i}", title=f"Heavy {i}",
                     text=f"Soldiers of the 7th brigade refused orders, report {i}. {filler}")
            for i in range(n_sources)]
    ingest(store, docs)
    rows = store.query("SELECT id FROM documents WHERE external_id LIKE ?", (f"heavy/{event_id}/%",))
    text = docs[0].text
    unit, refused = text.index("7th brigade"), text.index("refused orders")
    with store.transaction() as conn:
        upsert_event(conn, event_id, {"type": "refusal", "date": "2023-06-01", "date_precision": "day",
                                      "unit": {"name": "7th brigade", "number": "7", "kind": "brigade"},
                                      "confidence": 0.5, "sort_date": "2023-06-01"}, resolver="test")
        for r in rows:
            cur = conn.execute(
                'INSERT INTO mentions (key, document_id, type, fields, confidence, extractor, start, "end", created) '
                "VALUES (?, ?, 'refusal', '{\"unit\": {\"number\": \"7\"}}', 0.5, 'test.v1', 0, 30, "
                "'2024-01-01T00:00:00Z')", (f"{r['id']}:heavy", r["id"]))
            conn.execute('INSERT INTO evidence (mention_id, field, document_id, start, "end", quote) VALUES '
                         "(?, 'type', ?, ?, ?, 'refused orders'), (?, 'unit', ?, ?, ?, '7th brigade')",
                         (cur.lastrowid, r["id"], refused, refused + 14, cur.lastrowid, r["id"], unit, unit + 11))
            conn.execute("INSERT INTO event_mentions (event_id, mention_id, score, reason) VALUES (?, ?, 1.0, '{}')",
                         (event_id, cur.lastrowid))
