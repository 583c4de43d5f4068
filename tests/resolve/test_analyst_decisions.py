"""A later resolve never undoes what analysts decided (merges, splits, pins, locked fields).

The decisions are written here the way the review actions write them (see DESIGN.md and
store/migrations/0001_core.sql): a merge moves the source's mentions to the target, pinned, and
sets ``merged_into``; a split moves mentions to a new event, pinned, and records a separation.
"""

from __future__ import annotations

import json

from dissentwatch.models import utcnow
from dissentwatch.resolve.resolver import resolve_mentions
from dissentwatch.store import Store
from eventfactory import add_document, events_of, mention, save

U255 = {"name": "255-го полка", "number": "255", "kind": "regiment"}
U155 = {"name": "155-й бригады", "number": "155", "kind": "brigade"}


def _two_events(store: Store) -> tuple[str, str]:
    a = add_document(store, "a", "Бойцы 255-го полка записали обращение 6 марта.", published="2023-03-06T00:00:00Z")
    b = add_document(store, "b", "Морпехи 155-й бригады записали обращение 6 марта.", published="2023-03-06T01:00:00Z")
    save(store, a, mention(store, a, "video_appeal", "записали обращение", fields={"unit": U255, "date": "2023-03-06"}))
    save(store, b, mention(store, b, "video_appeal", "записали обращение", fields={"unit": U155, "date": "2023-03-06"}))
    resolve_mentions(store)
    (ea,), (eb,) = events_of(store, "a"), events_of(store, "b")
    assert ea != eb
    return ea, eb


def _merge(store: Store, target: str, source: str) -> None:
    with store.transaction() as conn:
        conn.execute("UPDATE event_mentions SET event_id = ?, pinned = 1 WHERE event_id = ?", (target, source))
        conn.execute("UPDATE event_mentions SET pinned = 1 WHERE event_id = ?", (target,))
        conn.execute("UPDATE events SET merged_into = ? WHERE id = ?", (target, source))
        conn.execute("INSERT INTO decisions (event_id, action, user, at) VALUES (?, 'merge', 'ana', ?)", (source, utcnow()))


def test_an_analysts_merge_survives_resolve_and_rebuild(store: Store) -> None:
    ea, eb = _two_events(store)
    _merge(store, ea, eb)
    for rebuild in (False, True):
        resolve_mentions(store, rebuild=rebuild)
        assert events_of(store, "a") == events_of(store, "b") == {ea}
        assert store.scalar("SELECT merged_into FROM events WHERE id = ?", (eb,)) == ea


def test_a_new_report_of_a_merged_away_event_goes_to_the_target(store: Store) -> None:
    ea, eb = _two_events(store)
    _merge(store, ea, eb)
    resolve_mentions(store)
    c = add_document(store, "c", "Ещё одно сообщение: морпехи 155-й бригады записали обращение 6 марта.",
                     published="2023-03-07T00:00:00Z")
    save(store, c, mention(store, c, "video_appeal", "записали обращение", fields={"unit": U155, "date": "2023-03-06"}))
    resolve_mentions(store)
    assert events_of(store, "c") == {ea}
    assert store.scalar("SELECT COUNT(*) FROM event_mentions WHERE event_id = ?", (eb,)) == 0


def test_an_analysts_split_survives_resolve_and_rebuild(store: Store) -> None:
    a = add_document(store, "a", "Бойцы 255-го полка записали обращение 6 марта.", published="2023-03-06T00:00:00Z")
    b = add_document(store, "b", "Солдаты 255-го полка сняли видео 6 марта.", published="2023-03-06T05:00:00Z")
    save(store, a, mention(store, a, "video_appeal", "записали обращение", fields={"unit": U255, "date": "2023-03-06"}))
    save(store, b, mention(store, b, "video_appeal", "сняли видео", fields={"unit": U255, "date": "2023-03-06"}))
    resolve_mentions(store)
    (event_id,) = events_of(store, "a")
    assert events_of(store, "b") == {event_id}
    mention_b = store.scalar("SELECT m.id FROM mentions m JOIN documents d ON d.id = m.document_id WHERE d.external_id = 'b'")
    now = utcnow()
    with store.transaction() as conn:
        conn.execute("INSERT INTO events (id, type, created, updated, review_status) VALUES ('ev-split', 'video_appeal', ?, ?, 'edited')", (now, now))
        conn.execute("DELETE FROM event_mentions WHERE mention_id = ?", (mention_b,))
        conn.execute("INSERT INTO event_mentions (event_id, mention_id, pinned) VALUES ('ev-split', ?, 1)", (mention_b,))
        conn.execute("UPDATE event_mentions SET pinned = 1 WHERE event_id = ?", (event_id,))
        conn.execute("INSERT INTO event_separations (event_a, event_b, created) VALUES (?, 'ev-split', ?)", (event_id, now))
    for rebuild in (False, True, False):
        resolve_mentions(store, rebuild=rebuild)
        assert events_of(store, "a") == {event_id}
        assert events_of(store, "b") == {"ev-split"}


