"""Clustering mentions into events: blocking, then scoring a mention against candidate events.

Mentions arrive oldest first. Each one is compared only with the events that share a block
(type family + unit number, region, location, head count, dead, copied/forwarded root, quoted
speech, near-identical text), and with the newest events of its family (``family_pool``), and
joins the best one scoring at least the threshold (on the type and dates alone, only when one
event fits them); otherwise it founds a new event whose id derives from its stable key. The
weights are learned (``dissentwatch train-resolve``, :mod:`dissentwatch.resolve.learn`). Every join records the signals that
made it: unit, dates, places, copies and quotes, and the details re-tellings repeat (head count,
dead, grievances).
"""

from __future__ import annotations

import hashlib
import pickle
import re
import sqlite3
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Iterator, MutableMapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from dissentwatch.resolve.features import MentionFeatures, region_name_key, settings

BLOCK_SCAN = 200  # most recent entries looked at per block (a block keeps no more)
PROFILES_IN_MEMORY = 4096  # event profiles kept in memory; the others wait in a temporary file
SWEEP_EVERY = 2000  # mentions between two moves of stale blocks to the temporary file
_UNWINDOWED = frozenset({"root", "post", "post_cited"})  # a copy or a link names its source whatever the date
GRIEVANCE_SETS = 64  # reports' complaint lists an event keeps to compare new reports with
Adder = Callable[..., None]
_PLACE_WORD = re.compile(r"\w{3,}", re.UNICODE)
Entry = tuple[int | None, str]  # (publication day of the filing mention, event id)


def event_id_for(stable_key: str) -> str:
    """The stable id of the event a mention founds."""
    return "ev-" + hashlib.sha1(stable_key.encode("utf-8")).hexdigest()[:16]


@dataclass(slots=True)
class EventProfile:
    """What is known of an event while clustering: the union of its mentions' features."""

    id: str
    family: str
    open: bool = True                      # False for events analysts merged away
    types: Counter[str] = field(default_factory=Counter)
    relatives: int = 0
    size: int = 0
    numbers: Counter[str] = field(default_factory=Counter)
    kinds: set[str] = field(default_factory=set)
    canonical: set[str] = field(default_factory=set)
    day_min: int | None = None
    day_max: int | None = None
    months: set[tuple[int, int]] = field(default_factory=set)
    month_days: set[tuple[int, int]] = field(default_factory=set)
    pub_min: int | None = None
    pub_max: int | None = None
    regions: Counter[str] = field(default_factory=Counter)
    locations: set[str] = field(default_factory=set)
    roots: set[str] = field(default_factory=set)
    documents: set[int] = field(default_factory=set)
    sketch: set[int] = field(default_factory=set)
    quotes: set[int] = field(default_factory=set)
    denial: bool = False
    verdict: bool = False
    participants: set[tuple[int, int]] = field(default_factory=set)
    killed: set[int] = field(default_factory=set)
    grievances: Counter[str] = field(default_factory=Counter)
    grievance_sets: list[frozenset[str]] = field(default_factory=list)  # per report, the first GRIEVANCE_SETS
    outlets: set[str] = field(default_factory=set)  # outlets that published its reports
    cites: set[str] = field(default_factory=set)    # outlets its reports name
    posts: set[str] = field(default_factory=set)    # its reports that are Telegram posts
    cited_posts: set[str] = field(default_factory=set)  # Telegram posts its reports link to
    text: str = ""
    vector: Any = None

    def add(self, m: MentionFeatures) -> None:
        if not self.size:
            self.denial, self.text = "denial" in m.cues, m.text
        self.size += 1
        self.verdict = self.verdict or "verdict" in m.cues
        self.types[m.type] += 1
        self.relatives += m.by_relatives
        if m.unit_number:
            self.numbers[m.unit_number] += 1
        self.kinds.update(k for k in (m.unit_kind,) if k)
        self.canonical.update(c for c in (m.canonical_id,) if c)
        if m.day is not None:
            self.day_min = m.day if self.day_min is None else min(self.day_min, m.day)
            self.day_max = m.day if self.day_max is None else max(self.day_max, m.day)
            d = date.fromordinal(m.day)
            self.months.add((d.year, d.month))
            self.month_days.add((d.month, d.day))
        if m.month:
            self.months.add(m.month)
        if m.month_day:
            self.month_days.add(m.month_day)
        if m.published is not None:
            self.pub_min = m.published if self.pub_min is None else min(self.pub_min, m.published)
            self.pub_max = m.published if self.pub_max is None else max(self.pub_max, m.published)
        self.regions.update(m.regions)
        self.locations.update(loc for loc in (m.location,) if loc)
        self.roots.add(m.root)
        self.documents.add(m.document_id)
        self.participants.update(p for p in (m.participants,) if p)
        self.killed.update(k for k in (m.killed,) if k)
        self.grievances.update(m.grievances)
        if m.grievances and len(self.grievance_sets) < GRIEVANCE_SETS:
            self.grievance_sets.append(frozenset(m.grievances))
        if m.outlet:
            self.outlets.add(m.outlet)
        self.cites |= m.cites
        if m.post:
            self.posts.add(m.post)
        self.cited_posts |= m.cites_posts
        if len(self.sketch) < 256:
            self.sketch |= m.sketch
        if len(self.quotes) < 256:
            self.quotes |= m.quotes


