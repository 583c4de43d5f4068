"""Rule classifier: event-type candidates per sentence, with the look-alikes filtered out.

Reads the matching view (``normalise``) and sentences (``text``); writes :class:`Candidate`s
(one per trigger sentence) and :class:`~dissentwatch.models.Aggregate`s (count statements).
Look-alikes handled here: Ukrainian-side soldiers, prisoners of war on camera, intercepted calls,
civilians avoiding mobilisation, relatives' street protests, negated and generic statements,
officials' own video addresses (no soldier or relative near the trigger).
"""

from __future__ import annotations

import re

from dissentwatch.analyze.aggregates import count_statement, make_aggregate
from dissentwatch.analyze.lexicons import finditer, lexicon_version, pattern, search
from dissentwatch.analyze.segment import UNIT_ANCHOR, WEAK_APPEALS, Candidate
from dissentwatch.analyze.text import Sentence
from dissentwatch.models import Aggregate

RULES_VERSION = f"classify_rules.v3.lex{lexicon_version()}"

_COURT = re.compile(r"(?<!\w)(обвин\w*|суд\w*|приговор\w*|charged|court|trial|tribunal|verurteil\w*|condamn\w*)")
_WAGNER = re.compile(r"(?<!\w)(пригожин\w*|вагнер\w*|prigozhin\w*|wagner\w*|prigojine)")
_ANAPHORA = re.compile(r"\W*(these|those|such|they|ces|ceux|ils|elles|эти|такие|они|ці|такі|вони)\b")
APPEAL_TYPES = {"video_appeal", "written_appeal", "appeal_unspecified", "video_weak", "appeal_unit", "appeal_complaint"}
_LETTER = re.compile(r"письм|letter|lettre|лист")
_SENT = re.compile(r"(?<!\w)(написа\w*|направи\w*|отправи\w*|подписа\w*|sent|wrote|written|signed|[ée]crit\w*|envoy\w*|adress\w*|напис\w*|надісл\w*)")
_WRITTEN_STRONG = re.compile(
    r"(?<!\w)(письм\w*|петици\w*|заявлени\w*|letters?|petition\w*|lettres?|p[ée]tition\w*|лист\w*|петиці\w*|писмо)"
)


# «обжаловать приговор», "appeal the sentence": the defence of a prosecuted soldier, part of the
# prosecution, not soldiers contesting orders or dismissals
_SENTENCE_APPEALED = re.compile(
    r"\W*(?:\w+\W+){0,2}?(?:приговор\w*|вирок\w*|verdict\w*|sentence\w*|conviction\w*|condamnation\w*|"
    r"jugement\w*)", re.IGNORECASE)


def _negated(view: str, trigger_start: int, sentence_start: int) -> bool:
    before = view[max(sentence_start, trigger_start - 25) : trigger_start]
    words = re.findall(r"\w+|n't", before)[-3:]
    return any(pattern("negation").fullmatch(w) for w in words)


def _window(sentences: list[Sentence], i: int, before: int, after: int) -> tuple[int, int]:
    lo, hi = max(0, i - before), min(len(sentences) - 1, i + after)
    return sentences[lo].start, sentences[hi].end


def _ukrainian_side(view: str) -> bool:
    """The soldiers are Ukrainian: Ukrainian-side cues outweigh Russian-side ones (the armed
    forces' abbreviations count half: Russian reports name them as the enemy)."""
    ukr = sum(1 for _ in finditer("ukrainian_side", view)) + 0.5 * sum(1 for _ in finditer("ukrainian_army_abbrev", view))
    rus = sum(1 for _ in finditer("russian_side", view))
    return ukr > rus or (ukr > 0 and rus == 0)


LOOK_ALIKE_CUES = ("pow", "intercept", "civilian_evasion", "law_description", "official")


def has_look_alike(view: str) -> bool:
    """Any look-alike cue in the whole text (Ukrainian side, prisoners, intercepts, officials...)."""
    return _ukrainian_side(view) or any(search(c, view) is not None for c in LOOK_ALIKE_CUES)


def _blocked(view: str, sentences: list[Sentence], i: int) -> bool:
    """Prisoners of war, intercepted calls or a law's wording in the sentence, the one before it
    or the lead of the document (its first two sentences)."""
    lo, hi = _window(sentences, i, 1, 0)
    lead_end = sentences[min(1, len(sentences) - 1)].end
    for start, end in ((lo, hi), (0, lead_end)):
        if search("pow", view, start, end) or search("intercept", view, start, end):
            return True
    s = sentences[i]
    return search("law_description", view, s.start, s.end) is not None or search("denial", view, s.start, s.end) is not None


