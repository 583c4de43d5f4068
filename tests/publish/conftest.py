from __future__ import annotations

from collections.abc import Iterator

import pytest

from dissentwatch.resolve.resolver import resolve_mentions
from dissentwatch.store import Store
from eventfactory import add_document, mention, save

KGD = {"name": "Kaliningrad Oblast", "iso": "RU-KGD", "lat": 54.71, "lon": 20.51}
MUR = {"name": "Murmansk Oblast", "iso": "RU-MUR", "lat": 68.97, "lon": 33.07}
MOS = {"name": "Moscow Oblast", "iso": "RU-MOS", "lat": 55.75, "lon": 37.62}


@pytest.fixture
def events_store(store: Store) -> Iterator[Store]:
    """Four events: two video appeals in Feb–Mar 2023 from three regions, a refusal in April
    2023, and a video appeal in 2022 that an analyst rejected."""
    a = add_document(store, "tg/100", "Мобилизованные 5-й бригады из Калининградской и Мурманской областей "
                     "записали видео 6 марта: около 20–30 человек жалуются на лобовые штурмы и большие потери, "
                     "просят <b>президента</b> о помощи. <script>alert(1)</script>", published="2023-03-06T10:00:00Z", outlet="Канал А",
                     source_kind="telegram")
    save(store, a, mention(store, a, "video_appeal", "записали видео 6 марта",
                           fields={"unit": {"name": "5-й бригады", "number": "5", "kind": "brigade"},
                                   "date": "2023-03-06", "home_regions": [KGD, MUR],
                                   "grievances": ["frontal_assaults", "heavy_casualties"], "addressee": "head_of_state",
                                   "participants": [20, 30]},
                           evidence={"unit": "5-й бригады", "addressee": "президента", "date": "6 марта",
                                     "home_regions": "Калининградской и Мурманской областей",
                                     "grievances": "лобовые штурмы и большие потери",
                                     "participants": "около 20–30 человек"}))
    b = add_document(store, "en/7", "The same appeal by the 5th brigade from Kaliningrad, recorded on March 6, "
                     "was shared widely.",
                     published="2023-03-07T08:00:00Z", language="en", outlet="Outlet B")
    save(store, b, mention(store, b, "video_appeal", "appeal by the 5th brigade",
                           fields={"unit": {"name": "5th brigade", "number": "5", "kind": "brigade"},
                                   "date": "--03-06", "home_regions": [KGD]},
                           evidence={"unit": "5th brigade", "date": "March 6", "home_regions": "Kaliningrad"}))
    c = add_document(store, "tg/101", "Жёны мобилизованных из Подмосковья записали обращение 20 февраля "
                     "в Наро-Фоминске.",
                     published="2023-02-21T10:00:00Z", outlet="Канал А", source_kind="telegram")
    save(store, c, mention(store, c, "video_appeal", "записали обращение 20 февраля",
                           fields={"date": "2023-02-20", "home_regions": [MOS],
                                   "location": {"name": "Naro-Fominsk", "lat": 55.39, "lon": 36.73, "precision": "city"}},
                           evidence={"date": "20 февраля", "home_regions": "Подмосковья", "location": "Наро-Фоминске"}))
    d = add_document(store, "fr/3", "Un soldat a refusé de partir au front le 22 avril.",
                     published="2023-04-23T10:00:00Z", language="fr", outlet="Média C")
    save(store, d, mention(store, d, "refusal", "a refusé de partir au front", fields={"date": "2023-04-22"},
                           evidence={"date": "22 avril"}))
    e = add_document(store, "tg/5", "Видео бойцов 1-го полка, записанное 3 октября.", published="2022-10-03T10:00:00Z",
                     source_kind="telegram")
    save(store, e, mention(store, e, "video_appeal", "Видео бойцов 1-го полка",
                           fields={"unit": {"name": "1-го полка", "number": "1", "kind": "regiment"}, "date": "2022-10-03"},
                           evidence={"unit": "1-го полка", "date": "3 октября"}))
    add_document(store, "noise/1", "Погода в Москве будет солнечной.", published="2023-03-01T00:00:00Z")
    resolve_mentions(store)
    rejected = store.scalar("SELECT event_id FROM event_mentions em JOIN mentions m ON m.id = em.mention_id "
                            "WHERE m.document_id = ?", (e,))
    store.conn.execute("UPDATE events SET review_status = 'rejected' WHERE id = ?", (rejected,))
    yield store
