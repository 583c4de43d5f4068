"""The figures of a report, drawn with matplotlib (Agg, no pyplot state) as PNG bytes.

- :func:`weekly_chart`: events per ISO week, stacked by type.
- :func:`region_map`: the admin-1 regions of Russia, Ukraine and Belarus (``data/admin1.geojson``,
  Natural Earth, public domain; ``scripts/build_admin1.py`` rebuilds it) shaded by how many events
  involve soldiers from each (matched on ISO 3166-2 codes), neighbouring countries in grey, and
  the places events happened as dots sized by their number. Projected with the Albers conic of
  the web app's map (:func:`dissentwatch.web.basemap.project`).
"""

from __future__ import annotations

import io
import json
import logging
import math
from collections.abc import Iterable, Sequence
from functools import cache
from importlib import resources
from typing import Any

from dissentwatch.models import EVENT_TYPES, label
from dissentwatch.publish.report_period import Period
from dissentwatch.web.basemap import project

log = logging.getLogger(__name__)

TYPE_COLOURS = {
    "video_appeal": "#1f77b4", "written_appeal": "#9ecae1", "refusal": "#d62728", "mutiny": "#8c2d04",
    "desertion": "#ff7f0e", "dismissal": "#7f7f7f", "prosecution": "#6a3d9a", "legal_challenge": "#2ca02c",
}
DPI = 150
MAP_BOX = ((24.0, 44.0), (60.0, 64.0))  # the least the map shows: Ukraine and Belarus to the Urals
FONT = ["DejaVu Sans", "sans-serif"]


def _figure(width: float, height: float) -> Any:
    try:
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise RuntimeError("reports need matplotlib: pip install 'dissentwatch[report]'") from exc
    fig = Figure(figsize=(width, height), dpi=DPI)
    fig.set_layout_engine("constrained")
    return fig


def _png(fig: Any) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def weekly_chart(weeks: Sequence[dict[str, Any]], period: Period) -> bytes:
    """Stacked bars: events per week (Monday first) by type; an empty period says so."""
    from matplotlib import rcParams

    rcParams["font.family"] = FONT
    fig = _figure(7.2, 2.9)
    ax = fig.add_subplot()
    x = list(range(len(weeks)))
    bottoms = [0] * len(weeks)
    for kind in EVENT_TYPES:
        heights = [int(w["types"].get(kind, 0)) for w in weeks]
        if any(heights):
            ax.bar(x, heights, bottom=bottoms, color=TYPE_COLOURS.get(kind), label=label("type", kind),
                   width=0.8, edgecolor="white", linewidth=0.4)
            bottoms = [b + h for b, h in zip(bottoms, heights, strict=True)]
    _week_axis(ax, weeks, period)
    if not any(bottoms):
        ax.text(0.5, 0.5, "no events in this period", transform=ax.transAxes, ha="center", va="center",
                color="#666666", fontsize=10)
        ax.set_ylim(0, 1)
    else:
        ax.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.set_ylabel("events", fontsize=8)
    return _png(fig)


def _week_axis(ax: Any, weeks: Sequence[dict[str, Any]], period: Period) -> None:
    from matplotlib.ticker import MaxNLocator

    step = max(1, math.ceil(len(weeks) / 14))
    ticks = list(range(0, len(weeks), step))
    ax.set_xticks(ticks)
    ax.set_xticklabels([_week_label(weeks[i]["week"]) for i in ticks], fontsize=7,
                       rotation=0 if len(ticks) <= 8 else 45, ha="center" if len(ticks) <= 8 else "right")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.tick_params(axis="y", labelsize=7)
    ax.set_xlim(-0.6, len(weeks) - 0.4)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_xlabel(f"week starting (Monday); period {period.label}", fontsize=7)


def _week_label(monday: Any) -> str:
    return f"{monday.day} {monday:%b}" + (f" {monday:%Y}" if monday.month == 1 and monday.day <= 7 else "")


@cache
def base_map() -> tuple[dict[str, Any], ...]:
    """The features of ``data/admin1.geojson``, parsed once."""
    text = resources.files("dissentwatch").joinpath("data/admin1.geojson").read_text("utf-8")
    return tuple(json.loads(text)["features"])


def map_attribution() -> str:
    text = resources.files("dissentwatch").joinpath("data/admin1.geojson").read_text("utf-8")
    return str(json.loads(text).get("attribution") or "Natural Earth")


def _rings(feature: dict[str, Any]) -> Iterable[list[tuple[float, float]]]:
    geometry = feature["geometry"]
    polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    for polygon in polygons:
        for ring in polygon:
            yield [project(lon, lat) for lon, lat in ring]