def test_locked_fields_and_review_status_are_kept_when_reports_join(store: Store) -> None:
    ea, _ = _two_events(store)
    fields = json.loads(store.scalar("SELECT fields FROM events WHERE id = ?", (ea,)))
    fields["unit"] = {"name": "255th Guards Motor Rifle Regiment", "number": "255", "kind": "regiment",
                      "canonical_id": "ru-mod-255-mr-rgt"}
    fields["participants"] = 12
    with store.transaction() as conn:
        conn.execute("UPDATE events SET fields = ?, locked_fields = ?, review_status = 'edited' WHERE id = ?",
                     (json.dumps(fields), json.dumps(["unit", "participants"]), ea))
    c = add_document(store, "c", "Бойцы 255-го полка, около сорока человек, записали обращение 6 марта.",
                     published="2023-03-07T00:00:00Z")
    save(store, c, mention(store, c, "video_appeal", "записали обращение",
                           fields={"unit": U255, "date": "2023-03-06", "participants": 40}))
    resolve_mentions(store)
    assert events_of(store, "c") == {ea}
    row = store.query("SELECT * FROM events WHERE id = ?", (ea,))[0]
    kept = json.loads(row["fields"])
    assert kept["unit"]["name"] == "255th Guards Motor Rifle Regiment" and kept["participants"] == 12
    assert row["review_status"] == "edited" and row["sources_count"] == 2
    resolve_mentions(store, rebuild=True)
    assert events_of(store, "c") == {ea}


def test_pinned_mentions_never_move(store: Store) -> None:
    ea, eb = _two_events(store)
    mention_a = store.scalar("SELECT mention_id FROM event_mentions WHERE event_id = ?", (ea,))
    with store.transaction() as conn:
        conn.execute("UPDATE event_mentions SET event_id = ?, pinned = 1 WHERE mention_id = ?", (eb, mention_a))
    resolve_mentions(store, rebuild=True)
    assert store.scalar("SELECT event_id FROM event_mentions WHERE mention_id = ?", (mention_a,)) == eb


def test_decisions_made_through_the_review_library_survive_resolve(store: Store) -> None:
    from dissentwatch.review import decisions

    ea, eb = _two_events(store)
    decisions.merge(store, ea, eb, "ana")
    c = add_document(store, "c", "Бойцы 255-го полка повторили обращение 6 марта, сообщают очевидцы.",
                     published="2023-03-06T02:00:00Z")
    save(store, c, mention(store, c, "video_appeal", "повторили обращение", fields={"unit": U255, "date": "2023-03-06"}))
    resolve_mentions(store)
    assert events_of(store, "a") == events_of(store, "b") == events_of(store, "c") == {ea}
    mention_c = store.scalar("SELECT m.id FROM mentions m JOIN documents d ON d.id = m.document_id WHERE d.external_id = 'c'")
    new_id = decisions.split(store, ea, [mention_c], "ana")
    decisions.edit_field(store, ea, "participants", 30, "ana")
    for rebuild in (False, True):
        resolve_mentions(store, rebuild=rebuild)
        assert events_of(store, "c") == {new_id} and events_of(store, "a") == {ea}
        assert json.loads(store.scalar("SELECT fields FROM events WHERE id = ?", (ea,)))["participants"] == 30
