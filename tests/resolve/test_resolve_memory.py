"""Resolve in bounded memory (issue 13, item 6): event profiles beyond a fixed number wait in a
temporary file, blocks keep only the entries ever scanned and go there too once no dated report
would scan them, and the events come out the same."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from dissentwatch.resolve import cluster
from dissentwatch.resolve.cluster import BLOCK_SCAN, Clusterer, Profiles
from dissentwatch.resolve.features import family, iter_features
from dissentwatch.resolve.resolver import resolve_mentions
from dissentwatch.store import Store

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_resolve.py"


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_resolve", BENCH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _synthetic_store(path: Path, mentions: int) -> None:
    """The benchmark's synthetic reports; one document in 25 undated (placed last, unwindowed)."""
    bench = _bench()
    bench.write_store(path, bench.synthetic_reports(mentions, words_per_text=60))
    with Store(path) as store, store.transaction() as conn:
        conn.execute("UPDATE documents SET published = NULL WHERE id % 25 = 0")


def _outcome(path: Path) -> dict[str, Any]:
    with Store(path) as store:
        return {
            "links": [tuple(r) for r in store.query(
                "SELECT mention_id, event_id, score, reason FROM event_mentions ORDER BY mention_id")],
            "events": [tuple(r) for r in store.query("SELECT id, fields, sort_date FROM events ORDER BY id")],
            "relations": [tuple(r) for r in store.query(
                "SELECT from_event, to_event, relation, reason FROM event_relations ORDER BY 1, 2, 3")],
        }


def test_spilled_profiles_give_the_same_events(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    roomy, tight = tmp_path / "roomy.db", tmp_path / "tight.db"
    _synthetic_store(roomy, 1500)
    tight.write_bytes(roomy.read_bytes())
    with Store(roomy) as store:
        wide = resolve_mentions(store)
    assert wide.profiles_spilled == wide.blocks_spilled == 0
    monkeypatch.setattr(cluster, "PROFILES_IN_MEMORY", 16)
    monkeypatch.setattr(cluster, "SWEEP_EVERY", 50)
    with Store(tight) as store:
        narrow = resolve_mentions(store)
    assert narrow.profiles_spilled > 100  # most of the ~350 events went out, many came back
    assert narrow.blocks_spilled > 500  # and the blocks no dated report would scan any more
    assert narrow.events_founded == wide.events_founded > 100
    assert _outcome(tight) == _outcome(roomy)

    # an incremental run reads the existing events back through the same bounded store
    bench = _bench()
    extra = bench.synthetic_reports(60, seed=8, first_occurrence=10**6, words_per_text=60)
    for path in (roomy, tight):
        bench.write_more(path, extra, offset=1500)
        with Store(path) as store:
            assert resolve_mentions(store).mentions_placed == 60
    assert _outcome(tight) == _outcome(roomy)


def test_profiles_in_memory_never_exceed_the_capacity(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    _synthetic_store(path, 800)
    clusterer = Clusterer(profiles_in_memory=10)
    most = 0
    with Store(path) as store:
        for m in iter_features(store):
            clusterer.assign(m)
            most = max(most, len(clusterer.events._hot))  # the capacity, and what one mention met
            clusterer.events.shrink()
            assert len(clusterer.events._hot) <= 10
    assert most < 60
    assert len(clusterer.events) > 100  # all still there: written out, not lost
    first = next(iter(clusterer.events))
    assert clusterer.events[first].id == first
    clusterer.events.close()


def test_a_profile_comes_back_as_it_went_out() -> None:
    profiles = Profiles(capacity=2)
    for i in range(6):
        profile = cluster.EventProfile(f"ev-{i}", "appeal")
        profile.numbers[str(i)] += 1
        profile.sketch |= {i, i + 100}
        profiles[profile.id] = profile
        profiles.shrink()
    assert len(profiles) == 6 and profiles.written >= 4
    back = profiles.peek("ev-0")
    assert back is not None and back.numbers == {"0": 1} and back.sketch == {0, 100}
    profiles["ev-0"].killed.add(7)  # read back for good: changes are kept when it goes out again
    for i in range(1, 6):
        profiles.get(f"ev-{i}")
        profiles.shrink()
    assert profiles["ev-0"].killed == {7}
    del profiles["ev-3"]
    assert "ev-3" not in profiles and len(profiles) == 5
    profiles.close()


def test_a_block_keeps_only_the_entries_it_scans(tmp_path: Path) -> None:
    """Thousands of reports of one unit: the block holds the newest BLOCK_SCAN events, not all."""
    bench = _bench()
    reports = bench.synthetic_reports(3000, words_per_text=40)
    for r in reports:
        r["fields"]["unit"] = {"name": "", "number": "255", "kind": "regiment"}
    path = tmp_path / "unit.db"
    bench.write_store(path, reports)
    # the hand weights, under which a unit number alone joins nothing: ~750 events of one unit,
    # what this test needs to fill a block (the learned ones join more of these reports)
    from dissentwatch import packaged_json

    hand = packaged_json("resolve.json")
    clusterer = Clusterer(weights=hand["weights"], threshold=hand["threshold"], pool=0)
    with Store(path) as store:
        for m in iter_features(store):
            clusterer.assign(m)
    block = clusterer.blocks[("unit", family("video_appeal"), "255")]
    assert BLOCK_SCAN <= len(block) < 2 * BLOCK_SCAN  # 3000 reports of the unit, ~750 events
    clusterer.events.close()


def test_the_run_records_how_many_profiles_it_wrote_out(store: Store) -> None:
    stats = resolve_mentions(store)
    assert json.loads(json.dumps(stats.as_dict()))["profiles_spilled"] == 0


def test_stale_blocks_leave_memory(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    _synthetic_store(path, 1200)
    clusterer = Clusterer()
    with Store(path) as store:
        for m in iter_features(store):
            clusterer.assign(m)
            if m.published is not None:
                clusterer.sweep(m.published)
                window = max(clusterer.unit_window, clusterer.window)
                assert all(e[-1][0] is None or e[-1][0] >= m.published - window for e in clusterer.blocks.values())
    assert clusterer.blocks_spilled > 1000
    clusterer.close()
