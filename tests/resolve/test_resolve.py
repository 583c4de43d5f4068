from __future__ import annotations

import json

from dissentwatch.resolve.features import settings
from dissentwatch.resolve.resolver import resolve_mentions
from dissentwatch.store import Store
from eventfactory import add_document, events_of, mention, save, save_bridge, save_bridged_pair

UNIT_255 = {"name": "255-го полка", "number": "255", "kind": "regiment"}

RU = ("Бойцы 255-го полка записали видеообращение к президенту 6 марта. "
      "Они говорят, что их бросают в атаку без поддержки артиллерии.")
EN = ("Soldiers of the 255th regiment published a video plea on March 6, asking the president "
      "to stop sending them into assaults without artillery cover.")
FR = ("Des soldats du 255e régiment ont diffusé le 6 mars une vidéo adressée au président. "
      "Ils disent être envoyés à l'assaut sans appui d'artillerie.")


def _three_languages(store: Store) -> None:
    for ext, text, lang, anchor, published in (
        ("tg/1", RU, "ru", "записали видеообращение", "2023-03-06T18:00:00Z"),
        ("en/1", EN, "en", "published a video plea", "2023-03-07T09:00:00Z"),
        ("fr/1", FR, "fr", "ont diffusé le 6 mars une vidéo", "2023-03-08T10:00:00Z"),
    ):
        doc = add_document(store, ext, text, published=published, language=lang)
        date = "--03-06" if lang != "ru" else "2023-03-06"
        save(store, doc, mention(store, doc, "video_appeal", anchor,
                                 fields={"unit": dict(UNIT_255, name=anchor), "date": date,
                                         "addressee": "head_of_state"}))


def test_reports_in_three_languages_become_one_event(store: Store) -> None:
    _three_languages(store)
    stats = resolve_mentions(store)
    assert stats.events_founded == 1 and stats.events_joined == 2
    (event_id,) = events_of(store, "tg/1")
    assert events_of(store, "en/1") == events_of(store, "fr/1") == {event_id}
    row = store.query("SELECT * FROM events WHERE id = ?", (event_id,))[0]
    assert row["unit_number"] == "255" and row["sources_count"] == 3
    assert row["unit_canonical_id"] == "ru-mod-255-mr-rgt"
    assert row["unit_name"] == "255th Guards Motor Rifle Regiment"
    assert json.loads(row["fields"])["unit"]["surface"] in {"записали видеообращение", "published a video plea",
                                                            "ont diffusé le 6 mars une vidéo"}
    assert json.loads(row["languages"]) == ["en", "fr", "ru"]
    assert row["date"] == "2023-03-06" and row["sort_date"] == "2023-03-06"
    reasons = [json.loads(r[0]) for r in store.query("SELECT reason FROM event_mentions WHERE event_id = ?", (event_id,))]
    assert sum(bool(r.get("founder")) for r in reasons) == 1
    joined = [r for r in reasons if not r.get("founder")]
    assert all(r["signals"]["unit"] > 0 and r["signals"]["date"] > 0 for r in joined)


def test_different_units_on_the_same_day_stay_apart(store: Store) -> None:
    a = add_document(store, "a", "Видео 255-го полка вышло 6 марта.", published="2023-03-06T10:00:00Z")
    b = add_document(store, "b", "Видео 155-й бригады вышло 6 марта.", published="2023-03-06T11:00:00Z")
    save(store, a, mention(store, a, "video_appeal", "Видео 255-го полка", fields={"unit": UNIT_255, "date": "2023-03-06"}))
    save(store, b, mention(store, b, "video_appeal", "Видео 155-й бригады",
                           fields={"unit": {"name": "155-й бригады", "number": "155", "kind": "brigade"},
                                   "date": "2023-03-06"}))
    resolve_mentions(store)
    assert events_of(store, "a") != events_of(store, "b")


