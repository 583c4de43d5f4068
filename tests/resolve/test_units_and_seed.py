from __future__ import annotations

import json
import re

from dissentwatch.models import vocabulary
from dissentwatch.resolve.features import region_name_key
from dissentwatch.resolve.resolver import resolve_mentions
from dissentwatch.resolve.units import gazetteer, kind_in_text, match_unit, resolve_unit, units
from dissentwatch.store import Store
from eventfactory import add_document, mention, save


def test_every_gazetteer_entry_has_provenance_and_valid_keys() -> None:
    entries = units()
    assert len(entries) >= 30
    assert len({u["id"] for u in entries}) == len(entries)
    kinds = set(gazetteer()["kinds"])
    for unit in entries:
        assert unit["kind"] in kinds, unit["id"]
        assert unit["number"].isdigit(), unit["id"]
        assert unit["names"]["en"] and unit["names"]["ru"], unit["id"]
        assert unit["affiliation"] in vocabulary("affiliation"), unit["id"]
        assert unit["provenance"] and all(p["url"].startswith("https://") for p in unit["provenance"]), unit["id"]
        assert re.fullmatch(r"(RU|UA)-[A-Z0-9]{1,3}", unit["home_region"]), unit["id"]


def test_units_resolve_only_when_unambiguous() -> None:
    assert resolve_unit({"name": "255-го мотострелкового полка"})["canonical_id"] == "ru-mod-255-mr-rgt"  # type: ignore[index]
    assert resolve_unit({"name": "255th regiment", "number": "255", "kind": "regiment"})["canonical_id"] == "ru-mod-255-mr-rgt"  # type: ignore[index]
    ambiguous = resolve_unit({"name": "5-й бригады"})
    assert ambiguous == {"name": "5-й бригады", "number": "5", "kind": "brigade"}
    assert resolve_unit({"name": "5th tank brigade"})["canonical_id"] == "ru-mod-5-tank-bde"  # type: ignore[index]
    unknown = resolve_unit({"name": "1453-й полк"})
    assert unknown is not None and "canonical_id" not in unknown and unknown["number"] == "1453"
    assert match_unit("255", None) is None
    assert kind_in_text("в 255-м полку") == "regiment" and kind_in_text("du 155e brigade") == "brigade"


def test_a_guessed_canonical_id_from_upstream_is_not_trusted() -> None:
    unit = resolve_unit({"name": "5-й бригады", "number": "5", "kind": "brigade", "canonical_id": "ru-mod-5-tank-bde"})
    assert unit is not None and "canonical_id" not in unit


def test_region_name_key_without_gazetteer() -> None:
    assert region_name_key("Kaliningrad Oblast") == region_name_key("Kaliningrad") == "kaliningrad"
    assert region_name_key("Мурманской области") == "мурманской"


ARTICLE = (
    "Depuis février, les vidéos de militaires se multiplient. Dans une vidéo du 6 mars, la 5e brigade "
    "motorisée, des mobilisés des régions de Kaliningrad, Mourmansk et Arkhangelsk, demande au président "
    "de cesser les assauts. Le 12 mars, un régiment d'artilleurs venus de Serpoukhov a publié une vidéo "
    "similaire. Plus tard, la 5e brigade insiste : ses pertes sont lourdes. Le 255e régiment de fusiliers "
    "motorisés s'est aussi plaint d'être envoyé à l'assaut."
)
FOLLOW = ("Dans la vidéo du 6 mars, la 5e brigade nomme aussi ses officiers. Les régions de Kaliningrad et de "
          "Mourmansk sont citées.")


