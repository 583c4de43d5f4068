"""Units as written in Russian, Ukrainian, English, French and German."""

from __future__ import annotations

import pytest

from dissentwatch.analyze.fields.units import find_units


@pytest.mark.parametrize(
    ("text", "number", "kind", "name"),
    [
        ("бойцы 37-й отдельной гвардейской мотострелковой бригады", "37", "brigade",
         "37-й отдельной гвардейской мотострелковой бригады"),
        ("мобилизованные 423-го мсп пожаловались", "423", "regiment", "423-го мсп"),
        ("служит в в/ч 54096 под Курском", "54096", "military_unit", "в/ч 54096"),
        ("из войсковой части 31612 ушли трое", "31612", "military_unit", "войсковой части 31612"),
        ("обращение бойцов полка 1439", "1439", "regiment", "полка 1439"),
        ("солдаты 1232-й полк отказались", "1232", "regiment", "1232-й полк"),
        ("бійці 3-го батальйону", "3", "battalion", "3-го батальйону"),
        ("men of the 36th Separate Motor Rifle Brigade", "36", "brigade", "36th Separate Motor Rifle Brigade"),
        ("soldiers of the 1st battalion", "1", "battalion", "1st battalion"),
        ("les hommes du 87e régiment", "87", "regiment", "87e régiment"),
        ("la troisième compagnie refuse", "3", "company", "troisième compagnie"),
        ("Soldaten der 42. Division", "42", "division", "42. Division"),
        ("Вторая рота отказалась", "2", "company", "Вторая рота"),
    ],
)
def test_unit_forms(text: str, number: str, kind: str, name: str) -> None:
    first = find_units(text, 0, len(text))[0]
    assert (first.number, first.kind, first.name) == (number, kind, name)
    assert text[first.start : first.end] == first.name


def test_counts_and_years_are_not_units() -> None:
    for text in ("около 300 военных из бригады", "в 2023 году бригада вернулась", "the first time the brigade"):
        assert [u for u in find_units(text, 0, len(text)) if u.number] == [], text


@pytest.mark.parametrize(
    ("text", "number", "kind"),
    [
        ("бійці 58-ї окремої бригади", "58", "brigade"),
        ("військові 2-го батальйону", "2", "battalion"),
        ("военнослужащие 98-й ВДД", "98", "division"),
        ("мобилизованные 9-й армии", "9", "army"),
        ("le 4e bataillon", "4", "battalion"),
    ],
)
def test_more_unit_forms(text: str, number: str, kind: str) -> None:
    first = find_units(text, 0, len(text))[0]
    assert (first.number, first.kind) == (number, kind)


def test_a_count_of_soldiers_before_a_unit_is_not_its_number() -> None:
    text = "около 300 солдат бригады отказались"
    assert [u for u in find_units(text, 0, len(text)) if u.number] == []


def test_a_day_of_the_month_is_not_a_unit_number() -> None:
    text = "Гарнизонный суд 14 апреля осудил рядового 312-й бригады, а 2 мая — сержанта из 45-го полка."
    assert [(u.number, u.kind) for u in find_units(text, 0, len(text))] == [("312", "brigade"), ("45", "regiment")]
    english = "On 3 March soldiers of the 88th brigade spoke."
    assert [u.number for u in find_units(english, 0, len(english))] == ["88"]
