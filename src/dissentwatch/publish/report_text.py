"""Sentences every format of a report shares: the review activity and the methods box."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dissentwatch.publish.report import Report

_ACTIONS = {"confirm": "confirmed {}", "reject": "rejected {}", "merge": "merged {} into other events",
            "edit": "corrected fields of {}", "split": "split {} in two"}


def review_lines(report: Report) -> list[str]:
    """What analysts did during the period, from the audit log."""
    counts = [(a, report.review[a]) for a in _ACTIONS if report.review.get(a)]
    if not counts:
        return ["No analyst decision (confirm, reject, merge, edit, split) is dated in this period."]
    done = [_ACTIONS[a].format(f"{n} {'event' if n == 1 else 'events'}") for a, n in counts]
    lines = ["In this period analysts " + ", ".join(done[:-1]) + (" and " if len(done) > 1 else "") + done[-1]
             + " (from the audit log)."]
    if report.review_earlier:
        lines.append(f"{report.review_earlier} of these events are dated before the period: earlier reports' "
                     "figures have changed.")
    return lines


def methods_lines(report: Report) -> list[str]:
    """What is counted, with what, and what the figures cannot say."""
    extractors = ", ".join(f"{e['extractor']} ({e['events']} events)" for e in report.extractors) or "none"
    resolvers = ", ".join(report.resolvers) or "none recorded"
    return [
        "What is counted: events (one real-world occurrence each, however many posts and articles report it), "
        "never documents. An event is in the period when its own date is; an undated event goes by its "
        "first report's publication day, as in the counts and export commands.",
        f"Confirmed means an analyst confirmed or corrected the event; candidates were found by the pipeline "
        f"and no analyst has looked at them yet. Left out: {report.rejected} "
        f"{'event' if report.rejected == 1 else 'events'} of the period that analysts rejected; events merged into another are counted once, under the event they went into.",
        "Home regions are where the soldiers come from (ISO 3166-2 regions), not where the event happened; "
        "places are where it happened or was filmed, when a source says so.",
        "Previous report: the period of the same length just before this one "
        f"({report.period.previous().label}). Review activity: analysts' decisions from the audit log "
        "dated in this period, whatever the date of the event.",
        f"Extraction: {extractors}. Resolution: {resolvers}. dissentwatch {report.version}.",
        "Known limits: only the sources collected are seen, and most are in Russian or Ukrainian; a candidate "
        "may be wrong (a false report, a re-post of an old video, a count statement rather than an event); "
        "dates of videos are often only those of their first publication; a region or unit is given only "
        "where a source states it; counts rise as late reports and reviews arrive.",
    ]