def absorb(target: EventProfile, other: EventProfile) -> None:
    """Fold ``other``'s features into ``target`` (a mention bridged the two events)."""
    target.size += other.size
    target.types.update(other.types)
    target.relatives += other.relatives
    target.numbers.update(other.numbers)
    target.kinds |= other.kinds
    target.canonical |= other.canonical
    for low, high in ((other.day_min, other.day_max),):
        if low is not None and high is not None:
            target.day_min = low if target.day_min is None else min(target.day_min, low)
            target.day_max = high if target.day_max is None else max(target.day_max, high)
    for low, high in ((other.pub_min, other.pub_max),):
        if low is not None and high is not None:
            target.pub_min = low if target.pub_min is None else min(target.pub_min, low)
            target.pub_max = high if target.pub_max is None else max(target.pub_max, high)
    target.months |= other.months
    target.month_days |= other.month_days
    target.regions.update(other.regions)
    target.locations |= other.locations
    target.roots |= other.roots
    target.documents |= other.documents
    target.participants |= other.participants
    target.killed |= other.killed
    target.grievances.update(other.grievances)
    target.grievance_sets.extend(other.grievance_sets[: max(0, GRIEVANCE_SETS - len(target.grievance_sets))])
    target.outlets |= other.outlets
    target.cites |= other.cites
    target.posts |= other.posts
    target.cited_posts |= other.cited_posts
    target.sketch |= other.sketch
    target.quotes |= other.quotes
    target.verdict = target.verdict or other.verdict


def compatible(a: EventProfile, b: EventProfile) -> bool:
    """True when nothing known about two events contradicts them being one occurrence."""
    if a.numbers and b.numbers and not (a.numbers.keys() & b.numbers.keys()):
        return False
    if a.regions and b.regions and not (a.regions.keys() & b.regions.keys()):
        return False
    if a.denial != b.denial or (a.relatives * 2 > a.size) != (b.relatives * 2 > b.size):
        return False
    if None not in (a.day_min, a.day_max, b.day_min, b.day_max):
        gap = max(b.day_min - a.day_max, a.day_min - b.day_max)  # type: ignore[operator]
        return gap <= 3
    return not (a.month_days and b.month_days and not (a.month_days & b.month_days))


def block_keys(m: MentionFeatures) -> list[tuple[Any, ...]]:
    """The blocks a mention is filed under; it is looked up in the same ones, except that a
    report is filed under its outlet and the outlets it cites, and looked up the other way round
    (:func:`lookup_keys`)."""
    keys = _shared_keys(m)
    if m.outlet:
        keys.append(("outlet", m.family, m.outlet))
    if m.post:
        keys.append(("post", m.family, m.post))
    return keys + [("cited", m.family, c) for c in sorted(m.cites)] + [
        ("post_cited", m.family, p) for p in sorted(m.cites_posts)]


def lookup_keys(m: MentionFeatures) -> list[tuple[Any, ...]]:
    """The blocks searched for a mention's candidate events: those it shares with them, the
    events of the outlets it cites, and the events whose reports cite its outlet."""
    keys = _shared_keys(m) + [("outlet", m.family, c) for c in sorted(m.cites)]
    keys += [("post", m.family, p) for p in sorted(m.cites_posts)]
    if m.outlet:
        keys.append(("cited", m.family, m.outlet))
    if m.post:
        keys.append(("post_cited", m.family, m.post))
    return keys


def links_post(m: MentionFeatures, e: EventProfile) -> bool:
    """The report links to a Telegram post that reported the event, or is the post the event's
    reports link to."""
    return bool(m.cites_posts & e.posts) or (m.post is not None and m.post in e.cited_posts)