def test_copies_and_forwards_join_the_original(store: Store) -> None:
    text = "Мобилизованные записали обращение: «нас отправили штурмовать без техники и связи»."
    original = add_document(store, "chan/10", text, published="2023-04-01T08:00:00Z", source_kind="telegram")
    copy = add_document(store, "other/77", "**" + text + "**", published="2023-04-01T09:00:00Z",
                        source_kind="telegram")
    forward = add_document(store, "third/5", "Переслано. " + text, published="2023-04-02T09:00:00Z",
                           source_kind="telegram", forwarded_from="chan/10")
    assert store.scalar("SELECT copy_of FROM documents WHERE id = ?", (copy,)) == original
    for doc in (original, copy, forward):
        save(store, doc, mention(store, doc, "video_appeal", "записали обращение"))
    resolve_mentions(store)
    assert events_of(store, "chan/10") == events_of(store, "other/77") == events_of(store, "third/5")
    reasons = [json.loads(r[0]) for r in store.query("SELECT reason FROM event_mentions")]
    assert any(r.get("signals", {}).get("copy") for r in reasons)


def test_unrelated_reports_without_fields_are_not_merged(store: Store) -> None:
    a = add_document(store, "x1", "Солдаты отказались идти в бой под Угледаром.", published="2023-02-01T00:00:00Z")
    b = add_document(store, "x2", "Другая группа отказалась выполнять приказ в Запорожье.", published="2023-02-02T00:00:00Z")
    save(store, a, mention(store, a, "refusal", "отказались идти в бой"))
    save(store, b, mention(store, b, "refusal", "отказалась выполнять приказ"))
    resolve_mentions(store)
    assert events_of(store, "x1") != events_of(store, "x2")


def test_second_video_denying_the_first_is_its_own_event_and_linked(store: Store) -> None:
    first = add_document(store, "v1", "Бойцы 255-го полка записали видео с жалобами 6 марта.",
                         published="2023-03-06T12:00:00Z")
    second = add_document(store, "v2", "Бойцы 255-го полка записали новое видео и опровергли прежнее обращение 20 марта.",
                          published="2023-03-20T12:00:00Z")
    save(store, first, mention(store, first, "video_appeal", "записали видео с жалобами",
                               fields={"unit": UNIT_255, "date": "2023-03-06"}))
    save(store, second, mention(store, second, "video_appeal", "записали новое видео и опровергли прежнее обращение",
                                fields={"unit": UNIT_255, "date": "2023-03-20"}))
    stats = resolve_mentions(store)
    (a,), (b,) = events_of(store, "v1"), events_of(store, "v2")
    assert a != b
    rel = store.query("SELECT from_event, to_event, relation FROM event_relations")
    assert [(r[0], r[1], r[2]) for r in rel] == [(a, b, "denial")]
    assert stats.relations == 1
    later = add_document(store, "v3", "Годы спустя: бойцы 255-го полка записали ещё одно видео.",
                         published="2026-01-10T12:00:00Z")
    save(store, later, mention(store, later, "video_appeal", "записали ещё одно видео", fields={"unit": UNIT_255}))
    again = resolve_mentions(store)
    assert again.mentions_seen == 0  # the 2023 reports lie outside the window of the new one
    (c,) = events_of(store, "v3")
    rel = store.query("SELECT from_event, to_event, relation FROM event_relations ORDER BY created, relation")
    assert {(r[0], r[1], r[2]) for r in rel} == {(a, b, "denial"), (b, c, "repeat_by_unit")}


def test_prosecution_after_a_refusal_by_the_same_unit_is_linked(store: Store) -> None:
    a = add_document(store, "r1", "Военные 155-й бригады отказались наступать в ноябре.", published="2022-11-05T00:00:00Z")
    b = add_document(store, "r2", "На военных 155-й бригады возбудили уголовное дело.", published="2023-01-15T00:00:00Z")
    unit = {"name": "155-й бригады", "number": "155", "kind": "brigade"}
    save(store, a, mention(store, a, "refusal", "отказались наступать", fields={"unit": unit}))
    save(store, b, mention(store, b, "prosecution", "возбудили уголовное дело", fields={"unit": unit}))
    resolve_mentions(store)
    rel = store.query("SELECT relation FROM event_relations")
    assert [r[0] for r in rel] == ["prosecution_of"]


