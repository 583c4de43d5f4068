"""Rule classification on small texts written for these tests: each type, and the look-alikes."""

from __future__ import annotations

import pytest

from dissentwatch.analyze.gate import passes_gate
from dissentwatch.analyze.normalise import matching_view
from dissentwatch.analyze.pipeline import analyze_text

EVENTS = [
    ("ru", "Мобилизованные из 1234-го мотострелкового полка записали видеообращение к президенту. "
           "Они жалуются, что их бросили на передовую без артиллерии и связи.", ["video_appeal"]),
    ("ru", "Военнослужащие 77-й бригады направили коллективное письмо губернатору Пермского края. "
           "В письме бойцы жалуются на невыплату денежного довольствия.", ["written_appeal"]),
    ("ru", "Около тридцати контрактников 45-го полка отказались идти в наступление под Бахмутом, "
           "сообщил телеграм-канал.", ["refusal"]),
    ("ru", "В учебном центре под Белгородом мобилизованные подняли бунт и заперли офицеров в штабе.", ["mutiny"]),
    ("ru", "Рядовой 90-й танковой дивизии самовольно покинул часть и добрался до родного села, "
           "где его задержала военная полиция.", ["desertion"]),
    ("ru", "Гарнизонный военный суд приговорил мобилизованного к пяти годам колонии за отказ "
           "выполнить приказ командира.", ["prosecution"]),
    ("ru", "Командир части уволил двенадцать контрактников за отказ ехать в зону боевых действий.", ["dismissal"]),
    ("ru", "Контрактник из Читы обжаловал в суде приказ о своем увольнении из части.", ["legal_challenge"]),
    ("uk", "Мобілізовані окупанти з Курської області записали відеозвернення до Путіна, в якому "
           "скаржаться на нестачу зброї.", ["video_appeal"]),
    ("uk", "Російські військові з 20-ї бригади відмовилися йти в атаку під Авдіївкою, повідомляє ASTRA.", ["refusal"]),
    ("en", "A Russian contract soldier from the 64th brigade deserted his unit in March and reached "
           "Kazakhstan, his lawyer said.", ["desertion"]),
    ("en", "Soldiers of the 27th brigade recorded a video appeal to the defence minister. Separately, a "
           "conscript from Tver was sentenced to three years for refusing to go to the front.",
     ["prosecution", "video_appeal"]),
    ("fr", "Des soldats mobilisés de la région de Belgorod ont publié un message vidéo adressé à "
           "Vladimir Poutine sur le manque de munitions.", ["video_appeal"]),
    ("fr", "Une vingtaine de soldats russes du 3e bataillon ont refusé de monter à l'assaut, "
           "selon un média indépendant.", ["refusal"]),
]

OTHER_LANGUAGES = [
    ("de", "Russische Soldaten der 30. Brigade haben sich geweigert, erneut anzugreifen.", ["refusal"]),
    ("pl", "Zmobilizowani żołnierze z obwodu kurskiego nagrali apel do Putina, skarżąc się na brak amunicji.",
     ["video_appeal"]),
    ("es", "Un grupo de soldados rusos movilizados grabó un video dirigido a Putin quejándose de la falta "
           "de municiones.", ["video_appeal"]),
]