def cites_event(m: MentionFeatures, e: EventProfile) -> bool:
    """The report names an outlet that reported the event, or the event's reports name the
    report's outlet (a re-telling can be read before its source). Not when the report links to
    another post of the channel whose post the event holds: that names a different report."""
    if m.cites_posts and e.posts and not links_post(m, e):
        channels = {p.split("/", 1)[0] for p in e.posts}
        if any(p.split("/", 1)[0] in channels for p in m.cites_posts):
            return False
    return bool(m.cites & e.outlets) or (m.outlet is not None and m.outlet in e.cites)


def place_head(location: str) -> str:
    """The most precise part of a place name: before its first comma, administrative words left
    out ("bryanka, luhansk oblast" -> "bryanka")."""
    return " ".join(_PLACE_WORD.findall(region_name_key(location.split(",", 1)[0])))


def _shared_keys(m: MentionFeatures) -> list[tuple[Any, ...]]:
    keys: list[tuple[Any, ...]] = [("root", m.root)]
    if m.unit_number:
        keys.append(("unit", m.family, m.unit_number))
    keys += [("region", m.family, r) for r in sorted(m.regions)]
    if m.location:
        keys.append(("location", m.family, m.location))
        head = place_head(m.location)
        if head and head != m.location:
            keys.append(("location", m.family, head))
    if m.participants:
        keys.append(("participants", m.family, *m.participants))
    if m.killed:
        keys.append(("killed", m.family, m.killed))
    keys += [("quote", q) for q in sorted(m.quotes)[:6]]
    keys += [("sketch", s) for s in sorted(m.sketch)[:4]]
    return keys


# The signal (named in a join's reason) each weight key contributes to.
SIGNAL_OF = {
    "same_type": "type", "family_only": "type", "relatives_mismatch": "relatives",
    "unit_equal": "unit", "unit_canonical_equal": "unit", "unit_conflict": "unit", "unit_kind_conflict": "unit",
    "date_day_0_1": "date", "date_day_2_3": "date", "date_day_4_7": "date", "date_day_8_30": "date",
    "date_day_far": "date", "date_month_equal": "date", "date_month_conflict": "date",
    "published_before_event": "published", "published_soon": "published", "published_late": "published",
    "published_far": "published", "published_gap_far": "published",
    "regions_overlap": "regions", "regions_jaccard": "regions", "regions_extra": "regions",
    "regions_disjoint": "regions",
    "location_equal": "location", "location_equal_city": "location", "location_equal_region": "location",
    "location_equal_country": "location", "location_head_equal": "location", "same_outlet": "outlet",
    "shared_root": "copy", "shared_quote_strong": "quotes", "shared_quote": "quotes",
    "embedding_high": "embedding", "embedding_mid": "embedding", "embedding_low": "embedding",
    "cue_conflict": "denial",
    "participants_equal": "participants", "participants_equal_round": "participants",
    "participants_close": "participants",
    "participants_conflict": "participants", "killed_equal": "killed", "killed_conflict": "killed",
    "grievances_jaccard": "grievances", "cites_report": "citation", "links_post": "citation",
}


def factors(m: MentionFeatures, e: EventProfile, cited_share: float = 0.0) -> dict[str, float]:
    """The raw evidence that ``m`` reports event ``e``, by weight key, before any weight: 1 for
    a signal that holds, a share for graded ones (region overlap, grievances, citations).

    ``cited_share``: 1/k when the report cites an outlet that reported ``e`` and k candidate
    events of that outlet (or citing it); the citation picks one of k."""
    out: dict[str, float] = {}

    def add(key: str, factor: float = 1.0) -> None:
        if factor:
            out[key] = out.get(key, 0.0) + float(factor)

    add("same_type" if m.type in e.types else "family_only")
    if bool(m.by_relatives) != (e.relatives * 2 > e.size):
        add("relatives_mismatch")
    unit_equal = _score_unit(m, e, add)
    _score_dates(m, e, add)
    _score_places(m, e, add)
    _score_text(m, e, add)
    _score_details(m, e, add)
    if cited_share and m.document_id not in e.documents:
        add("cites_report", cited_share * _citation_recency(m, e))
    if links_post(m, e) and m.document_id not in e.documents:
        add("links_post")
    if unit_equal and ("denial" in m.cues) != e.denial:
        add("cue_conflict")
    return out