def test_new_documents_join_existing_events_and_ids_are_stable(store: Store) -> None:
    _three_languages(store)
    resolve_mentions(store)
    (event_id,) = events_of(store, "tg/1")
    created = store.scalar("SELECT created FROM events WHERE id = ?", (event_id,))
    late = add_document(store, "uk/1", "Військові 255-го полку 6 березня записали звернення до президента.",
                        published="2023-03-09T00:00:00Z", language="uk")
    save(store, late, mention(store, late, "video_appeal", "записали звернення",
                              fields={"unit": {"name": "255-го полку", "number": "255", "kind": "regiment"},
                                      "date": "--03-06"}))
    stats = resolve_mentions(store)
    assert stats.mentions_placed == 1 and stats.events_founded == 0
    assert events_of(store, "uk/1") == {event_id}
    assert store.scalar("SELECT sources_count FROM events WHERE id = ?", (event_id,)) == 4
    assert store.scalar("SELECT created FROM events WHERE id = ?", (event_id,)) == created
    again = resolve_mentions(store)
    assert again.mentions_placed == 0 and store.scalar("SELECT COUNT(*) FROM events") == 1
    resolve_mentions(store, rebuild=True)
    assert events_of(store, "uk/1") == events_of(store, "tg/1") == {event_id}


def test_rebuild_gives_back_the_same_ids_in_a_fresh_database(tmp_path) -> None:  # type: ignore[no-untyped-def]
    ids = []
    for name in ("one.db", "two.db"):
        with Store(tmp_path / name) as store:
            _three_languages(store)
            resolve_mentions(store)
            ids.append(store.scalar("SELECT id FROM events"))
    assert ids[0] == ids[1] and ids[0].startswith("ev-")


def test_stale_mentions_leave_and_empty_events_go(store: Store) -> None:
    doc = add_document(store, "s1", "Бойцы 255-го полка записали обращение.", published="2023-03-06T00:00:00Z")
    save(store, doc, mention(store, doc, "video_appeal", "записали обращение", fields={"unit": UNIT_255}))
    resolve_mentions(store)
    assert store.scalar("SELECT COUNT(*) FROM events") == 1
    save(store, doc)  # re-analysis found nothing
    stats = resolve_mentions(store)
    assert stats.events_deleted == 1 and store.scalar("SELECT COUNT(*) FROM events") == 0


def test_reanalysed_mention_updates_its_event(store: Store) -> None:
    doc = add_document(store, "u1", "Бойцы 255-го полка записали обращение 6 марта.", published="2023-03-06T00:00:00Z")
    save(store, doc, mention(store, doc, "video_appeal", "записали обращение", fields={"unit": UNIT_255}))
    resolve_mentions(store)
    store.conn.execute("UPDATE events SET updated = '2000-01-01T00:00:00Z'")
    save(store, doc, mention(store, doc, "video_appeal", "записали обращение",
                             fields={"unit": UNIT_255, "date": "2023-03-06", "grievances": ["frontal_assaults"]}))
    resolve_mentions(store)
    row = store.query("SELECT date, grievances FROM events")[0]
    assert row["date"] == "2023-03-06" and json.loads(row["grievances"]) == ["frontal_assaults"]


def test_a_report_that_bridges_two_events_folds_them_into_one(store: Store) -> None:
    bridge = save_bridged_pair(store)
    resolve_mentions(store)
    assert events_of(store, "b1") != events_of(store, "b2")
    save_bridge(store, bridge)
    resolve_mentions(store)
    assert events_of(store, "b1") == events_of(store, "b2") == events_of(store, "b3")
    assert store.scalar("SELECT COUNT(*) FROM events") == 1
    reasons = [json.loads(r[0]) for r in store.query("SELECT reason FROM event_mentions")]
    assert any(r.get("bridged") for r in reasons) and any(r.get("absorbed_from") for r in reasons)


def test_a_bridge_never_folds_contradicting_or_reviewed_events(store: Store) -> None:
    a = add_document(store, "c1", "Бойцы 255-го полка записали видео 6 марта.", published="2023-03-06T00:00:00Z")
    # six weeks apart: two occurrences (a fortnight apart, one unit's videos join with the learned weights)
    b = add_document(store, "c2", "Бойцы 255-го полка записали видео 20 апреля.", published="2023-04-20T00:00:00Z")
    save(store, a, mention(store, a, "video_appeal", "записали видео 6 марта", fields={"unit": UNIT_255, "date": "2023-03-06"}))
    save(store, b, mention(store, b, "video_appeal", "записали видео 20 апреля", fields={"unit": UNIT_255, "date": "2023-04-20"}))
    resolve_mentions(store)
    (ea,), (eb,) = events_of(store, "c1"), events_of(store, "c2")
    assert ea != eb
    c = add_document(store, "c3", "Бойцы 255-го полка снова записали видео.", published="2023-04-21T00:00:00Z")
    save(store, c, mention(store, c, "video_appeal", "снова записали видео", fields={"unit": UNIT_255}))
    resolve_mentions(store)
    assert events_of(store, "c1") == {ea} and events_of(store, "c2") == {eb}


