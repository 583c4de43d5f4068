"""A store whose texts name private people and public figures in Russian, Ukrainian, English and
French (invented sentences), for the tests of ``--pseudonymise`` in exports and the web view."""

from __future__ import annotations

from dissentwatch.resolve.resolver import resolve_mentions
from dissentwatch.store import Store
from eventfactory import add_document, mention, save

KEY = b"test-key-0123456789abcdef-not-secret"
OTHER_KEY = b"another-key-0123456789abcdef-xyz"

TEXTS = {
    "ru": ("Рядовой Иван Петров из 5-й бригады записал видеообращение к президенту Владимиру Путину. "
           "Жена Ивана Петрова, Анна Петрова, говорит, что министр обороны Андрей Белоусов не ответил. "
           "Пишите ей: t.me/anna_petrova_77 или vk.com/id4455667. "
           "Видео опубликовала «Медиазона»: https://t.me/mediazzzona/4321"),
    "uk": ("Мобілізований Тарас Коваленко з 3-ї бригади відмовився йти в атаку 12 травня. "
           "Його мати Оксана Коваленко розповіла про це. Головнокомандувач Олександр Сирський "
           "прокоментував. Профіль: facebook.com/oksana.kovalenko.5"),
    "en": ("Private John Harrow of the 155th brigade refused to fight on May 3, his wife Mary Harrow said. "
           "President Vladimir Putin has not answered. Harrow's lawyer posted at instagram.com/mary.harrow. "
           "The Moscow Times reported it: https://www.themoscowtimes.com/2024/05/04/a-story"),
    "fr": ("Le soldat Pierre Valmont a déserté le 9 juin, selon son épouse Claire Valmont. "
           "Le président Emmanuel Macron a été interrogé. La vidéo circule sur twitter.com/claire_valmont. "
           "Selon RFI, Pierre Valmont est détenu."),
}
PRIVATE = ["Петров", "Анна", "Коваленко", "Тарас", "Оксана", "Harrow", "Valmont", "anna_petrova_77",
           "id4455667", "oksana.kovalenko", "mary.harrow", "claire_valmont"]
"""What no pseudonymised output may hold (Петров also covers Петрова, Петрову ...)."""
PUBLIC = ["Путину", "Андрей Белоусов", "Олександр Сирський", "Vladimir Putin", "Emmanuel Macron",
          "t.me/mediazzzona/4321", "themoscowtimes.com", "Медиазона"]
"""What a pseudonymised output keeps: public figures, outlets and their links."""


def seed_people(store: Store) -> dict[str, str]:
    """Four events, one per language, each with quotes that name their people; returns the
    event id of each language."""
    ru = add_document(store, "tg/ru1", TEXTS["ru"], published="2024-05-02T10:00:00Z", outlet="Канал Н",
                      url="https://t.me/somechannel/11")
    save(store, ru, mention(store, ru, "video_appeal", "записал видеообращение",
                            fields={"unit": {"name": "5-й бригады", "number": "5", "kind": "brigade"},
                                    "addressee": "head_of_state", "spokesperson": True},
                            evidence={"unit": "5-й бригады", "addressee": "президенту Владимиру Путину",
                                      "spokesperson": "Рядовой Иван Петров из 5-й бригады",
                                      "evidence": "Жена Ивана Петрова, Анна Петрова, говорит"}))
    uk = add_document(store, "files/uk1", TEXTS["uk"], published="2024-05-13T10:00:00Z", language="uk",
                      outlet="Новини")
    save(store, uk, mention(store, uk, "refusal", "відмовився йти в атаку",
                            fields={"unit": {"name": "3-ї бригади", "number": "3", "kind": "brigade"}, "date": "2024-05-12"},
                            evidence={"unit": "3-ї бригади", "date": "12 травня",
                                      "evidence": "Мобілізований Тарас Коваленко з 3-ї бригади відмовився"}))
    en = add_document(store, "files/en1", TEXTS["en"], published="2024-05-04T10:00:00Z", language="en",
                      outlet="The Moscow Times", url="https://www.themoscowtimes.com/2024/05/04/a-story")
    save(store, en, mention(store, en, "refusal", "refused to fight",
                            fields={"unit": {"name": "155th brigade", "number": "155", "kind": "brigade"}, "date": "--05-03"},
                            evidence={"unit": "155th brigade", "date": "May 3",
                                      "evidence": "Private John Harrow of the 155th brigade refused to fight"}))
    fr = add_document(store, "files/fr1", TEXTS["fr"], published="2024-06-10T10:00:00Z", language="fr",
                      outlet="RFI", url="https://twitter.com/claire_valmont/status/1")
    save(store, fr, mention(store, fr, "desertion", "a déserté",
                            fields={"date": "--06-09"},
                            evidence={"date": "9 juin", "evidence": "Le soldat Pierre Valmont a déserté"}))
    resolve_mentions(store)
    ids = {}
    for lang, doc in (("ru", ru), ("uk", uk), ("en", en), ("fr", fr)):
        ids[lang] = str(store.scalar("SELECT em.event_id FROM event_mentions em JOIN mentions m "
                                     "ON m.id = em.mention_id WHERE m.document_id = ?", (doc,)))
    return ids