def weigh(raw: dict[str, float], weights: dict[str, float] | None = None) -> tuple[float, dict[str, float]]:
    """(total, signals) of raw factors under ``weights`` (default: the packaged ones): each
    signal is the sum of its keys' factor times weight."""
    w = weights if weights is not None else settings()["weights"]
    signals: dict[str, float] = {}
    for key, factor in raw.items():
        name = SIGNAL_OF.get(key, key)
        signals[name] = round(signals.get(name, 0.0) + float(w.get(key, 0.0)) * factor, 3)
    return round(sum(signals.values()), 3), signals


CONTEXT_FREE = frozenset({"type", "relatives", "date", "published", "cosine"})


def has_content(signals: dict[str, float]) -> bool:
    """True when something beyond the type and the dates speaks for the pair (a unit, a place,
    a head count, a copy, a citation, similar wording ...). A join on the type and the dates
    alone is made only when one candidate event fits them (:meth:`Clusterer.assign`): in a store
    with several events a day, a report of the same type that day names none of them."""
    return any(value > 0 for name, value in signals.items() if name not in CONTEXT_FREE)


def score(m: MentionFeatures, e: EventProfile, cited_share: float = 0.0,
          weights: dict[str, float] | None = None) -> tuple[float, dict[str, float]]:
    """How strongly the evidence says ``m`` reports event ``e``; the signals that add up to it
    (see :func:`factors`; ``weights``: default the packaged, learned ones)."""
    return weigh(factors(m, e, cited_share), weights)


def _citation_recency(m: MentionFeatures, e: EventProfile) -> float:
    """How much a citation counts given the days between the report and the event's reports:
    re-tellings follow their source within days; a month later the outlet may well have reported
    another occurrence. Undated reports keep the whole weight (nothing says otherwise)."""
    if m.published is None or e.pub_min is None or e.pub_max is None:
        return 1.0
    lag = max(0, e.pub_min - m.published, m.published - e.pub_max)
    return 1.0 if lag <= 7 else 0.6 if lag <= 30 else 0.3


def _score_unit(m: MentionFeatures, e: EventProfile, add: Adder) -> bool:
    if not (m.unit_number and e.numbers):
        return False
    if m.unit_number not in e.numbers:
        add("unit_conflict")
        return False
    add("unit_equal")
    if m.canonical_id and m.canonical_id in e.canonical:
        add("unit_canonical_equal")
    elif m.unit_kind and e.kinds and m.unit_kind not in e.kinds:
        add("unit_kind_conflict")
    return True


def _score_dates(m: MentionFeatures, e: EventProfile, add: Adder) -> None:
    if m.day is not None and e.day_min is not None and e.day_max is not None:
        gap = max(0, e.day_min - m.day, m.day - e.day_max)
        key = ("date_day_0_1" if gap <= 1 else "date_day_2_3" if gap <= 3 else "date_day_4_7"
               if gap <= 7 else "date_day_8_30" if gap <= 30 else "date_day_far")
        add(key)
    elif m.month_day and e.month_days:
        near = min(abs(_md_days(m.month_day) - _md_days(md)) for md in e.month_days)
        add("date_day_0_1" if near <= 1 else "date_day_4_7" if near <= 7 else "date_day_far")
    elif (m.month or _month_of(m.day)) and e.months:
        add("date_month_equal" if (m.month or _month_of(m.day)) in e.months else "date_month_conflict")
    elif m.day is None and m.published is not None and e.day_min is not None:
        add(_lag_key(m.published - e.day_min))
    elif m.day is not None and e.day_min is None and e.pub_min is not None:
        add(_lag_key(e.pub_min - m.day))
    elif (m.published is not None and e.pub_min is not None and e.pub_max is not None
          and max(e.pub_min - m.published, m.published - e.pub_max) > 60):
        add("published_gap_far")


def _lag_key(lag: int) -> str:
    """Days from the event to a report of it, as a weight key."""
    if lag < -2:
        return "published_before_event"
    return "published_soon" if lag <= 10 else "published_late" if lag <= 30 else "published_far"


def _md_days(md: tuple[int, int]) -> int:
    return md[0] * 31 + md[1]


def _month_of(day: int | None) -> tuple[int, int] | None:
    if day is None:
        return None
    d = date.fromordinal(day)
    return (d.year, d.month)


