"""The outlets gazetteer and re-tellings that join the report of the outlet they cite."""

from __future__ import annotations

import json
from typing import Any

from dissentwatch.resolve.outlets import cited_outlets, gazetteer, outlet_of
from dissentwatch.resolve.resolver import resolve_mentions
from dissentwatch.store import Store
from eventfactory import add_document, events_of, mention, save


def test_every_outlet_has_an_id_names_and_domains() -> None:
    outlets = gazetteer()["outlets"]
    ids = [o["id"] for o in outlets]
    assert len(ids) == len(set(ids)) > 40
    assert all(o["names"] and isinstance(o["domains"], list) for o in outlets)


def test_a_document_s_outlet_comes_from_its_site_then_from_its_outlet_field() -> None:
    assert outlet_of("https://www.theguardian.com/world/2022/may/01/x", None) == "guardian"
    assert outlet_of("https://zona.media/news/2023/03/06/x", "whatever") == "mediazona"
    assert outlet_of("https://mirror.example.org/a", "The Guardian") == "guardian"
    assert outlet_of(None, "Русская служба Би-би-си") == "bbc"
    # the longest name wins: not Novaya Gazeta
    assert outlet_of(None, "Novaya Gazeta Europe") == "novaya_gazeta_europe"
    # a name in a remark is not the outlet's own
    assert outlet_of("https://retold.example.net/1", "Zerkalo (retelling Mediazona)") is None
    assert outlet_of("https://example.org/1", "outlet-1") is None
    assert outlet_of("http://[not-an-address/x", "Meduza") == "meduza"  # a broken URL is no crash


def test_cited_outlets_are_named_whole_in_their_inflected_forms_and_not_the_own_one() -> None:
    text = ("По данным «Медиазоны», мобилизованные записали видео; об этом же пишет Коммерсанта "
            "корреспондент, а также the Guardian и franceinfo. Источник Медиазоне подтвердил.")
    assert cited_outlets(text) == {"mediazona", "kommersant", "guardian", "franceinfo"}
    assert cited_outlets(text, own="mediazona") == {"kommersant", "guardian", "franceinfo"}
    # whole words and the case given: a guardian angel, a mediazonal word, a lowercase common noun
    assert cited_outlets("The guardian angel of Mediazonal studies met a коммерсант at the RTL desk.") == set()
    assert cited_outlets("") == set()


RETELLING = ("Ni soldater nægtede at tage til Ukraine, skriver den britiske avis The Guardian, "
             "der bruger et dæknavn for soldaten.")


# Complaints both reports list: with the learned weights too weak to join them alone, and so is
# the citation alone (reports cite outlets that reported other occurrences); together they join.
COMPLAINTS = {"grievances": ["frontal_assaults", "poor_command", "no_rotation_or_leave"]}


def _guardian_report(store: Store, ext: str, text: str, fields: dict[str, Any] | None = None) -> None:
    doc = add_document(store, ext, text, url=f"https://www.theguardian.com/world/{ext}", language="en")
    save(store, doc, mention(store, doc, "refusal", text.split(",")[0], fields=fields))


def test_a_retelling_that_cites_the_outlet_joins_its_report(store: Store) -> None:
    _guardian_report(store, "g1", "Along with eight others, the soldier refused to rejoin the invasion, he said.",
                     COMPLAINTS)
    other = add_document(store, "jp1", RETELLING, url="https://jyllands-posten.example/1", language="da")
    save(store, other, mention(store, other, "refusal", "nægtede at tage til Ukraine", fields=COMPLAINTS))
    resolve_mentions(store)
    assert events_of(store, "jp1") == events_of(store, "g1")
    reason = json.loads(str(store.scalar(
        "SELECT em.reason FROM event_mentions em JOIN mentions m ON m.id = em.mention_id "
        "JOIN documents d ON d.id = m.document_id WHERE d.external_id = 'jp1'")))
    assert reason["signals"]["citation"] > 0


def test_the_source_read_after_its_retelling_joins_it_too(store: Store) -> None:
    other = add_document(store, "jp1", RETELLING, url="https://jyllands-posten.example/1", language="da",
                         published="2022-05-01T10:00:00Z")
    save(store, other, mention(store, other, "refusal", "nægtede at tage til Ukraine", fields=COMPLAINTS))
    doc = add_document(store, "g1", "Nine soldiers refused to rejoin the invasion, one of them said.",
                       url="https://www.theguardian.com/world/g1", language="en", published="2022-05-02T10:00:00Z")
    save(store, doc, mention(store, doc, "refusal", "Nine soldiers refused", fields=COMPLAINTS))
    resolve_mentions(store)
    assert events_of(store, "jp1") == events_of(store, "g1")


