"""What resolve compares: a compact, comparable summary of each mention (``MentionFeatures``).

Features are read straight from the store in pages, ordered by publication time, so that a run
over 100,000 mentions keeps only these small records in memory.
"""

from __future__ import annotations

import json
import os
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from dissentwatch import packaged_json
from dissentwatch.resolve.outlets import cited_outlets, cited_posts, outlet_of, telegram_post
from dissentwatch.resolve.places import region_iso, regions_in_text
from dissentwatch.resolve.units import gazetteer, resolve_unit
from dissentwatch.store import Store
from dissentwatch.store.documents import external_id_clause

_WORD = re.compile(r"\w+", re.UNICODE)
_QUOTED = re.compile(r"[«“\"„]([^«»“”\"„]{12,400})[»”\"“]")
SKETCH_SIZE = 12
SPAN_CHARS = 1500
LEAD_CHARS = 1000  # the start of a document, where re-tellings name their source
LEARNED_FILE = "resolve_learned.json"


@cache
def hand_settings() -> dict[str, Any]:
    """The packaged ``data/resolve.json`` as written: families, hand-set weights, cues."""
    data: dict[str, Any] = packaged_json("resolve.json")
    return data


WEIGHTS_ENV = "DISSENTWATCH_RESOLVE_WEIGHTS"


def use_weights(choice: str | None) -> None:
    """Which weights resolve uses from now on: "hand" (``data/resolve.json``, the default),
    "learned" (the packaged ``data/resolve_learned.json`` of ``train-resolve``) or the path of
    a file ``train-resolve`` wrote. Also read from ``$DISSENTWATCH_RESOLVE_WEIGHTS``."""
    if choice in (None, "", "hand"):
        os.environ.pop(WEIGHTS_ENV, None)
    else:
        os.environ[WEIGHTS_ENV] = str(choice)
    settings.cache_clear()


def _learned(choice: str) -> dict[str, Any]:
    if choice == "learned":
        data: dict[str, Any] = packaged_json(LEARNED_FILE)
        return data
    path = Path(choice)
    try:
        loaded: dict[str, Any] = json.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: not resolve weights written by 'dissentwatch train-resolve': {exc}") from exc
    if not isinstance(loaded, dict) or not {"weights", "threshold", "version"} <= set(loaded):
        raise ValueError(f"{path}: not resolve weights written by 'dissentwatch train-resolve' "
                         "(needs weights, threshold, version)")
    return loaded


@cache
def settings() -> dict[str, Any]:
    """Resolve's settings: ``data/resolve.json`` with its hand-set weights, or, when chosen
    (:func:`use_weights`), the weights and threshold learned by ``dissentwatch train-resolve`` in
    place of the hand ones, key by key; the version names both.

    The hand weights stay the default: out of fold on gold mentions the learned ones join more
    true pairs, but through analyze they score no better, and on dense stores (many events of
    one unit a day) and on the demo they join reports of different occurrences."""
    data = dict(hand_settings())
    choice = os.environ.get(WEIGHTS_ENV) or "hand"
    if choice == "hand":
        return data
    learned = _learned(choice)
    data["weights"] = {**data["weights"], **learned["weights"]}
    data["threshold"] = float(learned["threshold"])
    data["family_pool"] = int(learned.get("family_pool", data.get("family_pool", 0)))
    data["version"] = f"{data['version']}+{learned['version']}"
    return data


def family(event_type: str) -> str:
    return str(settings()["families"].get(event_type, event_type))


