"""extract_fields end to end: every field from fixture texts, every value with valid evidence."""

from __future__ import annotations

from typing import Any

import pytest

from dissentwatch.analyze.fields import extract_fields
from dissentwatch.models import Evidence

RU_APPEAL = (
    "Канал опубликовал новое видео. 9 февраля около 15 мобилизованных из Пензенской области, "
    "бойцы 1233-го полка, записали обращение к Верховному главнокомандующему. "
    "Мужчины в балаклавах, говорит один из них от имени всех: «Уважаемый Владимир Владимирович, "
    "нас бросают на штурмы без артподдержки и без техники, как пушечное мясо. За неделю погибли семеро. "
    "Выплаты не приходят. Мы не против СВО. Просим вывести нас в тыл и провести проверку». "
    "Записано под Угледаром."
)
EN_APPEAL = (
    "A new video appeared on Tuesday. Between eight and twelve mobilised men from the Kirov region, "
    "all from the 752nd Motorised Rifle Regiment, appeal to President Putin. Wearing masks, they say "
    "they are used as cannon fodder in frontal assaults, have no ammunition, and that four soldiers "
    "were killed last week. They ask to be sent home."
)
FR_APPEAL = (
    "Dans une vidéo publiée le 5 avril, une vingtaine de soldats du 1194e régiment, originaires "
    "de la région de Kourgan, s'adressent à Vladimir Poutine. Cagoulés, ils disent être de la chair à "
    "canon et manquer de munitions."
)
UK_APPEAL = (
    "Мобілізовані з Омської області записали відеозвернення до Путіна. "
    "Вони скаржаться, що їх кинули на штурм без підготовки."
)


def _run(text: str, lang: str, published: str | None = None,
         event_type: str = "video_appeal") -> tuple[dict[str, Any], list[Evidence]]:
    fields, evidence = extract_fields(text, 0, len(text), lang, published, 7, event_type)
    for item in evidence:
        assert item.check(text), item
        assert item.document_id == 7
    cited = {item.field for item in evidence}
    for key in fields:
        if key not in {"date_precision", "date_kind"}:
            assert key in cited, key
    return fields, evidence


def test_russian_appeal_fields() -> None:
    fields, _ = _run(RU_APPEAL, "ru", "2024-02-11")
    assert fields["date"] == "2024-02-09" and fields["date_precision"] == "day"
    assert fields["date_kind"] == "occurred"
    assert fields["unit"] == {"name": "1233-го полка", "number": "1233", "kind": "regiment"}
    assert fields["status"] == "mobilized"
    assert fields["participants"] == 15
    assert fields["faces_covered"] is True and fields["spokesperson"] is True
    assert [r["iso"] for r in fields["home_regions"]] == ["RU-PNZ"]
    assert fields["location"]["name"] == "Vuhledar"
    assert fields["addressee"] == "head_of_state"
    assert fields["address_form"].startswith("Уважаемый Владимир Владимирович")
    assert {"frontal_assaults", "no_fire_support_or_recon", "lack_of_heavy_weapons", "pay"} <= set(
        fields["grievances"])
    assert {"withdraw_to_rear_or_home", "investigation"} <= set(fields["demands"])
    assert fields["killed_claimed"] == 7
    assert fields["disclaimers"]


def test_english_appeal_fields() -> None:
    fields, _ = _run(EN_APPEAL, "en", "2024-03-14")
    assert fields["participants"] == [8, 12]
    assert fields["unit"]["number"] == "752" and fields["unit"]["kind"] == "regiment"
    assert [r["iso"] for r in fields["home_regions"]] == ["RU-KIR"]
    assert fields["addressee"] == "head_of_state"
    assert fields["faces_covered"] is True
    assert {"frontal_assaults", "no_weapons_or_ammo"} <= set(fields["grievances"])
    assert fields["killed_claimed"] == 4
    assert fields["date"] == "2024-03-12"


def test_french_appeal_fields() -> None:
    fields, _ = _run(FR_APPEAL, "fr", "2024-04-07")
    assert fields["date"] == "2024-04-05"
    assert fields["participants"] == 20
    assert fields["unit"]["number"] == "1194"
    assert [r["iso"] for r in fields["home_regions"]] == ["RU-KGN"]
    assert fields["addressee"] == "head_of_state"
    assert fields["faces_covered"] is True
    assert {"frontal_assaults", "no_weapons_or_ammo"} <= set(fields["grievances"])


def test_ukrainian_appeal_fields() -> None:
    fields, _ = _run(UK_APPEAL, "uk")
    assert [r["iso"] for r in fields["home_regions"]] == ["RU-OMS"]
    assert fields["status"] == "mobilized"
    assert {"frontal_assaults", "insufficient_training"} <= set(fields["grievances"])


def test_only_the_segment_is_read() -> None:
    text = "Первая часть про Курск. " + UK_APPEAL
    start = text.index("Мобілізовані")
    fields, evidence = extract_fields(text, start, len(text), "uk", None, 1, "video_appeal")
    assert all(e.start >= start for e in evidence if e.field != "date")
    assert "RU-KRS" not in {r["iso"] for r in fields.get("home_regions", [])}


def test_vague_numbers_and_plain_text_give_no_values() -> None:
    fields, evidence = _run("Десятки мобилизованных недовольны.", "ru")
    assert "participants" not in fields
    fields, evidence = _run("Погода сегодня хорошая.", "ru")
    assert fields == {} and evidence == []


@pytest.mark.parametrize("event_type", ["refusal", "desertion"])
def test_addressee_only_for_appeals(event_type: str) -> None:
    fields, _ = _run("Солдаты обратились к президенту и отказались идти в бой.", "ru", event_type=event_type)
    assert "addressee" not in fields


def test_hostile_markup_stays_text() -> None:
    text = "<script>alert(1)</script> мобилизованные из Курской области записали обращение"
    fields, evidence = _run(text, "ru")
    assert [r["iso"] for r in fields["home_regions"]] == ["RU-KRS"]
    assert all("<script>" not in e.quote for e in evidence)


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("Мобилизованный из Тулы рассказал, что отказался ехать на фронт.", "ru", 1),
        ("A young soldier told his commander he would not go back.", "en", 1),
        ("Мобилизованные из Тулы рассказали, что отказались ехать на фронт.", "ru", None),
        ("Военная прокуратура проверяет обращение.", "ru", None),
    ],
)
def test_a_single_actor_counts_as_one(text: str, lang: str, expected: int | None) -> None:
    fields, _ = _run(text, lang, event_type="refusal")
    assert fields.get("participants") == expected