def region_map(home_regions: Sequence[dict[str, Any]], locations: Sequence[dict[str, Any]]) -> bytes:
    """Home regions shaded by their number of events, places as dots; PNG bytes."""
    from matplotlib import colormaps, rcParams
    from matplotlib.collections import PolyCollection
    from matplotlib.colors import Normalize

    rcParams["font.family"] = FONT
    counts = {r["iso"]: int(r["events"]) for r in home_regions if r.get("iso")}
    fig = _figure(7.2, 4.6)
    ax = fig.add_subplot()
    ax.set_facecolor("#eef3f7")
    cmap = colormaps["OrRd"]
    norm = Normalize(vmin=0, vmax=max([1, *counts.values()]))
    shaded: set[str] = set()
    for kind, edge, width in (("country", "#b0b0b0", 0.4), ("admin1", "#8a8a8a", 0.3)):
        polygons, colours = [], []
        for feature in base_map():
            props = feature["properties"]
            if props["kind"] != kind:
                continue
            count = counts.get(props.get("iso_3166_2", ""), 0)
            shaded.update([props["iso_3166_2"]] if count else [])
            colour = cmap(0.15 + 0.85 * norm(count)) if count else ("#f4f4f2" if kind == "admin1" else "#e2e2e0")
            for ring in _rings(feature):
                polygons.append(ring)
                colours.append(colour)
        ax.add_collection(PolyCollection(polygons, facecolors=colours, edgecolors=edge, linewidths=width))
    _place_dots(ax, locations)
    ratio = _frame(ax, locations, shaded)
    fig.set_size_inches(7.2, min(max(7.2 * 0.86 * ratio + 0.3, 2.8), 7.5))
    if counts:
        from matplotlib.cm import ScalarMappable

        bar = fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=ax, shrink=0.6, pad=0.01)
        bar.set_label("events by soldiers' home region", fontsize=7)
        bar.ax.tick_params(labelsize=6)
        from matplotlib.ticker import MaxNLocator

        bar.locator = MaxNLocator(integer=True)
        bar.update_ticks()
    missing = sorted(set(counts) - shaded)
    note = f"; not on the map: {', '.join(missing[:6])}" if missing else ""
    ax.text(0.0, -0.02, f"{map_attribution()}{note}", transform=ax.transAxes, fontsize=5.5, color="#555555",
            va="top")
    return _png(fig)


def _place_dots(ax: Any, locations: Sequence[dict[str, Any]]) -> None:
    if not locations:
        return
    points = [project(float(p["lon"]), float(p["lat"])) for p in locations]
    sizes = [12 + 18 * math.sqrt(int(p["events"])) for p in locations]
    ax.scatter([x for x, _ in points], [y for _, y in points], s=sizes, color="#1f3b73", alpha=0.75,
               edgecolors="white", linewidths=0.5, zorder=3, label="place of an event")
    for p, (x, y) in list(zip(locations, points, strict=True))[:8]:
        if p.get("name"):
            ax.annotate(plain(str(p["name"])[:30]), (x, y), xytext=(4, 3), textcoords="offset points", fontsize=6,
                        color="#1f3b73", zorder=4)
    ax.legend(fontsize=6, loc="lower left", frameon=True, framealpha=0.8)


def plain(text: str) -> str:
    """Text matplotlib shows as it is: a ``$`` would start mathtext (and a malformed formula from a
    post would stop the report)."""
    return text.replace("$", r"\$")


def _frame(ax: Any, locations: Sequence[dict[str, Any]], shaded: set[str]) -> float:
    """Limits around the default box, the shaded regions' centres and the places; returns the
    map's height over its width."""
    points = [MAP_BOX[0], MAP_BOX[1], (MAP_BOX[0][0], MAP_BOX[1][1]), (MAP_BOX[1][0], MAP_BOX[0][1])]
    points += [(float(p["lon"]), float(p["lat"])) for p in locations]
    points += [corner for f in base_map() if f["properties"].get("iso_3166_2") in shaded for corner in _corners(f)]
    xy = [project(lon, lat) for lon, lat in points]
    xs, ys = [x for x, _ in xy], [y for _, y in xy]
    pad = 0.06 * max(max(xs) - min(xs), max(ys) - min(ys))
    ax.set_xlim(min(xs) - pad, max(xs) + pad)
    ax.set_ylim(max(ys) + pad, min(ys) - pad)  # SVG coordinates: y grows downwards
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    return float((max(ys) - min(ys) + 2 * pad) / (max(xs) - min(xs) + 2 * pad))


def _corners(feature: dict[str, Any]) -> list[tuple[float, float]]:
    """The corners of a feature's bounding box (lon, lat)."""
    coords = [pt for polygon in feature["geometry"]["coordinates"] for ring in polygon for pt in ring]
    lons, lats = [c[0] for c in coords], [c[1] for c in coords]
    return [(min(lons), min(lats)), (min(lons), max(lats)), (max(lons), min(lats)), (max(lons), max(lats))]
