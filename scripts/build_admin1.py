"""Regenerate ``src/dissentwatch/data/admin1.geojson``: the base map of ``dissentwatch report``.

    apt-get download qgis-common        # Debian's QGIS resources (no install needed)
    python scripts/build_admin1.py qgis-common_*.deb   # or the path of world_map.gpkg itself

Source: ``/usr/share/qgis/resources/data/world_map.gpkg`` of Debian's ``qgis-common``, which
QGIS builds from Natural Earth 1:10m "Admin 1 - States, Provinces" and "Admin 0 - Countries"
v4.1.0 (public domain), generalised and cut at the antimeridian (its README_world_map.md).
That copy dropped Natural Earth's ``iso_3166_2`` column, so the codes are put back here: a
region of the project's gazetteer (``data/places.json``) gets the polygon its administrative
centre lies in, the others come from the table ``EXTRA_ISO`` below (checked by hand against
ISO 3166-2:UA and ISO 3166-2:BY). Crimea and Sevastopol carry their ISO codes UA-43 and UA-40,
as the gazetteer and the events do.

Written: the admin-1 polygons of Russia, Ukraine and Belarus (``kind: admin1``, with
``iso_3166_2``, ``name``, ``country``) and the neighbouring countries' outlines
(``kind: country``), simplified again (Douglas-Peucker) and rounded to 0.01 degree so that the
file stays a few hundred KB. Needs the package installed (its Douglas-Peucker) and ``dpkg-deb``
for a .deb.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import struct
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from dissentwatch.web.basemap import simplify  # the Douglas-Peucker of the web map's countries

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "dissentwatch" / "data" / "admin1.geojson"
GPKG_IN_DEB = "./usr/share/qgis/resources/data/world_map.gpkg"
ADMIN1_COUNTRIES = ("RU", "UA", "BY")
NEIGHBOURS = ("FI", "NO", "SE", "EE", "LV", "LT", "PL", "SK", "HU", "RO", "MD", "GE", "AM", "AZ", "TR",
              "KZ", "UZ", "TM", "KG", "TJ", "MN", "CN", "KP", "JP", "IR", "BG")
# Natural Earth names of regions the gazetteer does not hold -> ISO 3166-2
EXTRA_ISO = {
    ("UA", "Cherkasy"): "UA-71", ("UA", "Chernihiv"): "UA-74", ("UA", "Chernivtsi"): "UA-77",
    ("UA", "Dnipropetrovs'k"): "UA-12", ("UA", "Ivano-Frankivs'k"): "UA-26", ("UA", "Khmel'nyts'kyy"): "UA-68",
    ("UA", "Kiev"): "UA-32", ("UA", "Kiev City"): "UA-30", ("UA", "Kirovohrad"): "UA-35", ("UA", "L'viv"): "UA-46",
    ("UA", "Mykolayiv"): "UA-48", ("UA", "Odessa"): "UA-51", ("UA", "Poltava"): "UA-53", ("UA", "Rivne"): "UA-56",
    ("UA", "Sumy"): "UA-59", ("UA", "Ternopil'"): "UA-61", ("UA", "Transcarpathia"): "UA-21",
    ("UA", "Vinnytsya"): "UA-05", ("UA", "Volyn"): "UA-07", ("UA", "Zhytomyr"): "UA-18",
    ("BY", "Brest"): "BY-BR", ("BY", "City of Minsk"): "BY-HM", ("BY", "Gomel"): "BY-HO",
    ("BY", "Grodno"): "BY-HR", ("BY", "Minsk"): "BY-MI", ("BY", "Mogilev"): "BY-MA", ("BY", "Vitebsk"): "BY-VI",
}
# regions whose centre (two decimals) is on a coast, or in a neighbour's polygon at this generalisation
BY_NAME = {("RU", "Chukchi Autonomous Okrug"): "RU-CHU", ("UA", "Kherson"): "UA-65", ("RU", "Sevastopol"): "UA-40",
           ("RU", "Ingush"): "RU-IN", ("RU", "Khakass"): "RU-KK", ("RU", "Chechnya"): "RU-CE",
           ("RU", "Krasnoyarsk"): "RU-KYA", ("RU", "North Ossetia"): "RU-SE"}
ENGLISH = {"BY-BR": "Brest Oblast", "BY-HM": "Minsk", "BY-HO": "Gomel Oblast", "BY-HR": "Grodno Oblast",
           "BY-MI": "Minsk Oblast", "BY-MA": "Mogilev Oblast", "BY-VI": "Vitebsk Oblast"}


def gpkg_path(source: Path, workdir: Path) -> Path:
    """The GeoPackage: ``source`` itself, or extracted from the qgis-common .deb."""
    if source.suffix != ".deb":
        return source
    subprocess.run(f"dpkg-deb --fsys-tarfile '{source}' | tar -x -C '{workdir}' '{GPKG_IN_DEB}'",
                   shell=True, check=True)
    return workdir / GPKG_IN_DEB


def wkb_polygons(blob: bytes) -> list[list[list[tuple[float, float]]]]:
    """A GeoPackage geometry (Polygon or MultiPolygon) as polygons of rings of (lon, lat)."""
    flags = blob[3]
    envelope = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}[(flags >> 1) & 7]
    data, pos = blob[8 + envelope:], 0

    def read(fmt: str, order: str) -> tuple[Any, ...]:
        nonlocal pos
        values = struct.unpack_from(order + fmt, data, pos)
        pos += struct.calcsize(fmt)
        return values

    def geometry() -> list[list[list[tuple[float, float]]]]:
        order = "<" if read("B", "<")[0] == 1 else ">"
        kind = read("I", order)[0] % 1000
        if kind == 6:
            return [p for _ in range(read("I", order)[0]) for p in geometry()]
        if kind != 3:
            raise ValueError(f"unexpected geometry type {kind}")
        rings = []
        for _ in range(read("I", order)[0]):
            n = read("I", order)[0]
            flat = read(f"{2 * n}d", order)
            rings.append(list(zip(flat[0::2], flat[1::2], strict=True)))
        return [rings]

    return geometry()


def contains(polygons: list[list[list[tuple[float, float]]]], lon: float, lat: float) -> bool:
    """Even-odd rule over every ring (holes included)."""
    inside = False
    for rings in polygons:
        for ring in rings:
            for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True):
                if (y1 > lat) != (y2 > lat) and lon < x1 + (lat - y1) * (x2 - x1) / (y2 - y1):
                    inside = not inside
    return inside


def area(ring: list[tuple[float, float]]) -> float:
    return abs(sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True))) / 2


def geometry_json(polygons: list[list[list[tuple[float, float]]]], tolerance: float,
                  min_area: float) -> dict[str, Any] | None:
    """A MultiPolygon of the simplified polygons; islands smaller than ``min_area`` dropped."""
    out = []
    for rings in polygons:
        if area(rings[0]) < min_area:
            continue
        kept = []
        for ring in rings:
            small = [(round(x, 2), round(y, 2)) for x, y in simplify(ring, tolerance)]
            small = [p for i, p in enumerate(small) if i == 0 or p != small[i - 1]]
            if len(small) >= 4 and area(small) >= min_area / 4:
                kept.append([list(p) for p in small])
        if kept:
            out.append(kept)
    return {"type": "MultiPolygon", "coordinates": out} if out else None


def gazetteer() -> list[dict[str, Any]]:
    places = json.loads((ROOT / "src" / "dissentwatch" / "data" / "places.json").read_text("utf-8"))
    return [r for r in places["regions"] if r.get("lat") is not None and r["iso"][:2] in ADMIN1_COUNTRIES]


def admin1_features(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    rows = [(r[0], r[1], wkb_polygons(r[2])) for r in conn.execute(
        "SELECT iso_a2, name, geom FROM states_provinces WHERE iso_a2 IN (?, ?, ?) AND name IS NOT NULL",
        ADMIN1_COUNTRIES)]
    codes: dict[int, tuple[str, str]] = {}
    regions = {r["iso"]: r for r in gazetteer()}
    for region in regions.values():
        hits = [i for i, (_, _, polys) in enumerate(rows) if contains(polys, region["lon"], region["lat"])]
        if len(hits) == 1 and hits[0] not in codes:
            codes[hits[0]] = (region["iso"], region["name"])
        elif len(hits) == 1:
            print(f"note: {region['iso']} and {codes[hits[0]][0]} both have their centre in "
                  f"{rows[hits[0]][1]}: by name", file=sys.stderr)
            del codes[hits[0]]
    for i, (country, name, _) in enumerate(rows):
        iso = BY_NAME.get((country, name))
        if iso and iso in regions:
            codes[i] = (iso, regions[iso]["name"])
    features = []
    for i, (country, name, polys) in enumerate(rows):
        iso, english = codes.get(i) or (EXTRA_ISO.get((country, name)), None)
        if iso is None:
            print(f"warning: no ISO code for {country} {name}; left out", file=sys.stderr)
            continue
        geometry = geometry_json(polys, 0.03, 0.01)
        if geometry:
            props = {"kind": "admin1", "iso_3166_2": iso, "name": english or ENGLISH.get(iso, name),
                     "name_ne": name, "country": "UA" if iso[:2] == "UA" else country}
            features.append({"type": "Feature", "properties": props, "geometry": geometry})
    return sorted(features, key=lambda f: f["properties"]["iso_3166_2"])


def country_features(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    marks = ",".join("?" * len(NEIGHBOURS))
    features = []
    for iso, name, blob in conn.execute(f"SELECT iso_a2, NAME, geom FROM countries WHERE iso_a2 IN ({marks})",
                                        NEIGHBOURS):
        geometry = geometry_json(wkb_polygons(blob), 0.08, 0.05)
        if geometry:
            features.append({"type": "Feature", "properties": {"kind": "country", "iso_a2": iso, "name": name},
                             "geometry": geometry})
    return sorted(features, key=lambda f: f["properties"]["iso_a2"])


def build(gpkg: Path) -> dict[str, Any]:
    conn = sqlite3.connect(f"file:{gpkg}?mode=ro", uri=True)
    return {
        "type": "FeatureCollection",
        "about": ("Admin-1 regions of Russia, Ukraine and Belarus and the outlines of neighbouring countries, "
                  "for the maps of dissentwatch reports. Coordinates WGS 84, rounded to 0.01 degree, simplified."),
        "source": ("Natural Earth 1:10m Admin 1 - States, Provinces and Admin 0 - Countries v4.1.0, as generalised "
                   "in QGIS's world_map.gpkg (Debian package qgis-common); ISO 3166-2 codes added by "
                   "scripts/build_admin1.py."),
        "license": "Public domain (Natural Earth, https://www.naturalearthdata.com/about/terms-of-use/).",
        "attribution": "Made with Natural Earth. Free vector and raster map data @ naturalearthdata.com.",
        "features": admin1_features(conn) + country_features(conn),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", type=Path, help="qgis-common_*.deb or world_map.gpkg")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        collection = build(gpkg_path(args.source, Path(tmp)))
    text = json.dumps(collection, ensure_ascii=False, separators=(",", ":"))
    args.out.write_text(text + "\n", encoding="utf-8")
    kinds = [f["properties"]["kind"] for f in collection["features"]]
    print(f"{args.out}: {kinds.count('admin1')} regions, {kinds.count('country')} countries, "
          f"{len(text) // 1024} KB", file=sys.stderr)


if __name__ == "__main__":
    main()