def test_retellings_in_two_languages_join_on_head_count_dead_and_complaints(store: Store) -> None:
    """No unit, date or region: the same stated details (twenty men, six dead, four complaints)
    tie a French retelling to the English one; a third report with other numbers stays apart."""
    grievances = ["frontal_assaults", "obsolete_weapons", "lack_of_heavy_weapons", "misassignment"]
    details = {"participants": 20, "killed_claimed": 6, "grievances": grievances, "addressee": "head_of_state"}
    en = add_document(store, "en/9", "Twenty masked soldiers say six of them died in the first assault.", language="en")
    fr = add_document(store, "fr/9", "Vingt soldats cagoulés disent que six d'entre eux sont morts.", language="fr")
    other = add_document(store, "en/10", "Forty soldiers say twelve died; they lack armour and old rifles.",
                         language="en")
    save(store, en, mention(store, en, "video_appeal", "Twenty masked soldiers", fields=details))
    save(store, fr, mention(store, fr, "video_appeal", "Vingt soldats cagoulés", fields=details))
    save(store, other, mention(store, other, "video_appeal", "Forty soldiers",
                               fields=dict(details, participants=40, killed_claimed=12)))
    resolve_mentions(store)
    assert events_of(store, "en/9") == events_of(store, "fr/9") != events_of(store, "en/10")
    signals = [json.loads(r[0]).get("signals", {}) for r in store.query("SELECT reason FROM event_mentions")]
    assert any(s.get("participants", 0) > 0 and s.get("killed", 0) > 0 and s.get("grievances", 0) > 0 for s in signals)


def test_one_document_repeating_its_details_does_not_merge_its_own_events(store: Store) -> None:
    text = "Twenty soldiers from one unit and twenty from another each filmed a plea about assaults."
    doc = add_document(store, "en/11", text, language="en")
    details = {"participants": 20, "grievances": ["frontal_assaults", "heavy_casualties", "poor_command"]}
    save(store, doc, mention(store, doc, "video_appeal", "Twenty soldiers from one unit", fields=details),
         mention(store, doc, "video_appeal", "twenty from another", fields=details))
    resolve_mentions(store)
    assert len(events_of(store, "en/11")) == 2


def test_a_lone_soldier_or_a_pair_is_no_identifying_head_count() -> None:
    from dissentwatch.resolve.features import participant_range

    assert participant_range(1) is None and participant_range(2) is None and participant_range(True) is None
    assert participant_range(20) == (20, 20) and participant_range([10, 5]) == (5, 10)
    assert participant_range([1, 2]) is None and participant_range("12") is None


def test_a_report_repeating_one_earlier_reports_complaints_joins_its_event(store: Store) -> None:
    """The complaints of a new report are compared with each earlier report's own list: their
    union grows with every report an event gathers, and would hide a retelling of one of them."""
    orenburg = [{"name": "Orenburg Oblast", "iso": "RU-ORE"}]
    short = ["frontal_assaults", "insufficient_training", "poor_command"]
    long = [*short, "misassignment", "subordination", "supplies", "heavy_casualties"]
    first = add_document(store, "a/1", "Мобилизованные оренбуржцы записали видео.", published="2023-03-04T10:00:00Z")
    second = add_document(store, "b/1", "Оренбургские мобилизованные снова о штурмах.", published="2023-03-05T10:00:00Z")
    retold = add_document(store, "c/1", "Мобилизованные из Оренбурга пожаловались.", published=None)
    save(store, first, mention(store, first, "video_appeal", "записали видео",
                               fields={"home_regions": orenburg, "date": "2023-03-04", "grievances": short}))
    save(store, second, mention(store, second, "video_appeal", "снова о штурмах",
                                fields={"home_regions": orenburg, "date": "2023-03-05", "grievances": long}))
    save(store, retold, mention(store, retold, "written_appeal", "пожаловались",
                                fields={"home_regions": orenburg, "grievances": short}))
    resolve_mentions(store)
    assert events_of(store, "a/1") == events_of(store, "b/1") == events_of(store, "c/1")
    reason = json.loads(store.scalar(
        "SELECT em.reason FROM event_mentions em JOIN mentions m ON m.id = em.mention_id "
        "JOIN documents d ON d.id = m.document_id WHERE d.external_id = 'c/1'"))
    assert reason["signals"]["grievances"] == round(settings()["weights"]["grievances_jaccard"], 3)  # overlap 1