@dataclass(slots=True)
class MentionFeatures:
    """One mention, reduced to what blocking and scoring need."""

    id: int
    stable_key: str
    document_id: int
    type: str
    family: str
    by_relatives: bool
    confidence: float
    published: int | None = None          # ordinal day of the document's publication
    day: int | None = None                # ordinal day of the event date (year known or inferred)
    month: tuple[int, int] | None = None  # (year, month) of a month-precision date
    month_day: tuple[int, int] | None = None  # (month, day) of a date without a year
    unit_number: str | None = None
    unit_kind: str | None = None
    canonical_id: str | None = None
    regions: frozenset[str] = frozenset()
    location: str | None = None
    location_precision: str | None = None  # country / region / city / exact (None: unknown)
    root: str = ""                        # copied/forwarded root document, type and rank in it
    sketch: frozenset[int] = frozenset()  # bottom-k hashes of the text's word 5-grams
    quotes: frozenset[int] = frozenset()  # hashes of word 5-grams inside quoted speech
    cues: frozenset[str] = frozenset()    # denial / verdict / case
    participants: tuple[int, int] | None = None  # (low, high) of the stated head count (3 or more)
    killed: int | None = None             # killed_claimed as stated (two or more)
    grievances: frozenset[str] = frozenset()
    outlet: str | None = None             # the outlet that published the document (outlets gazetteer)
    cites: frozenset[str] = frozenset()   # other outlets the report names ("writes The Guardian")
    post: str | None = None               # "<channel>/<post>" when the document is a Telegram post
    cites_posts: frozenset[str] = frozenset()  # the Telegram posts it links to
    text: str = field(default="", repr=False)

    @property
    def weak(self) -> bool:
        """True when nothing but the text can place this mention: no unit, date or region."""
        return not (self.unit_number or self.day or self.month or self.month_day or self.regions or self.location)


def ordinal(value: str | None) -> int | None:
    """The ordinal of an ISO date or datetime prefix, or None."""
    if not value or len(value) < 10 or value.startswith("--"):
        return None
    try:
        return date.fromisoformat(value[:10]).toordinal()
    except ValueError:
        return None


def parse_event_date(value: str | None, published: int | None) -> dict[str, Any]:
    """``{"day"|"month"|"month_day": ...}`` of a DESIGN.md date; a date without a year takes
    the year of publication (the year before when it would fall after publication)."""
    if not value:
        return {}
    if value.startswith("--") and len(value) == 7:
        try:
            month, day_ = int(value[2:4]), int(value[5:7])
        except ValueError:
            return {}
        if published is None:
            return {"month_day": (month, day_)}
        pub = date.fromordinal(published)
        year = pub.year - 1 if (month, day_) > (pub.month, pub.day + 3) else pub.year
        try:
            return {"day": date(year, month, day_).toordinal(), "month_day": (month, day_)}
        except ValueError:
            return {"month_day": (month, day_)}
    if len(value) >= 10:
        return {"day": ordinal(value)} if ordinal(value) else {}
    if len(value) == 7 and value[4] == "-" and value[:4].isdigit() and value[5:].isdigit():
        return {"month": (int(value[:4]), int(value[5:7]))}
    return {}


_REGION_WORDS = re.compile(
    r"\b(oblast|krai|kray|republic( of)?|autonomous okrug|okrug|region|область|области|край|края|"
    r"республика|республики|округ|region de|oblast de)\b", re.IGNORECASE)


def region_name_key(name: str) -> str:
    """A region name without its administrative word ("Kaliningrad Oblast" -> "kaliningrad"),
    the fallback comparison when the places gazetteer does not know the name."""
    return " ".join(_REGION_WORDS.sub(" ", name.casefold().replace("ё", "е")).split())


def region_keys(regions: list[Any] | None) -> frozenset[str]:
    """ISO codes of the regions (names the gazetteer does not know: their name key)."""
    keys = set()
    for region in regions or []:
        entry = region if isinstance(region, dict) else {"name": region}
        iso = entry.get("iso") or region_iso(str(entry.get("name") or ""))
        key = str(iso) if iso else region_name_key(str(entry.get("name") or ""))
        if key:
            keys.add(key)
    return frozenset(keys)