LOOK_ALIKES = [
    # Ukrainian side
    ("ru", "Бойцы украинской 47-й бригады записали видеообращение к Зеленскому с жалобой на отсутствие ротации."),
    ("en", "A Ukrainian soldier who deserted from his brigade was detained in France, Ukrainian media reported."),
    # relatives' street protest and general campaign
    ("ru", "Жены мобилизованных вышли на митинг у администрации и обратились к властям с требованием вернуть мужей."),
    ("ru", "Родственники мобилизованных регулярно пишут обращения в администрацию президента."),
    # civilians avoiding mobilisation
    ("en", "Hundreds of men fled Russia to avoid the draft, and some said they refused to fight in Ukraine."),
    # prisoners of war on camera, intercepted calls
    ("ru", "На видео допроса пленный мобилизованный из 150-й дивизии обращается к Путину и жалуется на командиров."),
    ("ru", "СБУ опубликовала перехваченный телефонный разговор, в котором российский солдат жалуется матери, "
           "что его рота отказывается идти в атаку."),
    # officials, an official's own video address, negated refusal
    ("ru", "Губернатор Курской области обратился в военную прокуратуру с просьбой проверить информацию."),
    ("ru", "Путин выступил с видеообращением к гражданам по поводу мобилизации."),
    ("en", "We are not refusing to fight, the soldiers insisted, we only want proper equipment."),
    ("en", "The president recorded a video address congratulating the troops on the holiday."),
    ("en", "The ministry denied reports that a whole company had refused orders, calling them fakes."),
    ("ru", "Призывники отказываются являться в военкоматы после получения повесток."),
    ("en", "Relatives of mobilised men staged a protest outside the ministry demanding their return."),
    ("uk", "Окупанти з 3-ї армії відмовилися наступати, свідчить перехоплена розмова."),
]

AGGREGATES = [
    ("ru", "С начала года в военные суды поступило более 5 000 дел о самовольном оставлении части.", 5000.0),
    ("en", "Since February, at least 20 such video appeals by mobilised soldiers have appeared on Telegram.", 20.0),
    ("fr", "Depuis le début du mois, une quinzaine de vidéos de soldats mobilisés se plaignant de leur "
           "commandement circulent sur Telegram.", 15.0),
]


@pytest.mark.parametrize(("lang", "text", "expected"), EVENTS + OTHER_LANGUAGES)
def test_event_types(lang: str, text: str, expected: list[str]) -> None:
    analysis = analyze_text(text, 1, lang)
    assert sorted(m.type for m in analysis.mentions) == expected
    for m in analysis.mentions:
        quote = m.evidence[0]
        assert quote.field == "type" and text[quote.start : quote.end] == quote.quote


@pytest.mark.parametrize(("lang", "text"), LOOK_ALIKES)
def test_look_alikes_are_not_events(lang: str, text: str) -> None:
    assert analyze_text(text, 1, lang).mentions == []


@pytest.mark.parametrize(("lang", "text", "number"), AGGREGATES)
def test_count_statements_become_aggregates(lang: str, text: str, number: float) -> None:
    analysis = analyze_text(text, 1, lang)
    assert analysis.mentions == []
    assert [a.number for a in analysis.aggregates] == [number]
    assert all(text[a.start : a.end] == a.quote for a in analysis.aggregates)


def test_relatives_appeal_on_behalf_of_a_unit() -> None:
    text = ("Wives of mobilized men from the 1430th regiment recorded a video appeal to Putin "
            "demanding that their husbands be rotated out.")
    [mention] = analyze_text(text, 1, "en").mentions
    assert (mention.type, mention.by_relatives) == ("video_appeal", True)
    letter = ("Mothers of conscripts serving in the 200th brigade sent a letter to the defence minister "
              "asking him to bring their sons home.")
    [mention] = analyze_text(letter, 1, "en").mentions
    assert (mention.type, mention.by_relatives) == ("written_appeal", True)


def test_one_document_several_events() -> None:
    text = ("В начале марта мобилизованные из 1441-го полка записали видеообращение к Путину. "
            "Они говорят, что их отправили в атаку без подготовки.\n"
            "Через неделю другое видео опубликовали бойцы 1442-го полка, которые тоже жалуются на командование.")
    mentions = analyze_text(text, 1, "ru").mentions
    assert [m.type for m in mentions] == ["video_appeal", "video_appeal"]
    assert mentions[0].start < mentions[1].start


def test_telegram_markup_and_emoji_do_not_hide_triggers() -> None:
    text = "🔥🔥 **Срочно**: #мобилизованные из 12-й бригады __записали видеообращение__ к министру обороны 👇"
    view = matching_view(text)
    assert len(view) == len(text)
    assert passes_gate(view)
    [mention] = analyze_text(text, 1, "ru").mentions
    assert mention.type == "video_appeal"


