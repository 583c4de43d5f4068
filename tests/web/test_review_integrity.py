"""The web review's merge of two types asks which type; a merge or a split can be undone."""

from __future__ import annotations

from pathlib import Path

from starlette.testclient import TestClient

from conftest import login
from dissentwatch.store import Store


def _merged_into(db: Path, event_id: str) -> str | None:
    with Store(db) as store:
        value = store.scalar("SELECT merged_into FROM events WHERE id = ?", (event_id,))
        return str(value) if value else None


def test_merging_two_types_asks_for_the_type(app_client: TestClient, seeded_db: Path) -> None:
    csrf = login(app_client, "ana")
    asked = app_client.post("/review/merge", data={"csrf": csrf, "event": ["ev-refusal", "ev-evil"]},
                            follow_redirects=False)
    assert asked.status_code == 200 and "choose the type" in asked.text
    assert 'name="type" value="refusal"' in asked.text and 'name="type" value="written_appeal"' in asked.text
    assert 'name="event" value="ev-refusal"' in asked.text and 'name="event" value="ev-evil"' in asked.text
    assert _merged_into(seeded_db, "ev-evil") is None  # nothing merged on the first press
    as_json = app_client.post("/events/ev-refusal/merge", data={"csrf": csrf, "other": "ev-evil"},
                              headers={"accept": "application/json"})
    assert as_json.status_code == 409 and as_json.json()["types"] == {"ev-refusal": "refusal", "ev-evil": "written_appeal"}
    bad = app_client.post("/events/ev-refusal/merge", data={"csrf": csrf, "other": "ev-evil", "type": "picnic"})
    assert bad.status_code == 400 and "unknown type" in bad.text
    done = app_client.post("/review/merge", data={"csrf": csrf, "event": ["ev-refusal", "ev-evil"], "type": "refusal"},
                           follow_redirects=False)
    assert done.status_code == 303 and _merged_into(seeded_db, "ev-evil") == "ev-refusal"
    assert app_client.get("/api/events/ev-refusal").json()["type"] == "refusal"


def test_a_failed_merge_of_several_merges_none(app_client: TestClient, seeded_db: Path) -> None:
    csrf = login(app_client, "ana")
    failed = app_client.post("/review/merge", data={"csrf": csrf, "event": ["ev-appeal5", "ev-appeal5b", "ev-nope"]})
    assert failed.status_code == 400 and "ev-nope" in failed.text
    assert _merged_into(seeded_db, "ev-appeal5b") is None


def test_undo_a_merge_and_a_split_from_the_event_page(app_client: TestClient, seeded_db: Path) -> None:
    csrf = login(app_client, "ana")
    app_client.post("/events/ev-appeal5/merge", data={"csrf": csrf, "other": "ev-appeal5b"})
    page = app_client.get("/events/ev-appeal5").text
    assert 'action="/events/ev-appeal5/undo"' in page and "Undo the merge of ev-appeal5b" in page
    undone = app_client.post("/events/ev-appeal5/undo", data={"csrf": csrf}, follow_redirects=False)
    assert undone.status_code == 303 and _merged_into(seeded_db, "ev-appeal5b") is None
    assert [s["document_id"] for s in app_client.get("/api/events/ev-appeal5b/sources").json()["sources"]] == ["tg/gamma/55"]
    split = app_client.post("/events/ev-appeal5/split", data={"csrf": csrf, "mention": _second_mention(seeded_db)},
                            headers={"accept": "application/json"}).json()
    assert "Undo the split into" in app_client.get(f"/events/{split['new_event']}").text
    app_client.post(f"/events/{split['new_event']}/undo", data={"csrf": csrf})
    assert app_client.get("/api/events/ev-appeal5").json()["sources_count"] == 2
    assert "Undo" not in app_client.get("/events/ev-appeal5").text
    nothing = app_client.post("/events/ev-appeal5/undo", data={"csrf": csrf})
    assert nothing.status_code == 400 and "nothing to undo" in nothing.text


def _second_mention(db: Path) -> str:
    with Store(db) as store:
        return str(store.scalar("SELECT MAX(mention_id) FROM event_mentions WHERE event_id = 'ev-appeal5'"))