def test_the_map_counts_home_regions_with_their_coordinates(store: Store) -> None:
    from dissentwatch.web.views import map_points

    kursk = [{"name": "Kursk Oblast", "iso": "RU-KRS"}]
    for ext, unit, day in (("m/1", "255", "2023-03-06"), ("m/2", "155", "2023-05-20")):
        doc = add_document(store, ext, f"Бойцы {unit}-го полка из Курской области записали видео.",
                           published=f"{day}T10:00:00Z")
        save(store, doc, mention(store, doc, "video_appeal", "записали видео", fields={
            "unit": {"name": f"{unit}-го полка", "number": unit, "kind": "regiment"}, "date": day,
            "home_regions": kursk}))
    resolve_mentions(store)
    (point,) = [p for p in map_points(store)["points"] if p["role"] == "home"]
    assert (point["name"], point["n"]) == ("Kursk Oblast", 2)
    assert abs(point["lat"] - 51.73) < 0.1 and abs(point["lon"] - 36.19) < 0.1


def test_a_shared_country_is_no_evidence_of_one_occurrence_a_shared_oblast_is() -> None:
    from dissentwatch.resolve.cluster import EventProfile, score
    from dissentwatch.resolve.features import MentionFeatures, location_precision

    ukraine = {"name": "Ukraine", "lat": 48.38, "lon": 31.17, "precision": "region"}
    oblast = {"name": "Donetsk Oblast", "lat": 48.0, "lon": 37.8, "precision": "region"}
    assert location_precision(ukraine) == "country"
    assert location_precision(oblast) == "region"
    assert location_precision({"name": "Vodiane", "precision": "exact"}) == "exact"
    assert location_precision(None) is None
    for place, weight in ((ukraine, 0.0), (oblast, 0.5)):
        event = EventProfile("ev-1", "refusal")
        event.add(MentionFeatures(1, "a", 1, "refusal", "refusal", False, 0.7, location=place["name"].casefold(),
                                  location_precision=location_precision(place), root="1:refusal:0"))
        m = MentionFeatures(2, "b", 2, "refusal", "refusal", False, 0.7, location=place["name"].casefold(),
                            location_precision=location_precision(place), root="2:refusal:0")
        assert score(m, event)[1].get("location") == weight


def test_the_events_do_not_depend_on_the_order_analyze_wrote_the_mentions_in(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """On Dask, analyze writes partitions as they finish, so mention ids follow no fixed order:
    resolve places by day, document and position, and makes the same events either way."""
    mur = [{"name": "Murmansk Oblast", "iso": "RU-MUR"}]
    reports = [
        ("b1", "Бойцы 255-го полка пожаловались на командиров.", "пожаловались на командиров",
         {"unit": UNIT_255}),
        ("b2", "Мобилизованные из Мурманской области записали видео 6 марта.", "записали видео 6 марта",
         {"date": "2023-03-06", "home_regions": mur}),
        ("b3", "Мурманские мобилизованные из 255-го полка записали видео 6 марта.", "записали видео 6 марта",
         {"unit": UNIT_255, "date": "2023-03-06", "home_regions": mur}),
    ]
    found = []
    for name, order in (("forward", reports), ("backward", reports[::-1])):
        with Store(tmp_path / f"{name}.db") as store:
            ids = {ext: add_document(store, ext, text, published=f"2023-03-07T0{i}:00:00Z")
                   for i, (ext, text, _, _) in enumerate(reports)}
            for ext, _, anchor, fields in order:
                save(store, ids[ext], mention(store, ids[ext], "video_appeal", anchor, fields=fields))
            resolve_mentions(store)
            found.append({ext: events_of(store, ext) for ext, *_ in reports})
    assert found[0] == found[1]