def test_gate_rejects_ordinary_news() -> None:
    assert not passes_gate(matching_view("В Москве открылся новый парк, сообщили в мэрии. Погода будет солнечной."))
    assert not passes_gate(matching_view("The central bank kept its key rate unchanged on Friday."))


def test_hostile_markup_stays_text() -> None:
    text = '<script>alert("x")</script> Солдаты 5-й бригады записали видеообращение <b>к Путину</b>.'
    [mention] = analyze_text(text, 1, "ru").mentions
    assert "<b>" in mention.evidence[0].quote or "Солдаты" in mention.evidence[0].quote


@pytest.mark.parametrize("text", [
    "Военкор пожаловался на плохое снабжение мобилизованных в зоне СВО.",
    "Z-блогер обратился к министру обороны с критикой снабжения бойцов.",
])
def test_commentators_complaints_are_not_soldiers_appeals(text: str) -> None:
    assert analyze_text(text, 1, "ru").mentions == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Суд приговорил рядового 312-й бригады к четырём годам за самовольное оставление части. "
         "Защитник намерен обжаловать приговор.", ["prosecution"]),
        ("A court sentenced a private of the 45th regiment to five years for desertion; "
         "his lawyer will appeal the verdict.", ["prosecution"]),
        ("Контрактники 312-й бригады обжаловали в суде приказ об увольнении.", ["legal_challenge"]),
    ],
)
def test_appealing_a_sentence_is_the_prosecution_not_a_legal_challenge(text: str, expected: list[str]) -> None:
    assert sorted({m.type for m in analyze_text(text).mentions}) == expected


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("ru", "Мобилизованные из Самарской области рассказали, что их отправили на передовую без всякой "
               "подготовки. Депутат обратился в прокуратуру с просьбой проверить их слова."),
        ("en", "Reservists from the Tver region said they had been sent to the front without proper training. "
               "A local councillor has appealed to prosecutors."),
        # the imperfective «сообщали»
        ("ru", "Ранее мобилизованные из Пензы сообщали, что их отправили на штурм без должной подготовки. "
               "Губернатор обратился в военную прокуратуру."),
        # quoted first, attributed after, told to the press (no appeal word anywhere)
        ("ru", "«Нет патронов, нет еды, ничего нет», — рассказал изданию мобилизованный из Костромы. "
               "По его словам, их роту оставили в поле на трое суток."),
        ("en", "\"We have no ammunition and no food,\" a mobilised soldier from Kostroma told reporters."),
    ],
)
def test_a_complaint_the_soldiers_reported_is_their_appeal(lang: str, text: str) -> None:
    (mention,) = analyze_text(text, 1, lang).mentions
    assert mention.type == "written_appeal" and not mention.by_relatives


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        # the soldiers report no hardship of their own
        ("ru", "Военные сообщили, что противник отступил. Губернатор обратился к жителям с просьбой сохранять спокойствие."),
        # an official reports, the soldiers are only named after the verb
        ("ru", "В министерстве сообщили, что мобилизованных отправили без подготовки по ошибке. "
               "Министр обратился к прокурору."),
        # a reported complaint in a document that is not about appeals
        ("en", "The soldiers said they were sent in without ammunition, the ministry confirmed on Monday."),
        # a quotation of hardship told to the press by someone who is not a soldier
        ("ru", "«Нет еды, нет света», — рассказала изданию жительница Белгорода."),
    ],
)
def test_reports_that_are_not_a_soldiers_complaint(lang: str, text: str) -> None:
    assert analyze_text(text, 1, lang).mentions == []


def test_a_soldier_speaking_of_the_enemys_hardship_is_no_complaint() -> None:
    first = "Командир батальона заявил, что противник остался без боеприпасов."
    text = first + " Позже жёны мобилизованных записали обращение к губернатору."
    assert all(m.start >= len(first) for m in analyze_text(text, 1, "ru").mentions)
