"""What pages and the API compute from the store: filters, the timeline chart, map points,
highlighted evidence and flat rows for CSV. Pure functions over rows and dicts."""

from __future__ import annotations

import json
import re
import sqlite3
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import QueryParams
from starlette.exceptions import HTTPException

from dissentwatch.models import EVENT_TYPES, label
from dissentwatch.store import Store
from dissentwatch.store.documents import external_id_clause
from dissentwatch.store.events import DATE_USED, DATE_USED_FROM, SORTS
from dissentwatch.validation import InvalidValue, check_event_filters
from dissentwatch.web import basemap
from dissentwatch.web.public import live_condition

FILTER_KEYS = ("type", "since", "until", "region", "unit", "review_status", "language", "outlet", "q")
MAX_LIMIT = 500
TYPE_COLOURS = {
    "video_appeal": "#1f77b4", "written_appeal": "#17becf", "refusal": "#d62728", "mutiny": "#8c564b",
    "desertion": "#ff7f0e", "dismissal": "#9467bd", "prosecution": "#7f7f7f", "legal_challenge": "#2ca02c",
}


@dataclass
class Listing:
    """The filters, sort and page of an events view, as parsed from a query string."""

    filters: dict[str, Any]
    sort: str
    desc: bool
    limit: int
    offset: int

    def query_string(self, **changes: Any) -> str:
        """The query string of this view with some parameters changed (None drops one)."""
        params: list[tuple[str, str]] = []
        values = {**self.filters, "sort": self.sort, "desc": "1" if self.desc else "0",
                  "limit": str(self.limit), "offset": str(self.offset), **changes}
        for key, value in values.items():
            for item in value if isinstance(value, list) else [value]:
                if item not in (None, ""):
                    params.append((key, str(item)))
        from urllib.parse import urlencode

        return urlencode(params)


def _bad(message: str) -> HTTPException:
    return HTTPException(400, message)


def parse_listing(params: QueryParams, default_limit: int = 50) -> Listing:
    """Filters, sort and paging from a query string; bad values are a 400 naming the parameter."""
    filters: dict[str, Any] = {key: [v for v in params.getlist(key) if v] for key in ("type", "review_status")}
    for key in ("since", "until"):
        filters[key] = params.get(key) or None
    for key in ("region", "unit", "language", "outlet", "q"):
        value = (params.get(key) or "").strip()
        if len(value) > 200:
            raise _bad(f"{key} is too long (200 characters at most)")
        filters[key] = value or None
    try:
        check_event_filters(filters)
    except InvalidValue as exc:
        raise _bad(str(exc)) from None
    sort = params.get("sort") or "date"
    if sort not in SORTS:
        raise _bad(f"unknown sort {sort!r}: use one of {', '.join(SORTS)}")
    desc = (params.get("desc") or "1").lower() not in ("0", "false", "no")
    limit = int_param(params, "limit", default_limit, 1, MAX_LIMIT)
    offset = int_param(params, "offset", 0, 0, 10**9)
    return Listing(filters, sort, desc, limit, offset)


def int_param(params: QueryParams, key: str, default: int, low: int, high: int) -> int:
    """A whole-number parameter between ``low`` and ``high`` (a 400 naming it otherwise)."""
    raw = params.get(key)
    if raw in (None, ""):
        return default
    try:
        value = int(str(raw))
    except ValueError:
        raise _bad(f"{key} must be a whole number, not {raw!r}") from None
    if not low <= value <= high:
        raise _bad(f"{key} must be between {low} and {high}")
    return value


def safe_url(url: Any) -> str | None:
    """The URL when it is http(s), else None: a hostile ``javascript:`` link is never drawn."""
    text = str(url or "").strip()
    return text if text.lower().startswith(("http://", "https://")) else None


def show(value: Any, key: str = "", lang: str = "en") -> str:
    """A field value as short text for people (vocabulary keys get their labels in ``lang``)."""
    if value is None or value == [] or value == {}:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if key in ("grievances", "demands") and isinstance(value, list):
        return ", ".join(label(key, str(v), lang) for v in value)
    if key in ("type", "affiliation", "status", "addressee"):
        return label(key, str(value), lang)
    if key == "unit" and isinstance(value, dict):
        return str(value.get("name") or " ".join(str(value.get(k) or "") for k in ("number", "kind")).strip())
    if isinstance(value, dict):
        return str(value.get("name") or json.dumps(value, ensure_ascii=False))
    if isinstance(value, list):
        return ", ".join(show(v, lang=lang) for v in value)
    return str(value)


# -- the timeline chart ------------------------------------------------------------------


_PERIODS = {  # the date the filters and counts use (store.events.DATE_USED)
    "month": (f"substr({DATE_USED}, 1, 7)", re.compile(r"^[0-9]{4}-[0-9]{2}$")),
    "week": (f"strftime('%Y-W%W', {DATE_USED})", re.compile(r"^[0-9]{4}-W[0-9]{2}$")),
}


def timeline(store: Store, bars: int = 24, public: bool = False) -> dict[str, Any]:
    """Stacked bars of events by type per month (per week when the data spans under three
    months), laid out for an SVG of 760 x 220 units."""
    per_period = _per_period(store, "month", public)
    if len(per_period) < 3:
        per_period = _per_period(store, "week", public) or per_period
    labels = sorted(per_period)[-bars:]
    top = max((sum(per_period[m].values()) for m in labels), default=0)
    chart = _bars(labels, per_period, top)
    dated = {str(kind or "undated"): int(n) for kind, n in store.query(
        f"SELECT {DATE_USED_FROM}, COUNT(*) FROM events e WHERE e.merged_into IS NULL "
        "AND e.review_status != 'rejected' GROUP BY 1")}
    chart["dated"] = {k: dated.get(k, 0) for k in ("event_date", "first_report", "undated")}
    return chart