def _hash(words: tuple[str, ...]) -> int:
    """A shingle's hash: CRC-32, the same in every process (Python's own ``hash`` is salted per
    process, and the bottom-k sketch it picked, hence resolve's and its trainer's results,
    changed from run to run)."""
    return zlib.crc32(" ".join(words).encode("utf-8"))


def shingles(text: str, n: int = 5) -> set[int]:
    words = [w.casefold() for w in _WORD.findall(text)]
    return {_hash(tuple(words[i : i + n])) for i in range(max(0, len(words) - n + 1))}


def text_signatures(text: str) -> tuple[frozenset[int], frozenset[int]]:
    """(bottom-k sketch of all 5-grams, 5-grams inside quoted speech)."""
    sketch = frozenset(sorted(shingles(text))[:SKETCH_SIZE])
    quoted: set[int] = set()
    for match in _QUOTED.finditer(text):
        quoted |= shingles(match.group(1))
    return sketch, frozenset(sorted(quoted)[:64])


def cues_in(text: str) -> frozenset[str]:
    lowered = text.casefold()
    return frozenset(name for name, stems in settings()["cues"].items() if any(s in lowered for s in stems))


@cache
def _unit_pattern() -> re.Pattern[str]:
    stems = sorted({s.strip() for stems in gazetteer()["kinds"].values() for s in stems}, key=len, reverse=True)
    return re.compile(
        r"(?<![\d.,])(\d{1,4})(?:\s*-?\s*(?:[а-яёіїє]{1,3}|th|st|nd|rd|e|ème|er|re)\b)?\s+"
        r"(?:[\w’'-]+\s+){0,3}?(" + "|".join(re.escape(s) for s in stems) + ")",
        re.IGNORECASE,
    )


def unit_in_text(text: str) -> dict[str, str] | None:
    """The first "<number> ... <unit kind>" of a text ("бойцов 155-й бригады", "the 155th Naval
    Infantry Brigade"): a clustering hint when analyze gave the mention no unit. Never emitted
    as a field (it has no evidence of its own)."""
    match = next((m for m in _unit_pattern().finditer(text) if not 1990 <= int(m.group(1)) <= 2030), None)
    if not match:
        return None
    stem = match.group(2).casefold()
    kind = next(k for k, stems in gazetteer()["kinds"].items() if any(s.strip() == stem for s in stems))
    return {"number": match.group(1).lstrip("0") or "0", "kind": kind}


def _count(value: Any, minimum: int = 1) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= minimum else None


def participant_range(value: Any) -> tuple[int, int] | None:
    """``(low, high)`` of a participants field (a count or a ``[low, high]`` range); None for
    one or two people, a head count too common to tell occurrences apart."""
    if isinstance(value, list) and len(value) == 2 and all(_count(v) for v in value):
        return (min(value), max(value)) if max(value) >= 3 else None
    count = _count(value, 3)
    return (count, count) if count else None


def location_key(location: Any) -> str | None:
    if not location:
        return None
    name = location.get("name") if isinstance(location, dict) else str(location)
    return str(name).casefold().strip() or None if name else None


@cache
def _countries() -> frozenset[str]:
    return frozenset(str(r["name"]).casefold() for r in packaged_json("places.json")["regions"]
                     if r.get("kind") == "country")


def location_precision(location: Any) -> str | None:
    """country / region / city / exact. The fields vocabulary has no "country" (a country is
    written as a region), but a shared country tells two occurrences apart far less than a
    shared oblast."""
    if not isinstance(location, dict):
        return None
    precision = location.get("precision")
    if precision == "region" and str(location.get("name") or "").casefold() in _countries():
        return "country"
    return str(precision) if precision else None