def _lead(view: str, category: str, start: int, trigger_start: int) -> bool:
    """``category`` (relatives, officials) is the subject: named before the trigger and any soldier."""
    found = search(category, view, start, trigger_start)
    if found is None:
        return False
    actor = search("actor", view, start, trigger_start)
    return actor is None or found.start() <= actor.start()


def _appeal_types(view: str, s: Sentence, sentences: list[Sentence], i: int) -> list[tuple[str, re.Match[str], float]]:
    strong = search("strong_video_appeal", view, s.start, s.end)
    if strong:
        return [("video_appeal", strong, 0.85)]
    appeal = search("appeal", view, s.start, s.end)
    if appeal is None:
        return []
    if search("video", view, s.start, s.end):
        return [("video_appeal", appeal, 0.7)]
    if _WRITTEN_STRONG.search(view, s.start, s.end):
        return [("written_appeal", appeal, 0.7)]
    lo, hi = _window(sentences, i, 3, 1)
    if search("video", view, lo, hi):
        return [("video_appeal", appeal, 0.55)]
    return [("appeal_unspecified", appeal, 0.5)]


_QUOTE_OPEN = re.compile(r"[:,]\s*\"\s*(we|мы|nous|ми|my|wir)\b")


def _weak_appeal_types(view: str, s: Sentence) -> list[tuple[str, re.Match[str], float]]:
    """Soldiers speaking in a video, or a named unit quoted: appeals when the document is about appeals."""
    video = search("video", view, s.start, s.end)
    actor = search("actor", view, s.start, s.end)
    if video and actor and (search("speech", view, s.start, s.end) or search("publish", view, s.start, s.end)):
        return [("video_weak", video, 0.5)]
    unit = UNIT_ANCHOR.search(view, s.start, s.end)
    if unit and (search("speech", view, s.start, s.end) or _QUOTE_OPEN.search(view, s.start, s.end)):
        return [("appeal_unit", unit, 0.45)]
    complaint = _reported_complaint(view, s)
    return [("appeal_complaint", complaint, 0.45)] if complaint else []


_SUBJECT_GAP = 100  # characters between the soldiers named and the verb reporting what they said


_THEMSELVES = re.compile(r"\b(?:их|им|ими|нас|нам|нами|мы|они|сами|себя|їх|їм|ми|вони|they|them|their|we|us|our|"
                         r"ils|eux|leurs?|nous)\b")
_QUOTE_CLOSE = re.compile(r"[»”\"][,.!?…]?(?=\s*[—–-]*\s*\w)")


def _reported_complaint(view: str, s: Sentence) -> re.Match[str] | None:
    """Soldiers reporting what they were left without: «мобилизованные сообщили, что их
    отправили на штурм без подготовки», "the men said they were sent in without ammunition";
    or quoted first: «Нет оружия, нет питания», — рассказал мобилизованный; "No ammunition," a
    soldier told reporters. The soldiers are the subject: named before the verb, with the
    hardship after it; or named with the verb right after a quotation of the hardship."""
    for verb in finditer("report_speech", view, s.start, s.end):
        actor = None
        for found in finditer("actor", view, max(s.start, verb.start() - _SUBJECT_GAP), verb.start()):
            actor = found
        hardship = search("hardship", view, verb.end(), s.end) if actor is not None else None
        # what they were left without is their own: «что их отправили…», "they had been sent…"
        # (not «командир заявил, что противник остался без боеприпасов»)
        if hardship and _THEMSELVES.search(view, verb.end(), hardship.end()):
            return verb
    for close in _QUOTE_CLOSE.finditer(view, s.start, s.end):
        tail = min(s.end, close.end() + _SUBJECT_GAP)
        attributed = search("report_speech", view, close.end(), tail)
        if attributed and search("actor", view, close.end(), tail) and search("hardship", view, s.start, close.start()):
            return attributed
    return None


