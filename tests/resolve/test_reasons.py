"""Why a mention is in its event, in words."""

from __future__ import annotations

import json

from dissentwatch.resolve.reasons import describe_reason


def test_a_founder_a_join_and_a_bridge_are_told_apart() -> None:
    assert describe_reason('{"founder": true, "stable_key": "files/a:refusal:0"}') == "founded the event"
    joined = {"score": 4.25, "signals": {"type": 0.5, "unit": 2.0, "date": 1.5, "embedding": 0.7, "cosine": 0.91,
                                        "citation": 1.75}, "bridged": ["ev-1", "ev-2"]}
    assert describe_reason(json.dumps(joined)) == (
        "joined, score 4.25: type +0.5, unit +2, date +1.5, similar wording +0.7, cites the outlet +1.75; "
        "bridged ev-1, ev-2")
    assert describe_reason({"score": 3, "signals": {"regions": -1.5, "location": 1.75}}) == (
        "joined, score 3: home regions -1.5, place +1.75")


def test_analysts_placements_and_broken_reasons_are_said_plainly() -> None:
    assert describe_reason('{"split_from": true}', pinned=True) == "split off by an analyst"
    assert describe_reason('{"founder": true, "merged_from": "ev-7"}', pinned=True) == (
        "merged in by an analyst from ev-7")
    assert describe_reason('{"score": 2.5, "signals": {}}', pinned=True) == "joined, score 2.5; pinned by an analyst"
    assert describe_reason("{}", pinned=True) == "placed by an analyst"
    assert describe_reason("not json") == "reason not recorded"
    assert describe_reason(None) == "reason not recorded"
    assert describe_reason('["a list"]') == "reason not recorded"
    assert describe_reason('{"founder": true, "absorbed_from": "ev-9"}') == "founded the event (came with ev-9)"


def test_a_malformed_reason_never_breaks_the_view() -> None:
    assert describe_reason('{"score": "high", "signals": [1, 2]}') == "reason not recorded"
    assert describe_reason('{"score": 3, "signals": "unit", "bridged": [1, null]}') == "joined, score 3; bridged 1, None"
