"""Counting events (never documents) by type, month, region, unit ...

``count_events(store, by=["type", "month"], since="2023-02-01", until="2023-03-31",
type="video_appeal")`` answers "how many video appeals in February–March 2023, from how many
regions" with one call: the groups, and totals of events, distinct regions and distinct units.
Rejected events are not counted unless asked for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dissentwatch.store import Store
from dissentwatch.store.events import DATE_USED, DATE_USED_FROM, event_filters

_DATE = DATE_USED
_PUBLISHED = "substr(e.first_published, 1, 10)"
DIMENSIONS: dict[str, str] = {
    "type": "e.type",
    "year": f"substr({_DATE}, 1, 4)",
    "month": f"substr({_DATE}, 1, 7)",
    "week": f"strftime('%Y-W%W', {_DATE})",
    "date_used_from": DATE_USED_FROM,
    "region": "COALESCE(NULLIF(r.iso, ''), r.name)",
    "region_name": "r.name",
    "unit": "COALESCE(e.unit_canonical_id, e.unit_number || ' ' || COALESCE(e.unit_kind, ''))",
    "affiliation": "e.affiliation",
    "status": "e.status",
    "review_status": "e.review_status",
    "by_relatives": "e.by_relatives",
}
_REGIONS = "LEFT JOIN events_regions r ON r.event_id = e.id AND r.role = 'home'"


@dataclass
class Counts:
    """Groups with their event counts, and the totals over everything that matched."""

    by: list[str]
    groups: list[dict[str, Any]] = field(default_factory=list)
    events: int = 0
    regions: int = 0
    units: int = 0
    date_field: str = "event"
    dates: dict[str, int] = field(default_factory=dict)  # matched events by where their date comes from

    @property
    def date_basis(self) -> str:
        """Which date the filters and the year/month/week groups went by."""
        if self.date_field == "published":
            return "the first report's publication date"
        return "the event date, or the first report's publication date for undated events (first_report)"

    def as_dict(self) -> dict[str, Any]:
        return {"by": self.by, "total": {"events": self.events, "regions": self.regions, "units": self.units},
                "dates": {"basis": self.date_basis, **self.dates}, "groups": self.groups}

    def date_note(self) -> str:
        """One line for people: which date was used, and how many events it was not their own."""
        if self.date_field == "published":
            note = f"dates: {self.date_basis}"
        else:
            note = (f"dates: {self.dates.get('event_date', 0)} events by their own date, "
                    f"{self.dates.get('first_report', 0)} undated ones by their first report's publication")
        undated = self.dates.get("undated", 0)
        return note + (f"; {undated} with no date at all (in no year, month or week)" if undated else "")


def count_events(store: Store, by: list[str] | None = None, totals: bool = True, **filters: Any) -> Counts:
    """Events per group of the dimensions in ``by`` (see ``DIMENSIONS``) under the filters of
    ``store.events.query_events`` (rejected events left out unless ``include_rejected=True``);
    with ``totals``, also the distinct events, regions and units over everything matched."""
    by = list(by or ["type"])
    unknown = [d for d in by if d not in DIMENSIONS]
    if unknown:
        raise ValueError(f"cannot count by {', '.join(unknown)}: use {', '.join(DIMENSIONS)}")
    filters.setdefault("include_rejected", False)
    where, params = event_filters(**filters)
    sql_where = " AND ".join(where)
    counts = Counts(by, date_field=str(filters.get("date_field") or "event"))
    dims = dict(DIMENSIONS)
    if counts.date_field == "published":  # the groups go by the date the filters use
        dims.update(year=f"substr({_PUBLISHED}, 1, 4)", month=f"substr({_PUBLISHED}, 1, 7)",
                    week=f"strftime('%Y-W%W', {_PUBLISHED})")
    counts.groups = _groups(store, by, sql_where, params, dims)
    basis = f"CASE WHEN {_PUBLISHED} IS NULL THEN NULL ELSE 'first_report' END" \
        if counts.date_field == "published" else DATE_USED_FROM
    for kind, number in store.query(f"SELECT {basis}, COUNT(*) FROM events e WHERE {sql_where} GROUP BY 1", params):
        counts.dates[kind or "undated"] = int(number)
    if not totals:
        counts.events = sum(int(g["events"]) for g in counts.groups) if not _joins_regions(by) else 0
        return counts
    row = store.query(
        f"SELECT COUNT(DISTINCT e.id), COUNT(DISTINCT COALESCE(NULLIF(r.iso, ''), r.name)), "
        f"COUNT(DISTINCT {DIMENSIONS['unit']}) FROM events e {_REGIONS} WHERE {sql_where}",
        params,
    )[0]
    counts.events, counts.regions, counts.units = int(row[0]), int(row[1]), int(row[2])
    return counts


def _joins_regions(by: list[str]) -> bool:
    return any(d.startswith("region") for d in by)


def _groups(store: Store, by: list[str], sql_where: str, params: list[Any],
            dims: dict[str, str] | None = None) -> list[dict[str, Any]]:
    dims = dims or DIMENSIONS
    join = _REGIONS if _joins_regions(by) else ""
    columns = ", ".join(f"{dims[d]} AS {d}" for d in by)
    order = ", ".join(f"{d} IS NULL, {d}" for d in by)
    # one row per event unless regions are joined in: COUNT(*) then, several times cheaper
    counted = "COUNT(DISTINCT e.id)" if join else "COUNT(*)"
    rows = store.query(
        f"SELECT {columns}, {counted} AS events FROM events e {join} "
        f"WHERE {sql_where} GROUP BY {', '.join(by)} ORDER BY {order}",
        params,
    )
    return [dict(r) for r in rows]
