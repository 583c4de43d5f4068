"""Places gazetteer: every federal subject, inflected and foreign forms, cities to regions."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from dissentwatch.analyze.fields.places import find_places, normalise_region, region_by_iso
from dissentwatch.analyze.fields.regions import home_regions, location


def _gazetteer() -> dict:
    return json.loads(resources.files("dissentwatch").joinpath("data/places.json").read_text("utf-8"))


def test_gazetteer_has_every_federal_subject_with_names_and_coordinates() -> None:
    data = _gazetteer()
    russian = [r for r in data["regions"] if r["iso"].startswith("RU-")]
    assert len({r["iso"] for r in russian}) == 83
    for region in data["regions"]:
        assert region["names"]["ru"] and region["names"]["en"] and region["names"]["uk"] and region["names"]["fr"]
        assert -90 <= region["lat"] <= 90 and -180 <= region["lon"] <= 180
    assert {"UA-43", "UA-40", "UA-14", "UA-09", "UA-23", "UA-65"} <= {r["iso"] for r in data["regions"]}
    assert len(data["cities"]) >= 150
    assert data["provenance"]


@pytest.mark.parametrize(
    ("text", "lang", "iso", "quote"),
    [
        ("Солдаты из Тамбовской области жалуются.", "ru", "RU-TAM", "Тамбовской области"),
        ("Новобранцы Брянщины снова пишут.", "ru", "RU-BRY", "Брянщины"),
        ("Жители Подмосковья получили повестки.", "ru", "RU-MOS", "Подмосковья"),
        ("Резервисты из Якутии и Кузбасса.", "ru", "RU-SA", "Якутии"),
        ("Бійці з Волгоградської області скаржаться.", "uk", "RU-VGG", "Волгоградської області"),
        ("Troops from the Penza region complained.", "en", "RU-PNZ", "Penza region"),
        ("Des soldats originaires de la région de Tioumen.", "fr", "RU-TYU", "région de Tioumen"),
        ("Reservists from Chelyabinsk posted a video.", "en", "RU-CHE", "Chelyabinsk"),
    ],
)
def test_find_places_in_any_case_form(text: str, lang: str, iso: str, quote: str) -> None:
    found = find_places(text, lang)
    assert any(m.iso == iso and m.quote == quote for m in found), found
    for m in found:
        assert text[m.start : m.end] == m.quote


def test_city_maps_to_its_federal_subject() -> None:
    (match,) = [m for m in find_places("Бойцы из Магнитогорска устали.", "ru") if m.iso == "RU-CHE"]
    assert match.kind == "city" and match.name_en == "Magnitogorsk"


def test_ambiguous_city_names_need_a_preposition() -> None:
    assert not [m for m in find_places("Обращение к Владимиру Путину.", "ru") if m.iso == "RU-VLA"]
    assert [m.iso for m in find_places("Они приехали из Владимира.", "ru")] == ["RU-VLA"]


def test_normalise_region_accepts_names_cities_codes_and_inflections() -> None:
    assert normalise_region("Kaliningrad Oblast") == "RU-KGD"
    assert normalise_region("Kaliningrad") == "RU-KGD"
    assert normalise_region("Khanty-Mansi Autonomous Okrug") == "RU-KHM"
    assert normalise_region("Ставропольского края") == "RU-STA"
    assert normalise_region("RU-TY") == "RU-TY"
    assert normalise_region("Atlantis") is None
    assert region_by_iso("RU-BU")["name"] == "Buryatia"


def test_home_regions_from_a_listed_origin() -> None:
    text = "Видео записали мобилизованные из Тверской, Ярославской и Костромской областей под Бахмутом."
    found = home_regions(text, 0, len(text), "ru")
    assert [entry["iso"] for entry, _ in found] == ["RU-TVE", "RU-YAR", "RU-KOS"]
    where = location(text, 0, len(text), "ru", [m for _, m in found])
    assert where is not None and where[0]["name"] == "Bakhmut" and where[0]["precision"] == "city"


def test_home_region_from_an_adjective_next_to_soldiers() -> None:
    text = "Саратовские мобилизованные записали новое обращение."
    assert [e["iso"] for e, _ in home_regions(text, 0, len(text), "ru")] == ["RU-SAR"]


def test_a_place_where_something_happened_is_not_a_home_region() -> None:
    text = "В Ростове военнослужащего осудили за самовольное оставление части."
    assert home_regions(text, 0, len(text), "ru") == []


def test_from_with_a_preposition_between_is_not_an_origin() -> None:
    text = "He got no instructions from the staff in Kazan, the soldiers said."
    assert home_regions(text, 0, len(text), "en") == []
    text = "Men from places as distant as Tver and Omsk recorded it."
    assert [e["iso"] for e, _ in home_regions(text, 0, len(text), "en")] == ["RU-TVE", "RU-OMS"]


def test_demonyms_name_where_people_are_from() -> None:
    text = "Мобилизованные омичи и томичи записали обращение; воронежцев отправили на штурм."
    assert [e["iso"] for e, _ in home_regions(text, 0, len(text), "ru")] == ["RU-OMS", "RU-TOM", "RU-VOR"]


@pytest.mark.parametrize(
    ("text", "iso", "quote"),
    [
        ("Reservists from Kalinnigrad posted a video.", "RU-KGD", "Kalinnigrad"),
        ("Des soldats de Novossibirks ont parlé.", "RU-NVS", "Novossibirks"),
        ("Men from Krasnoyrask complained.", "RU-KYA", "Krasnoyrask"),
    ],
)
def test_a_long_name_one_letter_off_is_still_found(text: str, iso: str, quote: str) -> None:
    (match,) = find_places(text, "en")
    assert (match.iso, match.quote) == (iso, quote)


def test_misspelling_tolerance_never_reaches_short_or_unknown_words() -> None:
    assert find_places("Presidents and Ukrainians met the Commanders.", "en") == []
    assert find_places("Men from Irkutks said so.", "en") == []  # short names must be exact


def test_places_listed_after_from_the_cities_of_are_home_regions() -> None:
    text = "About thirty soldiers from the north, from the cities of Kalinnigrad and Murmansk, spoke."
    assert [e["iso"] for e, _ in home_regions(text, 0, len(text), "en")] == ["RU-KGD", "RU-MUR"]
    fr = "Une vingtaine de soldats originaires du Nord de la Russie, des villes Kalinnigrad et Mourmansk, parlent."
    assert [e["iso"] for e, _ in home_regions(fr, 0, len(fr), "fr")] == ["RU-KGD", "RU-MUR"]


def test_a_republic_named_as_the_formation_is_not_the_location() -> None:
    fr = "Ils ont été versés dans les rangs des forces séparatistes des Républiques de Lougansk et de Donetsk."
    assert location(fr, 0, len(fr), "fr", []) is None
    ru = "Их передали в подразделения ЛНР без подготовки."
    assert location(ru, 0, len(ru), "ru", []) is None
    en = "They serve in the army of the DNR, near Avdiivka, and filmed the plea there."
    found = location(en, 0, len(en), "en", [])
    assert found is not None and found[0]["name"] == "Avdiivka"


@pytest.mark.parametrize(
    ("text", "name", "quote"),
    [
        ("Il s'agit du village de Vodyané, près du front.", "Vodiane", "Vodyané"),  # listed "Vodyane"
        ("Ils tenaient Zaitseve depuis deux semaines.", "Zaitseve", "Zaitseve"),  # listed «Zaïtseve»
        ("Des mobilisés de l'oblast de Koursk, puis de Tcheliabinsk.", "Kursk Oblast", "oblast de Koursk"),
        ("VODYANÉ, le 3 mars.", "Vodiane", "VODYANÉ"),
        ("sent to the so-called Donetsk People’s Republic", "Donetsk Oblast", "Donetsk People’s Republic"),
    ],
)
def test_latin_names_match_whatever_their_accents(text: str, name: str, quote: str) -> None:
    found = find_places(text, "fr")
    assert any(m.name_en == name and m.quote == quote for m in found), found


def test_accents_do_not_make_other_words_places() -> None:
    assert find_places("Le café et la forêt près de l'école.", "fr") == []


def test_villages_are_placed_more_exactly_than_cities() -> None:
    (village,) = find_places("They held the village of Vodiane for two weeks.", "en")
    (city,) = find_places("They were sent to Bakhmut.", "en")
    assert (village.precision, city.precision) == ("exact", "city")


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("near the village of Pavlovca", ["Pavlivka"]),  # one letter off, after "village of"
        ("le village de Zaitsevo", ["Zaitseve"]),
        ("Pavlovca was quiet.", []),  # the same word with no settlement word before it
        ("the village of Pavlovsk", []),  # two letters off
    ],
)
def test_a_settlement_word_lets_a_short_name_be_one_letter_off(text: str, found: list[str]) -> None:
    assert [m.name_en for m in find_places(text, "en")] == found


def test_a_short_abbreviation_in_capitals_is_not_a_place() -> None:
    # «СОЧ»: самовольное оставление части (absent without leave), not Sochi
    assert find_places("Комбат после конфликта ушёл в СОЧ, его ищут.", "ru") == []
    assert [m.name_en for m in find_places("Его отправили в Сочи, потом в ДНР.", "ru")] == ["Sochi", "Donetsk Oblast"]
    assert [m.name_en for m in find_places("СРОЧНО: в БЕЛГОРОДЕ и в ХМАО", "ru")] == [
        "Belgorod", "Khanty-Mansi Autonomous Okrug"]


@pytest.mark.parametrize("text", [
    "Regions have spent billions on the war in Ukraine since February.",
    "С начала войны на Украине они не были дома.",
    "Depuis le début de la guerre en Ukraine, ils n'ont pas été payés.",
    "The Ukraine war has cost the region dozens of men.",
])
def test_the_country_that_names_the_war_is_no_location(text: str) -> None:
    assert location(text, 0, len(text), None, []) is None


def test_the_country_soldiers_were_sent_to_is_still_a_location() -> None:
    text = "Их отправили в Украину без подготовки."
    found = location(text, 0, len(text), "ru", [])
    assert found is not None and found[0]["name"] == "Ukraine"