def _other_types(view: str, s: Sentence, sentences: list[Sentence], i: int) -> list[tuple[str, re.Match[str], float]]:
    found: list[tuple[str, re.Match[str], float]] = []
    lo, hi = _window(sentences, i, 1, 1)
    prosecution = search("prosecution", view, s.start, s.end)
    if prosecution and search("prosecution_reason", view, lo, hi):
        found.append(("prosecution", prosecution, 0.7))
    evasion = search("civilian_evasion", view, s.start, s.end) is not None
    for kind in ("refusal", "desertion"):
        match = search(kind, view, s.start, s.end)
        if (match and not evasion and not _negated(view, match.start(), s.start)
                and prosecution is None and not _COURT.search(view, s.start, s.end)):
            found.append((kind, match, 0.65))
    mutiny = search("mutiny", view, s.start, s.end)
    if mutiny and not _negated(view, mutiny.start(), s.start) and not _WAGNER.search(view, s.start, s.end):
        found.append(("mutiny", mutiny, 0.6))
    dismissal = search("dismissal", view, s.start, s.end)
    if dismissal and search("dismissal_reason", view, s.start, s.end):
        found = [f for f in found if f[0] != "refusal"]  # the refusal is what the dismissal punishes
        found.append(("dismissal", dismissal, 0.65))
    challenge = search("legal_challenge", view, s.start, s.end)
    if challenge and not _SENTENCE_APPEALED.match(view, challenge.end()):
        found.append(("legal_challenge", challenge, 0.6))
    return found


def classify_sentences(
    text: str, view: str, sentences: list[Sentence], document_id: int
) -> tuple[list[Candidate], list[Aggregate]]:
    """Event candidates and count statements of one document."""
    candidates: list[Candidate] = []
    aggregates: list[Aggregate] = []
    if _ukrainian_side(view):
        return candidates, aggregates
    previous_generic = False
    for i, s in enumerate(sentences):
        found = [*_appeal_types(view, s, sentences, i), *_other_types(view, s, sentences, i)]
        if not found:
            found = _weak_appeal_types(view, s)
        if not found:
            is_count, number, counted = count_statement(view, s.start, s.end)
            if is_count and counted:
                aggregates.append(make_aggregate(text, document_id, s.start, s.end, number, counted))
            previous_generic = bool(search("video", view, s.start, s.end)) and bool(
                search("generic", view, s.start, s.end))
            continue
        is_count, number, counted = count_statement(view, s.start, s.end)
        if is_count:
            aggregates.append(make_aggregate(text, document_id, s.start, s.end, number, counted or found[0][0]))
            previous_generic = True
            continue
        weak = all(kind in WEAK_APPEALS for kind, _, _ in found)
        if previous_generic and (weak or _ANAPHORA.match(view, s.start, s.end)):
            continue  # the description of a general pattern goes on
        if _blocked(view, sentences, i):
            continue
        previous_generic = False
        candidates.extend(_accept(view, s, sentences, i, found))
    return candidates, aggregates


_FROM = re.compile(r"\s*(?:from|от|de la part d\w*|des|від|з)\s")


def _by_soldiers(view: str, match: re.Match[str], end: int) -> bool:
    """The appeal named by the trigger is the soldiers' own ("complaints from mobilised men")."""
    actor = search("actor", view, match.end(), min(end, match.end() + 60))
    if actor is None:
        return False
    gap = view[match.end() : actor.start()]
    return not gap.strip() or _FROM.match(gap) is not None


def _accept(
    view: str, s: Sentence, sentences: list[Sentence], i: int, found: list[tuple[str, re.Match[str], float]]
) -> list[Candidate]:
    lo, _ = _window(sentences, i, 2, 0)
    has_actor = search("actor", view, lo, s.end) is not None
    accepted = []
    for kind, match, score in found:
        relatives = _lead(view, "relatives", s.start, match.start())
        if not (has_actor or relatives):
            continue
        appeal = kind in APPEAL_TYPES
        if appeal and not relatives and _lead(view, "official", s.start, match.start()) and not _by_soldiers(view, match, s.end):
            continue  # an official's referral or address, not the soldiers' appeal
        if relatives and appeal and ((_LETTER.match(match.group()) and not _SENT.search(view, s.start, s.end)) or (
                kind == "appeal_unspecified" and search("relatives_campaign", view, s.start, s.end))):
            continue  # letters from the front; street protests and campaigns
        known = relatives or search("actor", view, s.start, match.start()) is not None
        accepted.append(Candidate(kind, s.start, s.end, match.start(), match.end(), i, relatives, score, known))
    return accepted