_SELECT = """
SELECT m.id, m.document_id, m.type, m.by_relatives, m.fields, m.confidence, m.start, m."end",
       d.source_kind, d.external_id, d.published, d.title, d.copy_of, d.parent_id, d.forwarded_from,
       d.url, d.outlet, substr(d.text, 1, {lead}) AS lead,
       substr(d.text, m.start + 1, MIN(MAX(m."end" - m.start, 0), {span})) AS span,
       (SELECT group_concat(quote, ' ') FROM evidence e WHERE e.mention_id = m.id) AS quotes,
       (SELECT COUNT(*) FROM mentions o WHERE o.document_id = m.document_id AND +o.type = m.type
            AND o.start < m.start) AS rank,
       (SELECT f.id FROM documents f WHERE d.forwarded_from IS NOT NULL
            AND {forwarded} ORDER BY f.id LIMIT 1) AS forwarded_id
FROM mentions m JOIN documents d ON d.id = m.document_id
WHERE {where}
ORDER BY COALESCE(substr(d.published, 1, 10), '9999'), m.id
"""


def iter_features(
    store: Store, where: str = "1", params: tuple[Any, ...] = (), keep_text: bool = True
) -> Iterator[MentionFeatures]:
    """Features of the mentions matching ``where`` (SQL over ``mentions m`` and ``documents d``),
    oldest publication first."""
    forwarded = external_id_clause("f", "d.forwarded_from")
    cursor = store.conn.execute(_SELECT.format(span=SPAN_CHARS, lead=LEAD_CHARS, where=where, forwarded=forwarded), params)
    while True:
        rows = cursor.fetchmany(1000)
        if not rows:
            return
        for row in rows:
            yield features_from_row(row, keep_text)


def _citing_text(row: Any) -> str:
    """Where a report names its sources: its title, its lead and the mention's own span."""
    lead, span = row["lead"] or "", row["span"] or ""
    body = lead if span in lead else lead + "\n" + span
    return f"{row['title'] or ''}\n{body}"


def features_from_row(row: Any, keep_text: bool = True) -> MentionFeatures:
    fields: dict[str, Any] = json.loads(row["fields"] or "{}")
    published = ordinal(row["published"])
    text = " ".join(t for t in (row["span"], row["quotes"]) if t)
    sketch, quotes = text_signatures(text)
    unit = resolve_unit(fields.get("unit")) or {}
    if not unit.get("number"):
        unit = unit_in_text(row["span"] or "") or unit_in_text(row["title"] or "") or unit
    regions = region_keys(fields.get("home_regions"))
    if not (regions or unit.get("number") or fields.get("location")):
        regions = regions_in_text(row["span"] or "")  # only a mention with nothing else to go on
    root = row["copy_of"] or row["forwarded_id"] or row["parent_id"]
    outlet = outlet_of(row["url"], row["outlet"])
    citing = _citing_text(row)
    post = telegram_post(row["url"])
    feats = MentionFeatures(
        id=row["id"], stable_key=f"{row['source_kind']}/{row['external_id']}:{row['type']}:{row['start']}",
        document_id=row["document_id"], type=row["type"], family=family(row["type"]),
        by_relatives=bool(row["by_relatives"]), confidence=float(row["confidence"]), published=published,
        unit_number=unit.get("number"), unit_kind=unit.get("kind"), canonical_id=unit.get("canonical_id"),
        regions=regions, location=location_key(fields.get("location")),
        location_precision=location_precision(fields.get("location")),
        root=f"{root if root is not None else row['document_id']}:{row['type']}:{row['rank']}", sketch=sketch, quotes=quotes,
        cues=cues_in(text), participants=participant_range(fields.get("participants")),
        killed=_count(fields.get("killed_claimed"), 2),
        grievances=frozenset(
            g for g in fields.get("grievances") or [] if isinstance(g, str) and g != "other"),
        outlet=outlet, cites=cited_outlets(citing, outlet), post=post,
        cites_posts=cited_posts(citing) - {post},
        text=text[:600] if keep_text else "",
    )
    for key, value in parse_event_date(fields.get("date"), published).items():
        setattr(feats, key, value)
    return feats