def _score_places(m: MentionFeatures, e: EventProfile, add: Adder) -> None:
    if m.regions and e.regions:
        shared = len(m.regions & e.regions.keys())
        if shared:
            add("regions_overlap")
            add("regions_jaccard", shared / len(m.regions | e.regions.keys()))
            add("regions_extra", shared - 1)
        else:
            add("regions_disjoint")
    if m.location and e.locations and m.location not in e.locations:
        # "bryanka" and "bryanka, luhansk oblast": one place, written more or less precisely
        head = place_head(m.location)
        if head and any(place_head(loc) == head for loc in e.locations):
            add("location_head_equal")
    if m.location and m.location in e.locations:
        # a village names an occurrence far better than a big city, a region or a country
        add({"country": "location_equal_country", "region": "location_equal_region",
                         "city": "location_equal_city", "exact": "location_equal"}.get(
                             m.location_precision or "", "location_equal"))


def _score_text(m: MentionFeatures, e: EventProfile, add: Adder) -> None:
    other_document = m.document_id not in e.documents
    if other_document and m.outlet and m.outlet in e.outlets:
        add("same_outlet")  # an outlet's follow-up, or its report of another occurrence
    if other_document and (m.root in e.roots or len(m.sketch & e.sketch) >= 6):
        add("shared_root")
    shared_quotes = len(m.quotes & e.quotes)
    if shared_quotes >= 3:
        add("shared_quote_strong")
    elif shared_quotes:
        add("shared_quote")


def _score_details(m: MentionFeatures, e: EventProfile, add: Adder) -> None:
    """What the reports say of the occurrence itself: the head count, the dead, the complaints.
    Re-tellings of one video repeat "about twenty men", "six died", the same list of grievances."""
    if m.document_id in e.documents:
        return  # one text repeats its own details for every event it reports
    if m.participants and e.participants:
        low, high = m.participants
        if any(low == a and high == b for a, b in e.participants):
            # "about twenty" is said of many occurrences, "234" of few
            add("participants_equal_round" if high == low and (low % 5 == 0 or low < 10) else "participants_equal")
        elif any(low <= b * 1.25 and a <= high * 1.25 for a, b in e.participants):
            add("participants_close")
        else:
            add("participants_conflict")
    if m.killed and e.killed:
        add("killed_equal" if m.killed in e.killed else "killed_conflict")
    # Compared with each earlier report's own list, not with their union, which grows with every
    # report an event gathers. Two complaints (assaults, losses) are shared by most appeals.
    best = max((len(m.grievances & g) / len(m.grievances | g) for g in e.grievance_sets
                if len(m.grievances & g) >= 3), default=0.0)
    if best >= 0.5:
        add("grievances_jaccard", best)


@dataclass
class Assignment:
    mention_id: int
    event_id: str
    score: float
    reason: dict[str, Any]
    founded: bool = False
    absorbed: list[str] = field(default_factory=list)


class Spill:
    """A run's private temporary SQLite file (created on first use, deleted when closed): event
    profiles and blocks that wait out of memory."""

    def __init__(self) -> None:
        self._conn: sqlite3.Connection | None = None

    @property
    def used(self) -> bool:
        return self._conn is not None

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = sqlite3.connect("")  # "": a private on-disk database, deleted when closed
            self._conn.execute("CREATE TABLE profiles (id TEXT PRIMARY KEY, data BLOB) WITHOUT ROWID")
            self._conn.execute("CREATE TABLE blocks (key TEXT PRIMARY KEY, last_event TEXT, entries BLOB) WITHOUT ROWID")
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class Profiles(MutableMapping[str, EventProfile]):
    """The event profiles of a run: the most recently used ``capacity`` in memory, the others
    pickled into a private temporary SQLite file and read back when a mention meets them again.

    Mentions come in publication order, so the events they meet are mostly recent ones; a run
    over 100,000 mentions no longer holds every event's features at once. :meth:`shrink` moves
    profiles out; it runs only between two mentions (``Clusterer.assign`` and ``add_existing``
    call it first), so no profile a caller holds is ever written out while it still changes."""

    def __init__(self, capacity: int | None = None, spill: Spill | None = None) -> None:
        self.capacity = capacity or PROFILES_IN_MEMORY
        self._hot: OrderedDict[str, EventProfile] = OrderedDict()
        self._spill = spill or Spill()
        self._cold_ids: set[str] = set()
        self.written = self.read = 0

    def _file(self) -> sqlite3.Connection:
        return self._spill.conn

    def __getitem__(self, key: str) -> EventProfile:
        profile = self._hot.get(key)
        if profile is not None:
            self._hot.move_to_end(key)
            return profile
        profile = self.peek(key)
        if profile is None:
            raise KeyError(key)
        self._cold_ids.discard(key)
        self._hot[key] = profile
        return profile

    def peek(self, key: str) -> EventProfile | None:
        """The profile, read back if it was written out, without bringing it into memory for good."""
        profile = self._hot.get(key)
        if profile is not None or key not in self._cold_ids:
            return profile
        row = self._file().execute("SELECT data FROM profiles WHERE id = ?", (key,)).fetchone()
        self.read += 1
        loaded: EventProfile = pickle.loads(row[0])
        return loaded

    def __setitem__(self, key: str, profile: EventProfile) -> None:
        self._hot[key] = profile
        self._hot.move_to_end(key)
        self._cold_ids.discard(key)

    def __delitem__(self, key: str) -> None:
        if self._hot.pop(key, None) is None:
            if key not in self._cold_ids:
                raise KeyError(key)
            self._cold_ids.discard(key)
            self._file().execute("DELETE FROM profiles WHERE id = ?", (key,))

    def __contains__(self, key: object) -> bool:
        return key in self._hot or key in self._cold_ids

    def __iter__(self) -> Iterator[str]:
        yield from list(self._hot)
        yield from list(self._cold_ids)

    def __len__(self) -> int:
        return len(self._hot) + len(self._cold_ids)

    def shrink(self) -> None:
        """Write the least recently used profiles out until ``capacity`` are left in memory."""
        if len(self._hot) <= self.capacity:
            return
        out = []
        while len(self._hot) > self.capacity * 3 // 4:  # some room, so that writes come in batches
            key, profile = self._hot.popitem(last=False)
            out.append((key, pickle.dumps(profile, pickle.HIGHEST_PROTOCOL)))
            self._cold_ids.add(key)
        self._file().executemany("INSERT OR REPLACE INTO profiles (id, data) VALUES (?, ?)", out)
        self.written += len(out)

    def close(self) -> None:
        self._spill.close()
        self._cold_ids.clear()


