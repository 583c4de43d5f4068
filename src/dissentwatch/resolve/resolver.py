"""``resolve_mentions``: turn mentions into events, incrementally, never undoing an analyst.

A run files the mentions already linked to events under those events, then places every
mention not yet linked (new documents, re-analysed ones) oldest first: it joins an event or
founds one. Touched events are re-aggregated and relations recomputed.

What analysts decided stays: pinned links never move, events merged away (``merged_into``)
receive nothing, separated events are never merged (resolve never merges two events), and
fields in ``locked_fields`` keep their values. ``rebuild=True`` releases the mentions of
untouched events (review status ``new``, no pins, no separation) and clusters them again;
event ids come back the same because they derive from the founding mention's stable key.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any

from dissentwatch.progress import ProgressFactory, stage
from dissentwatch.resolve.aggregate import aggregate_event
from dissentwatch.resolve.cluster import Assignment, Clusterer, EventProfile
from dissentwatch.resolve.features import MentionFeatures, iter_features, settings
from dissentwatch.resolve.relations import EventFacts, link_events
from dissentwatch.store import Store
from dissentwatch.store.events import event_mention_rows, upsert_event

log = logging.getLogger(__name__)
BATCH = 2000
UNTOUCHED = (
    "e.review_status = 'new' AND e.merged_into IS NULL AND e.locked_fields = '[]' "
    "AND NOT EXISTS (SELECT 1 FROM event_mentions p WHERE p.event_id = e.id AND p.pinned = 1) "
    "AND NOT EXISTS (SELECT 1 FROM events t WHERE t.merged_into = e.id) "
    "AND NOT EXISTS (SELECT 1 FROM event_separations s WHERE s.event_a = e.id OR s.event_b = e.id)")
"""An event no analyst has touched (SQL over ``events e``): what resolve may absorb or release."""


@dataclass
class ResolveStats:
    mentions_seen: int = 0
    mentions_placed: int = 0
    events_founded: int = 0
    events_joined: int = 0
    events_updated: int = 0
    events_deleted: int = 0
    relations: int = 0
    released: int = 0
    similarity_calls: int = 0
    capped: dict[str, str] = field(default_factory=dict)  # event id: "mentions" or "span"
    profiles_spilled: int = 0  # event profiles written to the run's temporary file (memory bound)
    blocks_spilled: int = 0    # blocks moved there once no dated report would scan them
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["errors"] = len(self.errors)
        return out

    def capped_warning(self, max_mentions: int, max_span_days: int) -> str | None:
        """What to tell the user when events reached the cluster cap, or None."""
        if not self.capped:
            return None
        shown = ", ".join(f"{e} ({why})" for e, why in sorted(self.capped.items())[:10])
        more = f" and {len(self.capped) - 10} more" if len(self.capped) > 10 else ""
        return (f"{len(self.capped)} event(s) reached the cluster cap ({max_mentions} mentions, {max_span_days} "
                f"days of publications): the mentions that would have joined were kept apart. Check the "
                f"resolver on {shown}{more}")


def resolver_name(similarity: bool) -> str:
    return f"{settings()['version']}+{'e5' if similarity else 'fields'}"


def resolve_mentions(
    store: Store, *, rebuild: bool = False, similarity: Callable[..., float | None] | None = None,
    progress: ProgressFactory | None = None, max_mentions: int | None = None,
    max_span_days: int | None = None,
) -> ResolveStats:
    """Place unlinked mentions into events; re-aggregate what changed; recompute relations.

    No event grows past ``max_mentions`` mentions or ``max_span_days`` days of publications
    (defaults: ``cluster_cap`` in ``data/resolve.json``): the events that would are listed in
    ``stats.capped`` and flagged in their fields (``cluster_capped``), for an analyst to check.
    ``progress`` draws three stages, each with its total counted first: the mentions already in
    events read back, the new mentions placed, the events re-aggregated."""
    stats = ResolveStats()
    run_id = store.start_run("resolve", "resolve --rebuild" if rebuild else "resolve",
                             {"resolver": resolver_name(similarity is not None)})
    try:
        if rebuild:
            stats.released = release_mentions(store)
        clusterer = Clusterer(similarity, max_mentions=max_mentions, max_span_days=max_span_days)
        new_ids = _new_mention_ids(store)
        stats.mentions_seen = _load_existing(store, clusterer, similarity is not None, _window(store, new_ids),
                                             progress)
        touched = _place_new(store, clusterer, stats, run_id, progress, new_ids)
        touched |= _changed_events(store)
        stats.capped = dict(clusterer.capped)
        touched |= {clusterer.redirect.get(e, e) for e in clusterer.capped}
        if rebuild:
            touched |= _live_events(store)  # repairs events an older merge or split left stale
        stats.events_updated = refresh_events(store, sorted(touched), run_id, resolver_name(similarity is not None),
                                              clusterer, progress)
        stats.events_deleted = delete_empty_events(store)
        facts = list(_event_facts(store, clusterer))  # read before the write lock is taken
        with store.transaction() as conn:
            live = {r[0] for r in conn.execute("SELECT id FROM events WHERE merged_into IS NULL "
                                               "AND review_status != 'rejected'")}
            stats.relations = link_events(conn, [f for f in facts if f.id in live])
        stats.profiles_spilled = clusterer.events.written
        stats.blocks_spilled = clusterer.blocks_spilled
        clusterer.close()
        stats.similarity_calls = int(getattr(similarity, "calls", 0))
    except BaseException:
        store.finish_run(run_id, "failed", stats.as_dict())
        raise
    store.finish_run(run_id, "ok", stats.as_dict())
    return stats


def release_mentions(store: Store) -> int:
    """For a rebuild: unlink the mentions of events no analyst has touched."""
    with store.transaction() as conn:
        cur = conn.execute(
            "DELETE FROM event_mentions WHERE pinned = 0 AND event_id IN (SELECT e.id FROM events e "
            "WHERE e.review_status = 'new' AND e.merged_into IS NULL AND e.locked_fields = '[]' "
            "AND NOT EXISTS (SELECT 1 FROM event_mentions p WHERE p.event_id = e.id AND p.pinned = 1) "
            "AND NOT EXISTS (SELECT 1 FROM event_separations s WHERE s.event_a = e.id OR s.event_b = e.id))"
        )
        return cur.rowcount


def _window(store: Store, new_ids: Sequence[int]) -> tuple[str, str] | None:
    """The publication days of existing mentions the new ones can meet: the new mentions'
    range widened by the unit window (None: no bound, e.g. an undated new document)."""
    if not new_ids or len(new_ids) > 50_000:
        return None
    days = int(settings()["windows"]["unit"]) + 30
    low, high, undated = store.query(
        "SELECT MIN(substr(d.published, 1, 10)), MAX(substr(d.published, 1, 10)), "
        "SUM(d.published IS NULL) FROM mentions m JOIN documents d ON d.id = m.document_id "
        "WHERE m.id NOT IN (SELECT mention_id FROM event_mentions)")[0]
    if undated or not low:
        return None
    return (str(date.fromisoformat(low) - timedelta(days=days)), str(date.fromisoformat(high) + timedelta(days=days)))


def _load_existing(store: Store, clusterer: Clusterer, keep_text: bool, window: tuple[str, str] | None,
                   progress: ProgressFactory | None = None) -> int:
    """File the mentions already in events (within ``window`` of publication days, plus
    undated ones) under their events."""
    targets = _merge_targets(store)
    links = {r[0]: r[1] for r in store.query("SELECT mention_id, event_id FROM event_mentions ORDER BY pinned")}
    count = 0
    where = "m.id IN (SELECT mention_id FROM event_mentions)"
    params: tuple[Any, ...] = ()
    if window:
        where += " AND (d.published IS NULL OR substr(d.published, 1, 10) BETWEEN ? AND ?)"
        params = window
    total = int(store.scalar(
        f"SELECT COUNT(*) FROM mentions m JOIN documents d ON d.id = m.document_id WHERE {where}", params) or 0)
    bar = stage(progress, "resolve: mentions in events", total, "mentions")
    try:
        for m in iter_features(store, where, params, keep_text=keep_text):
            event_id = links[m.id]
            target = targets.get(event_id, event_id)
            clusterer.add_existing(target, m, is_open=target not in targets)
            count += 1
            bar.update(1)
    finally:
        bar.close()
    clusterer.redirect.update(targets)
    clusterer.frozen = {r[0] for r in store.query(
        "SELECT id FROM events WHERE review_status != 'new' OR merged_into IS NOT NULL OR locked_fields != '[]' "
        "UNION SELECT event_id FROM event_mentions WHERE pinned = 1 "
        "UNION SELECT merged_into FROM events WHERE merged_into IS NOT NULL "
        "UNION SELECT event_a FROM event_separations UNION SELECT event_b FROM event_separations")}
    clusterer.separated = {frozenset((r[0], r[1])) for r in store.query("SELECT event_a, event_b FROM event_separations")}
    return count


def _merge_targets(store: Store) -> dict[str, str]:
    """Where each merged-away event went (following chains of merges)."""
    merged = {r[0]: r[1] for r in store.query("SELECT id, merged_into FROM events WHERE merged_into IS NOT NULL")}
    out = {}
    for source in merged:
        target, hops = merged[source], 0
        while target in merged and hops < 50:
            target, hops = merged[target], hops + 1
        out[source] = target
    return out


def _new_mention_ids(store: Store) -> list[int]:
    """The mentions to place, by day of publication, then by document and place in it: not by
    mention id, which follows the order analyze wrote them in (partitions on Dask finish in any
    order), so that the events are the same whichever executor analyzed."""
    return [r[0] for r in store.query(
        "SELECT m.id FROM mentions m JOIN documents d ON d.id = m.document_id "
        "WHERE m.id NOT IN (SELECT mention_id FROM event_mentions) "
        "ORDER BY COALESCE(substr(d.published, 1, 10), '9999'), m.document_id, m.start, m.key")]


def _features_in_order(store: Store, ids: Sequence[int], keep_text: bool) -> Iterator[MentionFeatures]:
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        found = {m.id: m for m in iter_features(
            store, f"m.id IN ({','.join('?' * len(chunk))})", tuple(chunk), keep_text=keep_text)}
        yield from (found[i] for i in chunk if i in found)


def _place_new(
    store: Store, clusterer: Clusterer, stats: ResolveStats, run_id: int,
    progress: ProgressFactory | None, ids: Sequence[int],
) -> set[str]:
    touched: set[str] = set()
    batch: list[tuple[Assignment, MentionFeatures]] = []
    bar = stage(progress, "resolve: new mentions", len(ids), "mentions")
    try:
        for m in _features_in_order(store, ids, keep_text=clusterer.similarity is not None):
            assignment = clusterer.assign(m)
            batch.append((assignment, m))
            touched.add(assignment.event_id)
            stats.mentions_placed += 1
            stats.events_founded += assignment.founded
            stats.events_joined += not assignment.founded
            if len(batch) >= BATCH:
                _write_links(store, batch, run_id)
                bar.update(len(batch))
                batch = []
        _write_links(store, batch, run_id)
        bar.update(len(batch))
    finally:
        bar.close()
    return touched


def _write_links(store: Store, batch: list[tuple[Assignment, MentionFeatures]], run_id: int) -> None:
    if not batch:
        return
    with store.transaction() as conn:
        for assignment, m in batch:
            if assignment.founded:
                conn.execute(
                    "INSERT OR IGNORE INTO events (id, type, created, updated, run_id) VALUES (?, ?, ?, ?, ?)",
                    (assignment.event_id, m.type, "", "", run_id),
                )
            # Placed while the store kept changing (the web app, analyze, another resolve): an
            # event an analyst merged away since leads to the one it went into; a mention that
            # has been linked meanwhile, or that a re-analysis removed, is left alone.
            target = live_target(conn, assignment.event_id)
            conn.execute(
                "INSERT OR IGNORE INTO event_mentions (event_id, mention_id, score, reason) "
                "SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM mentions WHERE id = ?) "
                "AND NOT EXISTS (SELECT 1 FROM event_mentions WHERE mention_id = ?)",
                (target, assignment.mention_id, assignment.score, json.dumps(assignment.reason, ensure_ascii=False),
                 assignment.mention_id, assignment.mention_id),
            )
            for absorbed in assignment.absorbed:
                absorb_event(conn, target, absorbed)


def live_target(conn: sqlite3.Connection, event_id: str) -> str:
    """The event ``event_id`` is now: itself, or the event an analyst merged it into (chains followed)."""
    seen = {event_id}
    while True:
        row = conn.execute("SELECT merged_into FROM events WHERE id = ?", (event_id,)).fetchone()
        if row is None or not row[0] or row[0] in seen:
            return event_id
        event_id = row[0]
        seen.add(event_id)


def absorb_event(conn: sqlite3.Connection, target: str, absorbed: str) -> None:
    """Move an untouched event's mentions into ``target`` (a report bridged them) and drop it;
    an event an analyst has touched since this run read the store is left as it is."""
    if target == absorbed or not conn.execute(f"SELECT 1 FROM events e WHERE e.id = ? AND {UNTOUCHED}",
                                              (absorbed,)).fetchone():
        return
    conn.execute(
        "UPDATE event_mentions SET event_id = ?, reason = json_set(reason, '$.absorbed_from', ?) "
        "WHERE event_id = ? AND pinned = 0", (target, absorbed, absorbed))
    conn.execute("DELETE FROM events WHERE id = ? AND review_status = 'new' AND merged_into IS NULL "
                 "AND id NOT IN (SELECT event_id FROM event_mentions)", (absorbed,))


def _live_events(store: Store) -> set[str]:
    """Every event with mentions that was not merged away."""
    return {r[0] for r in store.query(
        "SELECT DISTINCT em.event_id FROM event_mentions em JOIN events e ON e.id = em.event_id "
        "WHERE e.merged_into IS NULL")}


def _changed_events(store: Store) -> set[str]:
    """Events whose mentions were re-analysed since the event was last written."""
    return {r[0] for r in store.query(
        "SELECT DISTINCT em.event_id FROM event_mentions em JOIN mentions m ON m.id = em.mention_id "
        "JOIN events e ON e.id = em.event_id WHERE m.created > e.updated")}


def refresh_events(
    store: Store, event_ids: Sequence[str], run_id: int | None = None, resolver: str = "",
    clusterer: Clusterer | None = None, progress: ProgressFactory | None = None,
) -> int:
    """Re-aggregate the given events from their mentions (locked fields kept)."""
    done = 0
    bar = stage(progress, "resolve: events", len(event_ids), "events")
    for start in range(0, len(event_ids), 500):
        chunk = list(event_ids[start : start + 500])
        # aggregated before the write lock is taken, so that a reviewer's click waits for the
        # writes alone; an event that changed meanwhile (an analyst's decision, a re-analysis)
        # is aggregated again inside the transaction, from what it holds now
        before = _signatures(store, chunk)
        shapes = _shapes(store, chunk, clusterer)
        with store.transaction() as conn:
            now = _signatures(store, chunk)
            changed = [e for e in chunk if now.get(e) != before.get(e)]
            if changed:
                shapes.update(_shapes(store, changed, clusterer))
            for event_id in chunk:
                shape = shapes.get(event_id) if event_id in now else None
                if shape is not None:
                    upsert_event(conn, event_id, shape, resolver=resolver, run_id=run_id)
                    conn.execute("UPDATE events SET created = updated WHERE id = ? AND created = ''", (event_id,))
                    done += 1
        bar.update(len(chunk))
    bar.close()
    return done


def _signatures(store: Store, event_ids: Sequence[str]) -> dict[str, tuple[Any, ...]]:
    """What an event's aggregate depends on, in brief: its row's last change and its mentions
    (which, how many, the latest analysis)."""
    marks = ",".join("?" * len(event_ids))
    return {r[0]: tuple(r[1:]) for r in store.query(
        "SELECT e.id, e.updated, e.locked_fields, COUNT(m.id), TOTAL(m.id), MAX(m.created) FROM events e "
        "LEFT JOIN event_mentions em ON em.event_id = e.id LEFT JOIN mentions m ON m.id = em.mention_id "
        f"WHERE e.id IN ({marks}) GROUP BY e.id", list(event_ids))}


def _shapes(store: Store, event_ids: Sequence[str], clusterer: Clusterer | None) -> dict[str, dict[str, Any]]:
    """The aggregate of each event that has mentions, its locked fields kept."""
    members: dict[str, list[dict[str, Any]]] = {}
    for row in event_mention_rows(store, event_ids):
        members.setdefault(row["event_id"], []).append(dict(row))
    marks = ",".join("?" * len(event_ids))
    rows = {r["id"]: r for r in store.query(
        f"SELECT id, fields, locked_fields FROM events WHERE id IN ({marks})", list(event_ids))}
    shapes = {}
    for event_id in event_ids:
        if event_id in members and event_id in rows:
            existing = json.loads(rows[event_id]["fields"] or "{}")
            shape = aggregate_event(members[event_id], existing, json.loads(rows[event_id]["locked_fields"]))
            shape["cues"] = _cues(clusterer, event_id, existing)
            capped = _capped(clusterer, event_id, existing, len(members[event_id]))
            if capped:
                shape["cluster_capped"] = capped
            shapes[event_id] = shape
    return shapes


def delete_empty_events(store: Store) -> int:
    """Drop events left without mentions, unless an analyst reviewed, merged or separated them."""
    with store.transaction() as conn:
        cur = conn.execute(
            "DELETE FROM events WHERE review_status = 'new' AND merged_into IS NULL AND locked_fields = '[]' "
            "AND id NOT IN (SELECT event_id FROM event_mentions) "
            "AND id NOT IN (SELECT merged_into FROM events WHERE merged_into IS NOT NULL) "
            "AND id NOT IN (SELECT event_a FROM event_separations UNION SELECT event_b FROM event_separations)"
        )
        return cur.rowcount


def _capped(clusterer: Clusterer | None, event_id: str, existing: dict[str, Any], size: int) -> str | None:
    """Why the event reached the cluster cap (this run or an earlier one), or None; an event
    an analyst has since split below the mention cap is no longer flagged for it."""
    if clusterer is not None and event_id in clusterer.capped:
        return clusterer.capped[event_id]
    earlier = existing.get("cluster_capped")
    if earlier == "mentions" and clusterer is not None and size < clusterer.max_mentions:
        return None
    return str(earlier) if earlier else None


def _cues(clusterer: Clusterer | None, event_id: str, existing: dict[str, Any]) -> list[str]:
    """Denial / verdict cues of an event, kept in its fields for later runs' relations."""
    profile: EventProfile | None = clusterer.events.peek(event_id) if clusterer else None
    if profile is None:
        return list(existing.get("cues") or [])
    return [name for name, on in (("denial", profile.denial), ("verdict", profile.verdict)) if on]


def _event_facts(store: Store, clusterer: Clusterer) -> Iterator[EventFacts]:
    for row in store.query(
        "SELECT id, type, unit_canonical_id, unit_number, unit_kind, sort_date, json_extract(fields, '$.cues') "
        "AS cues FROM events WHERE merged_into IS NULL AND review_status != 'rejected'"
    ):
        unit = row["unit_canonical_id"] or (
            f"{row['unit_number']}/{row['unit_kind'] or ''}" if row["unit_number"] else None)
        cues = set(json.loads(row["cues"] or "[]"))
        profile: EventProfile | None = clusterer.events.peek(row["id"])
        if profile is not None:
            cues = {name for name, on in (("denial", profile.denial), ("verdict", profile.verdict)) if on}
        yield EventFacts(row["id"], row["type"], unit, row["sort_date"],
                         denial="denial" in cues, verdict="verdict" in cues)
