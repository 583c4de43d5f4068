"""Lexicon matching on lemmas, and the fields read through lexicons: status, affiliation,
addressee, demands, casualties, cues."""

from __future__ import annotations

import pytest

from dissentwatch.analyze.fields import addressee, affiliation, casualties, cues, demands, status
from dissentwatch.analyze.fields.lexicon import Lexicon
from dissentwatch.analyze.fields.units import find_units


def _keys(lexicon: Lexicon, text: str, lang: str) -> list[str]:
    return [hit.key for hit in lexicon.find(text, lang)]


def test_phrases_match_inflected_russian_words_stems_and_gaps() -> None:
    lexicon = Lexicon({"support": {"ru": ["без .. артподдержка"]}, "meat": {"ru": ["пушечный мясо"]},
                       "storm": {"ru": ["штурм*"], "en": ["frontal assault*"]}})
    assert _keys(lexicon, "Нас бросили без всякой артподдержки.", "ru") == ["support"]
    assert _keys(lexicon, "Мы для них пушечным мясом стали.", "ru") == ["meat"]
    assert _keys(lexicon, "Штурмовать в лоб", "ru") == ["storm"]
    assert _keys(lexicon, "They died in frontal assaults.", "en") == ["storm"]
    assert set(_keys(lexicon, "Без огня и без связи, без артподдержки", "ru")) == {"support"}


def test_hits_carry_offsets_into_the_text() -> None:
    lexicon = Lexicon({"pay": {"ru": ["не платить"]}})
    text = "Нам до сих пор не платят."
    (hit,) = lexicon.find(text, "ru")
    assert text[hit.start : hit.end] == "не платят"


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("Контрактники 4-й бригады пишут, что их не отпускают.", "ru", "contract"),
        ("Мы не контрактники, мы мобилизованные.", "ru", "mobilized"),
        ("Срочников отправили на границу.", "ru", "conscript"),
        ("Former prisoners recruited into Storm-Z units complain.", "en", "prisoner_recruit"),
        ("Les volontaires du bataillon se plaignent.", "fr", "volunteer"),
    ],
)
def test_status(text: str, lang: str, expected: str) -> None:
    hit = status.status(text, 0, len(text), lang)
    assert hit is not None and hit.key == expected


def test_affiliation_from_cues_and_from_the_units_gazetteer() -> None:
    text = "Бойцы народной милиции ЛНР отказались наступать."
    assert affiliation.affiliation(text, 0, len(text), "ru", None)[0] == "dnr_lnr"
    text = "Морпехи 155-й бригады написали письмо."
    unit = find_units(text, 0, len(text))[0]
    assert affiliation.affiliation(text, 0, len(text), "ru", unit)[0] == "defence_ministry"
    text = "Солдаты 5-й бригады записали видео."
    unit = find_units(text, 0, len(text))[0]
    assert affiliation.affiliation(text, 0, len(text), "ru", unit) is None  # two 5th brigades known


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("Мобилизованные обратились к губернатору и к министру обороны.", "ru", "governor"),
        ("Бойцы записали обращение к Шойгу.", "ru", "defence_ministry"),
        ("Жёны написали письмо в военную прокуратуру.", "ru", "prosecutor"),
        ("The men appealed to the Kremlin for help.", "en", "head_of_state"),
        ("Ils lancent un appel au président.", "fr", "head_of_state"),
        ("A Duma deputy received forty complaints from the men.", "en", "other"),
    ],
)
def test_addressee(text: str, lang: str, expected: str) -> None:
    hit = addressee.addressee(text, 0, len(text), lang)
    assert hit is not None and hit.key == expected


def test_a_leader_merely_named_is_no_addressee() -> None:
    text = "Путин вчера выступал на совещании."
    assert addressee.addressee(text, 0, len(text), "ru") is None


def test_form_of_address() -> None:
    text = "«Уважаемый Верховный главнокомандующий, просим помочь»"
    start, end = addressee.address_form(text, 0, len(text))
    assert text[start:end] == "Уважаемый Верховный главнокомандующий"


def test_demands_need_a_request() -> None:
    asked = "Мы просим провести проверку и вернуть нас домой."
    assert set(demands.demands(asked, 0, len(asked), "ru")) == {"investigation", "withdraw_to_rear_or_home"}
    told = "Прокуратура начала проверку."
    assert demands.demands(told, 0, len(told), "ru") == {}


@pytest.mark.parametrize(
    ("text", "killed", "wounded"),
    [
        ("За два дня погибли одиннадцать человек, ранены ещё 30.", 11, 30),
        ("Eight men were killed and 14 wounded.", 8, 14),
        ("Trois soldats ont été tués dans une tranchée.", 3, None),
        ("Погибших нет.", None, None),
    ],
)
def test_casualties(text: str, killed: int | None, wounded: int | None) -> None:
    k = casualties.killed_claimed(text, 0, len(text))
    w = casualties.wounded_claimed(text, 0, len(text))
    assert (k.value if k else None, w.value if w else None) == (killed, wounded)


def test_faces_spokesperson_disclaimers() -> None:
    text = "Солдаты в балаклавах; один из них говорит от имени роты: «Мы не отказываемся воевать»."
    assert cues.faces_covered(text, 0, len(text), "ru") is not None
    assert cues.spokesperson(text, 0, len(text), "ru") is not None
    assert cues.disclaimers(text, 0, len(text), "ru")