def _per_period(store: Store, period: str, public: bool = False) -> dict[str, Counter[str]]:
    expr, valid = _PERIODS[period]
    rows = store.query(
        f"SELECT {expr} AS period, e.type, COUNT(*) AS n FROM events e "
        f"WHERE {live_condition(public)} "
        f"AND {DATE_USED} IS NOT NULL GROUP BY period, e.type ORDER BY period"
    )
    out: dict[str, Counter[str]] = {}
    for r in rows:
        if r["period"] and valid.match(r["period"]):
            out.setdefault(r["period"], Counter())[r["type"]] += r["n"]
    return out


def _bars(labels: list[str], per_month: Mapping[str, Counter[str]], top: int) -> dict[str, Any]:
    width, height, left, bottom = 760.0, 220.0, 36.0, 24.0
    step = min((width - left) / max(len(labels), 1), 60.0)
    scale = (height - bottom - 10) / top if top else 0.0
    bars, ticks = [], []
    for i, month in enumerate(labels):
        y = height - bottom
        for event_type in EVENT_TYPES:
            n = per_month[month].get(event_type, 0)
            if n:
                h = n * scale
                y -= h
                bars.append({"x": round(left + i * step + 2, 1), "y": round(y, 1), "w": round(max(step - 4, 1), 1),
                             "h": round(h, 1), "colour": TYPE_COLOURS[event_type], "type": event_type,
                             "month": month, "n": n})
        if len(labels) <= 12 or i % max(len(labels) // 12, 1) == 0:
            ticks.append({"x": round(left + i * step + step / 2, 1), "label": month})
    grid = [{"y": round(height - bottom - v * scale, 1), "value": v} for v in _nice_steps(top)]
    return {"bars": bars, "ticks": ticks, "grid": grid, "months": len(labels), "height": height,
            "width": width, "base": height - bottom, "left": left}


def _nice_steps(top: int) -> list[int]:
    if top <= 0:
        return []
    step = max(1, round(top / 4))
    return list(range(0, top + 1, step))


# -- the map -----------------------------------------------------------------------------


_HOME_PLACES = (  # events_regions holds each event's home regions with their coordinates (migration 0043)
    "SELECT r.name AS name, MIN(r.lat) AS lat, MIN(r.lon) AS lon, COUNT(*) AS n FROM events_regions r "
    "JOIN events e ON e.id = r.event_id WHERE r.role = 'home' AND {live} GROUP BY r.name"
)
_LOCATIONS = (
    "SELECT json_extract(e.location, '$.name') AS name, MIN(json_extract(e.location, '$.lat')) AS lat, "
    "MIN(json_extract(e.location, '$.lon')) AS lon, COUNT(*) AS n FROM events e "
    "WHERE {live} AND e.location IS NOT NULL AND json_valid(e.location) "
    "AND json_type(e.location) = 'object' GROUP BY 1"
)


def map_points(store: Store, public: bool = False) -> dict[str, Any]:
    """Home regions and locations of events, counted per place (in SQL) and projected for the map."""
    points: list[dict[str, Any]] = []
    for role, sql in (("home", _HOME_PLACES), ("location", _LOCATIONS)):
        for r in store.query(sql.format(live=live_condition(public))):
            lat, lon = r["lat"], r["lon"]
            if isinstance(lat, int | float) and isinstance(lon, int | float) and -90 <= lat <= 90:
                points.append({"role": role, "name": str(r["name"] or f"{lat},{lon}"), "lat": float(lat),
                               "lon": float(lon), "n": int(r["n"])})
    points.sort(key=lambda p: -p["n"])
    top = max((p["n"] for p in points), default=1)
    box = basemap.view_box((p["lon"], p["lat"]) for p in points)
    width = float(box.split()[2])
    for p in points:
        p["x"], p["y"] = basemap.project(p["lon"], p["lat"])
        p["r"] = round(width * (0.007 + 0.013 * (p["n"] / top) ** 0.5), 2)
    return {"points": points, "countries": basemap.country_paths(), "view_box": box}


# -- evidence highlighted in the source text ---------------------------------------------


def highlight(text: str, spans: Iterable[tuple[int, int, str]]) -> list[dict[str, Any]]:
    """The text cut into segments; each carries the fields whose evidence covers it.

    Overlapping spans are handled by cutting at every boundary. Templates escape each segment.
    """
    clamped = [(max(0, s), min(len(text), e), f) for s, e, f in spans]
    spans = [(s, e, f) for s, e, f in clamped if s < e]  # spans outside an edited text are dropped
    cuts = sorted({0, len(text), *(s for s, _, _ in spans), *(e for _, e, _ in spans)})
    segments = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        fields = sorted({f for s, e, f in spans if s <= a and b <= e})
        segments.append({"text": text[a:b], "fields": fields, "start": a})
    return segments


def document_by_external_id(store: Store, external_id: str) -> sqlite3.Row | None:
    rows = store.query(f"SELECT * FROM documents WHERE {external_id_clause()} ORDER BY id LIMIT 1", (external_id,))
    return rows[0] if rows else None


# -- CSV cells ---------------------------------------------------------------------------


def csv_safe(row: Mapping[str, Any]) -> dict[str, str]:
    """A flat row whose cells a spreadsheet will not run as formulas."""
    return {k: _csv_cell(v) for k, v in row.items()}


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    text = str(value).lower() if isinstance(value, bool) else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _is_number(text) else text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
