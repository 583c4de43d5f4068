"""The offline base map: country outlines of Russia, Ukraine and their neighbours, drawn as SVG.

The outlines live in ``static/map/countries.geojson`` (simplified from Natural Earth 1:50m via
the ``world-atlas`` npm package; see ``static/map/SOURCE.md``). They are projected once with an
Albers equal-area conic centred on European Russia; event places are projected the same way, so
the page needs no script and no tile server.

``python -m dissentwatch.web.basemap countries-50m.json OUT.geojson`` rebuilds the file from the
package's TopoJSON.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Iterable, Sequence
from functools import cache
from importlib import resources
from typing import Any

# ISO 3166-1 numeric codes of the countries drawn.
COUNTRIES = {
    "643": "Russia", "804": "Ukraine", "112": "Belarus", "398": "Kazakhstan", "498": "Moldova",
    "268": "Georgia", "051": "Armenia", "031": "Azerbaijan", "440": "Lithuania", "428": "Latvia",
    "233": "Estonia", "246": "Finland", "616": "Poland", "642": "Romania", "496": "Mongolia",
    "578": "Norway", "752": "Sweden", "792": "Turkey", "703": "Slovakia", "348": "Hungary",
    "100": "Bulgaria", "417": "Kyrgyzstan", "860": "Uzbekistan", "795": "Turkmenistan",
    "762": "Tajikistan", "156": "China", "364": "Iran", "276": "Germany", "203": "Czechia",
}
_LON0, _LAT0, _PAR1, _PAR2 = 60.0, 55.0, 47.0, 64.0
SCALE = 100.0  # projected units per radian; the SVG viewBox works in these units


@cache
def _albers() -> tuple[float, float, float, float]:
    p1, p2 = math.radians(_PAR1), math.radians(_PAR2)
    n = (math.sin(p1) + math.sin(p2)) / 2
    c = math.cos(p1) ** 2 + 2 * n * math.sin(p1)
    rho0 = math.sqrt(c - 2 * n * math.sin(math.radians(_LAT0))) / n
    return n, c, rho0, 0.0


def project(lon: float, lat: float) -> tuple[float, float]:
    """SVG coordinates (x right, y down) of a longitude/latitude."""
    n, c, rho0, _ = _albers()
    if lon < -30:
        lon += 360.0  # Chukotka lies across the antimeridian
    rho = math.sqrt(max(c - 2 * n * math.sin(math.radians(lat)), 0.0)) / n
    theta = n * math.radians(lon - _LON0)
    return SCALE * rho * math.sin(theta), -SCALE * (rho0 - rho * math.cos(theta))


def _ring_path(ring: Sequence[Sequence[float]]) -> str:
    points = [project(lon, lat) for lon, lat in ring]
    return "M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in points) + "Z"


@cache
def country_paths() -> tuple[tuple[str, str], ...]:
    """(country name, SVG path data) for every bundled outline."""
    text = resources.files("dissentwatch.web").joinpath("static/map/countries.geojson").read_text("utf-8")
    out = []
    for feature in json.loads(text)["features"]:
        geometry = feature["geometry"]
        polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
        path = "".join(_ring_path(ring) for polygon in polygons for ring in polygon)
        out.append((feature["properties"]["name"], path))
    return tuple(out)


DEFAULT_BOX = ((22.0, 44.0), (62.0, 68.0))  # Ukraine to the Urals


def view_box(points: Iterable[tuple[float, float]], pad: float = 6.0) -> str:
    """An SVG viewBox around the default box and every (lon, lat) point given."""
    corners = [project(lon, lat) for lon, lat in (DEFAULT_BOX[0], DEFAULT_BOX[1],
                                                 (DEFAULT_BOX[0][0], DEFAULT_BOX[1][1]),
                                                 (DEFAULT_BOX[1][0], DEFAULT_BOX[0][1]))]
    corners += [project(lon, lat) for lon, lat in points]
    xs, ys = [x for x, _ in corners], [y for _, y in corners]
    x0, y0 = min(xs) - pad, min(ys) - pad
    return f"{x0:.1f} {y0:.1f} {max(xs) + pad - x0:.1f} {max(ys) + pad - y0:.1f}"


# -- building the bundled file from world-atlas TopoJSON ---------------------------------


def _decode_arcs(topology: dict[str, Any]) -> list[list[tuple[float, float]]]:
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def _ring(arcs: list[list[tuple[float, float]]], indexes: Sequence[int]) -> list[tuple[float, float]]:
    ring: list[tuple[float, float]] = []
    for i in indexes:
        points = arcs[i] if i >= 0 else arcs[~i][::-1]
        ring.extend(points[1:] if ring else points)
    return ring


def simplify(points: list[tuple[float, float]], tolerance: float) -> list[tuple[float, float]]:
    """Douglas-Peucker, iterative."""
    if len(points) < 4:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        a, b = stack.pop()
        (x1, y1), (x2, y2) = points[a], points[b]
        length = math.hypot(x2 - x1, y2 - y1)
        best, index = 0.0, -1
        for i in range(a + 1, b):
            x0, y0 = points[i]
            if length < 1e-9:  # a closed ring: distance to its first point
                d = math.hypot(x0 - x1, y0 - y1)
            else:
                d = abs((x2 - x1) * (y1 - y0) - (x1 - x0) * (y2 - y1)) / length
            if d > best:
                best, index = d, i
        if best > tolerance and index > 0:
            keep[index] = True
            stack += [(a, index), (index, b)]
    return [p for p, k in zip(points, keep, strict=True) if k]


def build_geojson(topology: dict[str, Any], tolerance: float = 0.08) -> dict[str, Any]:
    """Simplified GeoJSON of the ``COUNTRIES`` from a world-atlas ``countries-*.json``."""
    arcs = _decode_arcs(topology)
    features = []
    for geometry in topology["objects"]["countries"]["geometries"]:
        if geometry.get("id") not in COUNTRIES:
            continue
        polygons = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
        out = []
        for polygon in polygons:
            simplified = [simplify(_ring(arcs, r), tolerance) for r in polygon]
            rings = [[[round(x, 2), round(y, 2)] for x, y in r] for r in simplified if len(r) >= 4]
            if rings:
                out.append(rings)
        features.append({"type": "Feature", "id": geometry["id"],
                         "properties": {"name": COUNTRIES[geometry["id"]]},
                         "geometry": {"type": "MultiPolygon", "coordinates": out}})
    return {"type": "FeatureCollection", "features": features}


if __name__ == "__main__":  # pragma: no cover - a maintenance tool
    with open(sys.argv[1], encoding="utf-8") as src:
        built = build_geojson(json.load(src))
    with open(sys.argv[2], "w", encoding="utf-8") as dst:
        json.dump(built, dst, separators=(",", ":"))