class Clusterer:
    """Holds the event profiles and block index of one resolve run."""

    def __init__(
        self, similarity: Callable[[MentionFeatures, EventProfile], float | None] | None = None,
        profiles_in_memory: int | None = None, *, weights: dict[str, float] | None = None,
        threshold: float | None = None, pool: int | None = None, max_mentions: int | None = None,
        max_span_days: int | None = None,
    ) -> None:
        cap = settings().get("cluster_cap", {})
        self.max_mentions = int(max_mentions if max_mentions is not None else cap.get("max_mentions", 1000))
        self.max_span_days = int(max_span_days if max_span_days is not None else cap.get("max_span_days", 730))
        self.capped: dict[str, str] = {}  # events that reached the cap: "mentions" or "span"
        self.spill = Spill()
        self.events: Profiles = Profiles(profiles_in_memory, self.spill)
        self.blocks_spilled = 0
        self._since_sweep = 0
        self.blocks: dict[tuple[Any, ...], list[Entry]] = {}
        self.redirect: dict[str, str] = {}
        self.weights: dict[str, float] = dict(settings()["weights"] if weights is None else weights)
        self.threshold = float(settings()["threshold"] if threshold is None else threshold)
        self.similarity = similarity
        self.recent: dict[str, list[Entry]] = {}
        self.frozen: set[str] = set()                # events an analyst touched: never absorbed
        self.separated: set[frozenset[str]] = set()  # pairs an analyst split: never joined
        windows = settings()["windows"]
        self.unit_window, self.window = int(windows["unit"]), int(windows["other"])
        # every mention also meets the newest ``pool`` events of its family (within the window)
        self.pool = int(settings().get("family_pool", 0) if pool is None else pool)

    def add_existing(self, event_id: str, m: MentionFeatures, is_open: bool = True) -> None:
        """File a mention already linked to an event (from the store) under that event."""
        self.events.shrink()
        profile = self.events.get(event_id)
        if profile is None:
            profile = self.events[event_id] = EventProfile(event_id, m.family, open=is_open)
        self._file(profile, m)

    def _file(self, profile: EventProfile, m: MentionFeatures) -> None:
        profile.add(m)
        for key in block_keys(m) + ([("family", m.family)] if self.pool else []):
            entries = self.blocks.get(key)
            if entries is None:
                if self.spill.used and self._spilled_last(key) == profile.id:
                    continue  # as if the block were still here: its newest entry is this event
                entries = self.blocks[key] = []
            if not entries or entries[-1][1] != profile.id:
                entries.append((m.published, profile.id))
                if len(entries) >= 2 * BLOCK_SCAN:  # only the newest BLOCK_SCAN are ever looked at
                    del entries[:-BLOCK_SCAN]
        if m.weak and self.similarity is not None:
            recent = self.recent.setdefault(m.family, [])
            if not recent or recent[-1][1] != profile.id:
                recent.append((m.published, profile.id))
                limit = int(settings()["embedding"]["max_candidates"])
                if len(recent) >= 2 * limit:
                    del recent[:-limit]

    def candidates(self, m: MentionFeatures) -> list[EventProfile]:
        seen: dict[str, EventProfile] = {}
        for key in lookup_keys(m):
            window = (None if key[0] in _UNWINDOWED else self.unit_window if key[0] == "unit" else self.window)
            self._scan(seen, self._entries(key, window, m), m, BLOCK_SCAN, window)
        if self.pool:
            key = ("family", m.family)
            self._scan(seen, self._entries(key, self.window, m), m, self.pool, self.window)
        if m.weak and self.similarity is not None:
            limit = int(settings()["embedding"]["max_candidates"])
            self._scan(seen, self.recent.get(m.family, []), m, limit, self.window)
        return list(seen.values())

    def _entries(self, key: tuple[Any, ...], window: int | None, m: MentionFeatures) -> list[Entry]:
        entries = self.blocks.get(key, [])
        if self.spill.used and (window is None or m.published is None):
            # the older entries moved out are still in reach of a copy, a link, an undated report
            entries = self._spilled(key) + entries
        return entries

    def _scan(self, seen: dict[str, EventProfile], entries: list[Entry], m: MentionFeatures, limit: int,
              window: int | None) -> None:
        """The newest ``limit`` entries of a block, stopping at those filed ``window`` days
        before the mention's publication (entries are filed roughly in publication order)."""
        for published, event_id in reversed(entries[-limit:]):
            if window is not None and published is not None and m.published is not None \
                    and published < m.published - window:
                break
            self._consider(seen, event_id, m)

    def _consider(self, seen: dict[str, EventProfile], event_id: str, m: MentionFeatures) -> None:
        event_id = self.redirect.get(event_id, event_id)
        profile = self.events.get(event_id)
        if profile is not None and profile.open and profile.family == m.family and event_id not in seen:
            seen[event_id] = profile

    def assign(self, m: MentionFeatures) -> Assignment:
        """Join ``m`` to its best-scoring candidate event, or found a new event with it."""
        self.events.shrink()  # between mentions: no profile is held by anyone
        self._since_sweep += 1
        if m.published is not None and self._since_sweep >= SWEEP_EVERY:
            self.sweep(m.published)
        best: tuple[float, dict[str, float], EventProfile] | None = None
        chosen: tuple[float, dict[str, float], EventProfile] | None = None
        qualified: list[EventProfile] = []
        dates_only: list[tuple[float, dict[str, float], EventProfile]] = []
        capped: list[str] = []
        for profile, raw in self.scored_candidates(m):
            total, signals = weigh(raw, self.weights)
            total = self._with_similarity(m, profile, total, signals)
            if total >= self.threshold:
                full = self._full(profile, profile.size + 1, m.published, m.published)
                if full:  # the mention would join: it goes elsewhere, and the event is flagged
                    self.capped.setdefault(profile.id, full)
                    capped.append(profile.id)
                    continue
                if not has_content(signals):
                    dates_only.append((total, signals, profile))
                else:
                    qualified.append(profile)
                    if chosen is None or total > chosen[0]:
                        chosen = (total, signals, profile)
            if best is None or total > best[0]:
                best = (total, signals, profile)
        if chosen is None and len(dates_only) == 1:  # the type and dates fit one event alone
            chosen = dates_only[0]
            qualified.append(chosen[2])
        if chosen is not None:
            best = chosen
            target = best[2]
            absorbed = [p.id for p in qualified if p is not target and self._absorb(target, p)]
            self._file(target, m)
            reason: dict[str, Any] = {"score": best[0], "signals": best[1]}
            if absorbed:
                reason["bridged"] = absorbed
            if capped:
                reason["capped"] = capped
            return Assignment(m.id, target.id, best[0], reason, absorbed=absorbed)
        event_id = event_id_for(m.stable_key)
        profile = self.events.get(event_id) or EventProfile(event_id, m.family)
        self.events[event_id] = profile
        self._file(profile, m)
        reason = {"founder": True, "stable_key": m.stable_key}
        if capped:
            reason["capped"] = capped
        if best is not None:
            reason["best_other"] = {"event_id": best[2].id, "score": best[0], "signals": best[1]}
        return Assignment(m.id, event_id, 1.0, reason, founded=True)

    def scored_candidates(self, m: MentionFeatures) -> list[tuple[EventProfile, dict[str, float]]]:
        """Each candidate event of ``m`` with the raw factors (:func:`factors`) of the pair."""
        candidates = self.candidates(m)
        citing = {p.id for p in candidates if cites_event(m, p)} if (m.cites or m.outlet) else set()
        return [(p, factors(m, p, 1 / len(citing) if p.id in citing else 0.0)) for p in candidates]

    def sweep(self, now: int) -> None:
        """Move out the blocks whose newest entry is older than their window before ``now`` (the
        publication day of the mention being placed; later ones are no earlier). A dated report
        would stop scanning at that entry anyway; copies, links and undated reports, which look
        at entries of any age, read them back (:meth:`_spilled`)."""
        self._since_sweep = 0
        stale = []
        for key, entries in self.blocks.items():
            window = self.unit_window if key[0] == "unit" else self.window
            published = entries[-1][0] if entries else None
            if published is not None and published < now - window:
                stale.append(key)
        if not stale:
            return
        conn = self.spill.conn
        for key in stale:
            entries = self.blocks.pop(key)
            name = repr(key)
            row = conn.execute("SELECT entries FROM blocks WHERE key = ?", (name,)).fetchone()
            if row is not None:
                entries = pickle.loads(row[0]) + entries
            conn.execute("INSERT OR REPLACE INTO blocks (key, last_event, entries) VALUES (?, ?, ?)",
                         (name, entries[-1][1], pickle.dumps(entries[-BLOCK_SCAN:], pickle.HIGHEST_PROTOCOL)))
        self.blocks_spilled += len(stale)

    def _spilled(self, key: tuple[Any, ...]) -> list[Entry]:
        row = self.spill.conn.execute("SELECT entries FROM blocks WHERE key = ?", (repr(key),)).fetchone()
        entries: list[Entry] = pickle.loads(row[0]) if row else []
        return entries

    def _spilled_last(self, key: tuple[Any, ...]) -> str | None:
        row = self.spill.conn.execute("SELECT last_event FROM blocks WHERE key = ?", (repr(key),)).fetchone()
        return str(row[0]) if row else None

    def close(self) -> None:
        """Delete the run's temporary file."""
        self.events.close()
        self.spill.close()

    def _absorb(self, target: EventProfile, other: EventProfile) -> bool:
        """Fold ``other`` into ``target`` when a mention qualifies for both, nothing contradicts
        it, and no analyst has touched ``other`` or split the two."""
        if other.id in self.frozen or frozenset((target.id, other.id)) in self.separated:
            return False
        if not compatible(target, other):
            return False
        full = self._full(target, target.size + other.size, other.pub_min, other.pub_max)
        if full:
            self.capped.setdefault(target.id, full)
            return False
        absorb(target, other)
        other.open = False
        self.redirect[other.id] = target.id
        for source, goes_to in list(self.redirect.items()):
            if goes_to == other.id:
                self.redirect[source] = target.id
        return True

    def _full(self, profile: EventProfile, size: int, low: int | None, high: int | None) -> str | None:
        """Why ``profile`` may not grow to ``size`` mentions and the publication days ``low`` to
        ``high`` ("mentions" or "span"), or None when it may."""
        if size > self.max_mentions:
            return "mentions"
        days = [d for d in (profile.pub_min, profile.pub_max, low, high) if d is not None]
        if days and max(days) - min(days) > self.max_span_days:
            return "span"
        return None

    def _with_similarity(self, m: MentionFeatures, e: EventProfile, total: float, signals: dict[str, float]) -> float:
        if self.similarity is None or total >= self.threshold + 1.5 or total < self.threshold - 2.5:
            return total
        cosine = self.similarity(m, e)
        if cosine is None:
            return total
        cfg, w = settings()["embedding"], self.weights
        key = ("embedding_high" if cosine >= cfg["high"] else "embedding_mid" if cosine >= cfg["mid"]
               else "embedding_low" if cosine < cfg["low"] else None)
        if key is None:
            return total
        signals["embedding"] = float(w[key])
        signals["cosine"] = round(cosine, 3)
        return round(total + float(w[key]), 3)


def run_clusterer(clusterer: Clusterer, mentions: Iterable[MentionFeatures]) -> list[Assignment]:
    return [clusterer.assign(m) for m in mentions]