def test_seed_like_articles_give_three_video_appeals(store: Store) -> None:
    regions = [{"name": "Kaliningrad Oblast"}, {"name": "Murmansk Oblast"}, {"name": "Arkhangelsk Oblast"}]
    five = {"name": "5e brigade motorisée", "number": "5", "kind": "brigade"}
    doc = add_document(store, "seed/000", ARTICLE, published="2023-03-28T00:00:00Z", language="fr")
    save(store, doc,
         mention(store, doc, "video_appeal", "Dans une vidéo du 6 mars, la 5e brigade",
                 fields={"unit": five, "date": "--03-06", "home_regions": regions}),
         mention(store, doc, "video_appeal", "un régiment d'artilleurs venus de Serpoukhov",
                 fields={"unit": {"name": "un régiment d'artilleurs", "kind": "regiment"}, "date": "--03-12",
                         "home_regions": [{"name": "Serpukhov"}]}),
         mention(store, doc, "video_appeal", "la 5e brigade insiste", fields={"unit": five}),
         mention(store, doc, "video_appeal", "Le 255e régiment de fusiliers",
                 fields={"unit": {"name": "255e régiment de fusiliers motorisés", "number": "255", "kind": "regiment"}}))
    other = add_document(store, "seed/001", FOLLOW, published="2023-03-30T00:00:00Z", language="fr")
    save(store, other, mention(store, other, "video_appeal", "Dans la vidéo du 6 mars, la 5e brigade",
                               fields={"unit": five, "date": "--03-06",
                                       "home_regions": [{"name": "Kaliningrad"}, {"name": "Murmansk"}]}))
    resolve_mentions(store)
    rows = store.query("SELECT id, unit_number, date, sources_count FROM events WHERE type = 'video_appeal' ORDER BY unit_number")
    assert len(rows) == 3
    by_unit = {r["unit_number"]: r for r in rows}
    assert set(by_unit) == {None, "5", "255"}
    assert by_unit["5"]["date"] == "--03-06" and by_unit["5"]["sources_count"] == 2
    assert by_unit[None]["date"] == "--03-12"


def test_unit_named_in_the_span_is_a_clustering_hint_never_a_field(store: Store) -> None:
    from dissentwatch.resolve.features import unit_in_text

    assert unit_in_text("бойцы 155-й бригады морской пехоты") == {"number": "155", "kind": "brigade"}
    assert unit_in_text("в 2023 году полк ушёл") is None and unit_in_text("около 500 военных") is None
    a = add_document(store, "h1", "Бойцы 155-й бригады морской пехоты написали письмо губернатору.",
                     published="2022-11-06T00:00:00Z")
    b = add_document(store, "h2", "Marines of the 155th brigade wrote to the governor about losses.",
                     published="2022-11-07T00:00:00Z", language="en")
    save(store, a, mention(store, a, "written_appeal", "Бойцы 155-й бригады морской пехоты написали письмо"))
    save(store, b, mention(store, b, "written_appeal", "Marines of the 155th brigade wrote to the governor"))
    resolve_mentions(store)
    rows = store.query("SELECT id, unit_number, fields FROM events")
    assert len(rows) == 1 and rows[0]["unit_number"] is None


def test_home_regions_and_locations_are_geocoded_through_the_places_gazetteer(store: Store) -> None:
    import pytest

    pytest.importorskip("dissentwatch.analyze.fields.places")
    doc = add_document(store, "g1", "Мобилизованные из Мурманской области записали видео под Серпуховом.",
                       published="2023-03-12T00:00:00Z")
    save(store, doc, mention(store, doc, "video_appeal", "записали видео",
                             fields={"home_regions": [{"name": "Мурманской области"}, {"name": "Nowhere Land"}],
                                     "location": {"name": "Serpukhov"}}))
    resolve_mentions(store)
    row = store.query("SELECT home_regions, location FROM events")[0]
    regions = {r["name"]: r for r in json.loads(row["home_regions"])}
    assert regions["Murmansk Oblast"]["iso"] == "RU-MUR" and regions["Murmansk Oblast"]["lat"] > 60
    assert regions["Nowhere Land"]["iso"] is None and regions["Nowhere Land"]["lat"] is None  # never guessed
    location = json.loads(row["location"])
    assert location["precision"] == "city" and location["region_iso"] == "RU-MOS" and 54 < location["lat"] < 56
    assert store.scalar("SELECT iso FROM events_regions WHERE role = 'location'") == "RU-MOS"