def test_a_citation_that_cannot_tell_the_outlet_s_events_apart_merges_nothing(store: Store) -> None:
    _guardian_report(store, "g1", "Soldiers of one brigade refused to redeploy, a soldier said.")
    _guardian_report(store, "g2", "Sailors in another fleet refused to sail, their relatives said.")
    other = add_document(store, "jp1", RETELLING, url="https://jyllands-posten.example/1", language="da")
    save(store, other, mention(store, other, "refusal", "nægtede at tage til Ukraine"))
    resolve_mentions(store)
    assert events_of(store, "g1") != events_of(store, "g2")
    assert events_of(store, "jp1") not in (events_of(store, "g1"), events_of(store, "g2"))


def test_a_citation_does_not_outweigh_a_contradiction(store: Store) -> None:
    doc = add_document(store, "g1", "Soldiers of the 255th regiment refused to attack, they said.",
                       url="https://www.theguardian.com/world/g1", language="en")
    save(store, doc, mention(store, doc, "refusal", "Soldiers of the 255th regiment refused",
                             fields={"unit": {"name": "255th regiment", "number": "255", "kind": "regiment"}}))
    text = "Soldater fra 155. brigade nægtede at angribe, skriver The Guardian."
    other = add_document(store, "jp1", text, url="https://jyllands-posten.example/1", language="da")
    save(store, other, mention(store, other, "refusal", "nægtede at angribe",
                               fields={"unit": {"name": "155. brigade", "number": "155", "kind": "brigade"}}))
    resolve_mentions(store)
    assert events_of(store, "jp1") != events_of(store, "g1")


def test_a_citation_weeks_after_the_outlet_s_report_counts_less(store: Store) -> None:
    doc = add_document(store, "g1", "Nine soldiers refused to rejoin the invasion, one of them said.",
                       url="https://www.theguardian.com/world/g1", language="en", published="2022-05-01T10:00:00Z")
    save(store, doc, mention(store, doc, "refusal", "Nine soldiers refused"))
    late = add_document(store, "jp1", RETELLING, url="https://jyllands-posten.example/1", language="da",
                        published="2022-06-20T10:00:00Z")
    save(store, late, mention(store, late, "refusal", "nægtede at tage til Ukraine"))
    resolve_mentions(store)
    assert events_of(store, "jp1") != events_of(store, "g1")



def test_telegram_channels_and_posts_are_outlets_and_sources() -> None:
    from dissentwatch.resolve.outlets import cited_posts, telegram_post

    assert outlet_of("https://t.me/astrapress/1234", None) == "astra"          # a known channel
    assert outlet_of("https://t.me/s/Some_Channel/5", "Some channel") == "tg:some_channel"
    assert telegram_post("https://t.me/Some_Channel/5") == "some_channel/5"
    assert telegram_post("https://t.me/some_channel") is None and telegram_post(None) is None
    text = ("Видео выложил канал t.me/astrapress/5678, затем https://t.me/other_chan/9 и @third_chan; "
            "пишите на user@example.org, вступайте t.me/joinchat/AbCdEf")
    assert cited_outlets(text) == {"astra", "tg:other_chan", "tg:third_chan"}
    assert cited_posts(text) == {"astrapress/5678", "other_chan/9"}


def _post_and_article(store: Store, linked_post: int, article_published: str) -> tuple[set[str], set[str]]:
    """A channel's post 123 (an appeal), then an article retelling an appeal that links post
    ``linked_post`` of that channel; returns (events of the post, events of the article)."""
    text = "Бойцы записали обращение к президенту."
    doc = add_document(store, "frontline_voice/123", text, url="https://t.me/frontline_voice/123",
                       published="2023-03-01T10:00:00Z", source_kind="telegram_export", outlet="Frontline voice")
    save(store, doc, mention(store, doc, "video_appeal", text.split(".")[0]))
    text = f"Soldiers recorded a video appeal to the president, posted at t.me/frontline_voice/{linked_post}."
    doc = add_document(store, "news/1", text, url="https://news.example.net/1", published=article_published,
                       language="en")
    save(store, doc, mention(store, doc, "video_appeal", "Soldiers recorded a video appeal"))
    resolve_mentions(store)
    return events_of(store, "frontline_voice/123"), events_of(store, "news/1")


def test_an_article_linking_the_post_joins_its_event_months_later(store: Store) -> None:
    post, article = _post_and_article(store, 123, "2023-06-20T10:00:00Z")
    assert article == post


def test_an_article_linking_another_post_of_the_channel_does_not_join(store: Store) -> None:
    post, article = _post_and_article(store, 130, "2023-03-02T10:00:00Z")
    assert article != post
