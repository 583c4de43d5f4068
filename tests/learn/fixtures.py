"""A small labelled corpus written for these tests (not taken from any dataset): reports of a
few invented occurrences in Russian and English, everyday news, and a Telegram channel of
negatives. Several records report the same occurrence (``same_event``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

# (id, language, occurrence tag or None, type or None, text; the first sentence is the evidence)
RECORDS: list[tuple[str, str, str | None, str | None, str]] = [
    ("r1", "ru", "occ-refusal-44", "refusal",
     "Бойцы 44-го мотострелкового полка отказались выходить на позиции под Купянском. "
     "По словам их жён, командир пригрозил им уголовным делом."),
    ("r2", "ru", "occ-refusal-44", "refusal",
     "Военнослужащие 44-го полка отказались идти в штурм и вернулись в пункт временной дислокации. "
     "Их родственники обратились в редакцию."),
    ("r3", "en", "occ-refusal-44", "refusal",
     "Soldiers of the 44th motor rifle regiment refused to go back to their positions near Kupiansk. "
     "Their wives say the commander threatened them with prosecution."),
    ("r4", "ru", "occ-refusal-9", "refusal",
     "Мобилизованные из Саратовской области отказались продолжать участие в боевых действиях. "
     "Они написали рапорты и были отправлены в подвал."),
    ("r5", "en", "occ-refusal-12", "refusal",
     "A group of conscripts from the 12th brigade refused to be sent to the front line, a local outlet reported. "
     "The unit's command did not comment."),
    ("r6", "ru", "occ-video-310", "video_appeal",
     "Мобилизованные из 310-го батальона записали видеообращение к президенту с жалобой на отсутствие ротации. "
     "На видео около двадцати человек в форме."),
    ("r7", "en", "occ-video-310", "video_appeal",
     "Mobilised men from the 310th battalion recorded a video appeal to the president complaining of no rotation. "
     "About twenty men in uniform appear in the clip."),
    ("r8", "ru", "occ-video-77", "video_appeal",
     "Солдаты 77-й бригады опубликовали видеообращение к губернатору: их бросили без оружия и еды. "
     "Ролик разошёлся по местным каналам."),
    ("r9", "en", "occ-video-5", "video_appeal",
     "Servicemen from Buryatia posted a video address to the defence minister asking to be brought home. "
     "They say they have served for a year without leave."),
    ("r10", "ru", "occ-letter-21", "written_appeal",
     "Жёны мобилизованных из 21-го полка направили коллективное письмо в Генпрокуратуру. "
     "Они требуют вернуть мужей домой после года службы."),
    ("r11", "en", "occ-letter-21", "written_appeal",
     "Wives of men mobilised into the 21st regiment sent a collective letter to the prosecutor general. "
     "They demand that their husbands come home after a year."),
    ("r12", "ru", "occ-letter-3", "written_appeal",
     "Военнослужащие подали коллективную жалобу уполномоченному по правам человека на условия службы. "
     "Обращение подписали сорок человек."),
    ("r13", "en", "occ-letter-8", "written_appeal",
     "Troops of an artillery unit wrote a petition to the regional governor about unpaid combat bonuses. "
     "Forty-three men signed it."),
    ("r14", "ru", "occ-desert-1", "desertion",
     "Двое контрактников самовольно покинули часть в Белгородской области и скрылись. "
     "Их объявили в розыск."),
    ("r15", "en", "occ-desert-1", "desertion",
     "Two contract soldiers deserted their unit in the Belgorod region and went into hiding. "
     "They have been put on the wanted list."),
    ("r16", "ru", "occ-desert-2", "desertion",
     "Мобилизованный сбежал из воинской части под Луганском и добрался до дома. "
     "Его задержали через неделю."),
    ("r17", "en", "occ-desert-3", "desertion",
     "A mobilised soldier fled his unit near Luhansk and made his way home, his mother said. "
     "Military police detained him a week later."),
    ("r18", "ru", "occ-court-1", "prosecution",
     "Гарнизонный военный суд приговорил мобилизованного к пяти годам колонии за отказ выполнить приказ. "
     "Он не признал вину."),
    ("r19", "en", "occ-court-1", "prosecution",
     "A garrison military court sentenced a mobilised man to five years in a penal colony for refusing an order. "
     "He pleaded not guilty."),
    ("r20", "ru", "occ-court-2", "prosecution",
     "Военный суд в Ростове назначил контрактнику три года за самовольное оставление части. "
     "Дело рассматривалось в особом порядке."),
    ("r21", "en", "occ-court-3", "prosecution",
     "A military court in Rostov gave a contract soldier three years for going absent without leave. "
     "The case was heard in a fast-track procedure."),
    # not events
    ("n1", "ru", None, None, "В Москве в выходные ожидается до двадцати градусов тепла и небольшой дождь. "
     "Синоптики советуют взять зонт."),
    ("n2", "en", None, None, "The city council approved a new budget for public parks on Monday. "
     "The vote was unanimous."),
    ("n3", "ru", None, None, "Сборная по хоккею выиграла товарищеский матч со счётом 4:2. "
     "Следующая игра пройдёт в пятницу."),
    ("n4", "en", None, None, "Shares of the largest carmaker rose three percent after strong quarterly sales. "
     "Analysts expect further growth."),
    ("n5", "ru", None, None, "Министерство обороны сообщило о плановых учениях артиллерии на полигоне. "
     "В учениях задействовано около тысячи военнослужащих."),
    ("n6", "en", None, None, "The defence ministry said new armoured vehicles were delivered to the troops. "
     "The deliveries will continue next year."),
    ("n7", "ru", None, None, "Пациентка обратилась к врачу с жалобой на боль в спине. "
     "Ей назначили лечение."),
    ("n8", "en", None, None, "The footballer refused to comment on his transfer to a Spanish club. "
     "His agent said talks were ongoing."),
    ("n9", "ru", None, None, "В школах региона начались осенние каникулы, они продлятся неделю. "
     "Родителей просят следить за детьми."),
    ("n10", "en", None, None, "A new bridge over the river will open to traffic in spring, the mayor said. "
     "Construction cost two million dollars."),
    ("n11", "ru", None, None, "Губернатор вручил медали военнослужащим, вернувшимся из зоны боевых действий. "
     "Церемония прошла в областном драмтеатре."),
    ("n12", "en", None, None, "Veterans gathered in the central square to lay flowers at the memorial. "
     "The ceremony was attended by the mayor."),
    ("n13", "ru", None, None, "Цены на бензин в регионе выросли на два процента за месяц. "
     "Эксперты связывают это с ремонтом завода."),
    ("n14", "en", None, None, "The singer cancelled her concert tour because of illness. "
     "Tickets will be refunded."),
]

# posts of a Telegram channel, none of them a report (several name soldiers or the army)
STREAM_POSTS = [
    "Минобороны показало кадры работы расчёта реактивной артиллерии.",
    "Военнослужащим повысят денежное довольствие с января, сообщил министр.",
    "В регионе открылся пункт отбора на военную службу по контракту.",
    "Солдаты помогли жителям посёлка расчистить дороги после снегопада.",
    "На параде прошли две тысячи военнослужащих и сто единиц техники.",
    "Сегодня в городе ожидается сильный ветер, будьте осторожны.",
    "Футбольный клуб объявил о подписании нового тренера.",
    "Армейские игры открылись на подмосковном полигоне.",
]


def write_corpus(folder: Path, records: list[tuple[str, str, str | None, str | None, str]] = RECORDS,
                 flip: bool = False) -> tuple[Path, Path]:
    """DOCS and GOLD JSONL of ``records``; ``flip`` swaps every label (a corpus that teaches nonsense)."""
    folder.mkdir(parents=True, exist_ok=True)
    docs, gold = folder / "docs.jsonl", folder / "gold.jsonl"
    doc_lines, gold_lines = [], []
    for ident, language, tag, kind, text in records:
        doc: dict[str, Any] = {"id": ident, "language": language, "text": text, "published": "2024-05-01"}
        if tag:
            doc["same_event"] = tag
        doc_lines.append(json.dumps(doc, ensure_ascii=False))
        is_event = (kind is not None) != flip
        evidence = text.split(". ")[0] + "."
        events = [_event(kind or "refusal", evidence)] if is_event else []
        gold_lines.append(json.dumps({"id": ident, "events": events, "aggregates": []}, ensure_ascii=False))
    docs.write_text("\n".join(doc_lines) + "\n", encoding="utf-8")
    gold.write_text("\n".join(gold_lines) + "\n", encoding="utf-8")
    return docs, gold


def _event(kind: str, evidence: str) -> dict[str, Any]:
    return {"type": kind, "by_relatives": False, "unit": None, "unit_number": None, "date": None,
            "home_regions": [], "addressee": None, "grievances": [], "evidence": evidence}


def write_stream(folder: Path, posts: list[str] = STREAM_POSTS) -> Path:
    """A Telegram Desktop export (``result.json``) of one channel."""
    folder.mkdir(parents=True, exist_ok=True)
    messages = [{"id": i + 1, "type": "message", "date": f"2024-05-{i + 1:02d}T10:00:00",
                 "date_unixtime": str(1714557600 + 86400 * i), "from": "Тестовый канал",
                 "from_id": "channel1700000001", "text": text} for i, text in enumerate(posts)]
    data = {"name": "Тестовый канал", "type": "public_channel", "id": 1700000001, "messages": messages}
    (folder / "result.json").write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    return folder
