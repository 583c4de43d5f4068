"""No event grows past the cluster cap (mentions, days of publications): the mentions that
would have joined are kept apart, the event is flagged and resolve says so."""

from __future__ import annotations

import json

from dissentwatch.resolve.resolver import resolve_mentions
from dissentwatch.store import Store
from eventfactory import add_document, events_of, mention, save

UNIT = {"name": "255-го полка", "number": "255", "kind": "regiment"}
TEXT = "Бойцы 255-го полка записали видеообращение 6 марта: их бросают в атаку без поддержки."


def _reports(store: Store, days: list[int]) -> list[str]:
    """Re-tellings of one video appeal, published on the given days of March 2023 (and on)."""
    ids = []
    for i, day in enumerate(days):
        month, dom = (3, day) if day <= 31 else (4, day - 31) if day <= 61 else (5, day - 61)
        ext = f"tg/{i}"
        doc = add_document(store, ext, TEXT.replace("Бойцы", f"Бойцы ({i})"),
                           published=f"2023-{month:02d}-{dom:02d}T10:00:00Z")
        save(store, doc, mention(store, doc, "video_appeal", "записали видеообращение",
                                 fields={"unit": UNIT, "date": "2023-03-06"}))
        ids.append(ext)
    return ids


def test_without_a_cap_the_reports_are_one_event(store: Store) -> None:
    docs = _reports(store, [6, 6, 7, 7, 8])
    stats = resolve_mentions(store)
    assert len(set().union(*(events_of(store, d) for d in docs))) == 1 and not stats.capped


def test_an_event_stops_at_the_mention_cap_and_is_flagged(store: Store) -> None:
    docs = _reports(store, [6, 6, 7, 7, 8])
    stats = resolve_mentions(store, max_mentions=3)
    (first,) = events_of(store, docs[0])
    assert all(events_of(store, d) == {first} for d in docs[:3])
    (second,) = events_of(store, docs[3])
    assert second != first and events_of(store, docs[4]) == {second}
    assert stats.capped == {first: "mentions"}
    assert json.loads(store.scalar("SELECT fields FROM events WHERE id = ?", (first,)))["cluster_capped"] == "mentions"
    founder = json.loads(store.scalar(
        "SELECT em.reason FROM event_mentions em JOIN mentions m ON m.id = em.mention_id "
        "JOIN documents d ON d.id = m.document_id WHERE d.external_id = ?", (docs[3],)))
    assert founder["founder"] and founder["capped"] == [first]
    warning = stats.capped_warning(3, 730)
    assert warning is not None and first in warning and "1 event(s) reached the cluster cap" in warning


def test_an_event_stops_at_the_span_cap(store: Store) -> None:
    docs = _reports(store, [6, 9, 50])  # the third report comes six weeks after the first
    stats = resolve_mentions(store, max_span_days=30)
    (first,) = events_of(store, docs[0])
    assert events_of(store, docs[1]) == {first} and events_of(store, docs[2]) != {first}
    assert stats.capped == {first: "span"}


def test_resolve_warns_of_capped_events(store: Store, cli) -> None:  # type: ignore[no-untyped-def]
    _reports(store, [6, 6, 7, 7, 8])
    result = cli("resolve", "--max-event-mentions", "3")
    assert result.exit_code == 0, result.output
    assert "warning: 1 event(s) reached the cluster cap (3 mentions, 730 days" in result.output



def test_the_event_page_shows_the_flag(store: Store, db_path) -> None:  # type: ignore[no-untyped-def]
    from starlette.testclient import TestClient

    from dissentwatch.web import auth
    from dissentwatch.web.app import create_app

    docs = _reports(store, [6, 6, 7, 7, 8])
    resolve_mentions(store, max_mentions=3)
    (first,) = events_of(store, docs[0])
    (second,) = events_of(store, docs[3])
    auth.add_user(store, "ana", "analyst")
    headers = {"authorization": f"Bearer {auth.new_token(store, 'ana')}"}
    with TestClient(create_app(db_path), base_url="http://127.0.0.1") as client:
        assert 'id="cluster-capped"' in client.get(f"/events/{first}", headers=headers).text
        assert 'id="cluster-capped"' not in client.get(f"/events/{second}", headers=headers).text
