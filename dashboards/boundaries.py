"""Simplified boundaries of the 212 authorities for maps (``dashboards/boundaries.geojson``).

The shipped file is derived from the ONS "Counties and Unitary Authorities (May 2023) UK BUC"
boundaries (ultra-generalised, clipped to the coastline): one feature per agent, keyed by the
model's ``agent_id``. Barnsley and Sheffield carry their 2024 codes, and Northern Ireland's five
health and social care trusts are built by dissolving its eleven council areas (a majority
assignment, approximate: trust areas follow the pre-2015 districts). City of London and Hackney,
and Cornwall and the Isles of Scilly, are separate agents and separate features.

Reading the file needs only the standard library and numpy. Deriving it again from the ONS
shapefile shipped in ``dashboards/map_source/`` (OGL v3) needs pyshp, shapely and pyproj (the
``test`` and ``dev`` extras), and gives the same bytes::

    python -m dashboards.boundaries
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np

from sim.cache import ProcessCache
from sim.errors import InputError
from sim.io import write_text

BOUNDARY_FILE = Path(__file__).resolve().parent / "boundaries.geojson"
ATTRIBUTION = ("Boundaries: Source: Office for National Statistics licensed under the Open "
               "Government Licence v.3.0. Contains OS data © Crown copyright and database right "
               "2023.")
SOURCE_NAME = "CTYUA_MAY_2023_UK_BUC"
# ONS re-coded Barnsley and Sheffield after a 2024 boundary change; the model uses the new codes.
RECODE_2024 = {"E08000016": "E08000038", "E08000019": "E08000039"}
# Northern Ireland council (N09) -> health and social care trust, the majority assignment of
# humaniverse/geographr lookup_lgd21_hsct18 (NISRA Registrar General Annual Report 2015,
# appendix 7).
NI_COUNCIL_TO_TRUST = {
    "N09000001": "NHSCT", "N09000002": "SHSCT", "N09000003": "BHSCT", "N09000004": "NHSCT",
    "N09000005": "WHSCT", "N09000006": "WHSCT", "N09000007": "SEHSCT", "N09000008": "NHSCT",
    "N09000009": "NHSCT", "N09000010": "SHSCT", "N09000011": "SEHSCT",
}
TRUST_NAMES = {
    "BHSCT": "Belfast Health and Social Care Trust",
    "NHSCT": "Northern Health and Social Care Trust",
    "SEHSCT": "South Eastern Health and Social Care Trust",
    "SHSCT": "Southern Health and Social Care Trust",
    "WHSCT": "Western Health and Social Care Trust",
}
TOLERANCE_M = 300.0         # coverage simplification tolerance, metres (British National Grid)
MIN_PART_KM2 = 4.0          # drop islands smaller than this, except an authority's largest part
DECIMALS = 4                # about 10 m in latitude
CENTRAL_LONGITUDE = -2.0    # of the drawing projection (British National Grid's meridian)
_READ = ProcessCache(8)     # the boundary file and its outlines, read once per process


def load_geojson(path: str | Path = BOUNDARY_FILE) -> dict:
    """The boundary file as a GeoJSON FeatureCollection (read once per process)."""
    def read() -> dict:
        try:
            return json.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InputError(f"{path}: boundary file not found") from None
        except (OSError, ValueError) as exc:
            raise InputError(f"{path}: cannot read boundary file ({exc})") from None

    return _READ.get(("geojson", Path(path)), read)


def outlines(path: str | Path = BOUNDARY_FILE) -> dict[str, list[np.ndarray]]:
    """``agent_id -> rings``: every polygon ring (outer and holes) as an (n, 2) lon/lat array."""
    def build() -> dict[str, list[np.ndarray]]:
        out: dict[str, list[np.ndarray]] = {}
        for feature in load_geojson(path)["features"]:
            geometry = feature["geometry"]
            polygons = geometry["coordinates"]
            if geometry["type"] == "Polygon":
                polygons = [polygons]
            rings = [np.asarray(ring, float) for polygon in polygons for ring in polygon]
            out[feature["properties"]["agent_id"]] = rings
        return out

    return _READ.get(("outlines", Path(path)), build)


def project(lonlat: np.ndarray) -> np.ndarray:
    """Sinusoidal projection about 2 degrees W, in km: x east, y north (equal-area, fine for UK)."""
    lon, lat = np.radians(lonlat[..., 0]), np.radians(lonlat[..., 1])
    radius = 6371.0
    x = radius * (lon - math.radians(CENTRAL_LONGITUDE)) * np.cos(lat)
    return np.stack([x, radius * lat], axis=-1)


# ---------------------------------------------------------------------------------------------
# Derivation (needs the dev extra: pyshp, shapely, pyproj)
# ---------------------------------------------------------------------------------------------


def default_source() -> Path:
    """The ONS shapefile shipped beside this module (``dashboards/map_source/``)."""
    return Path(__file__).resolve().parent / "map_source"


def derive(source: str | Path | None = None, out: str | Path = BOUNDARY_FILE, *,
           tolerance_m: float = TOLERANCE_M, min_part_km2: float = MIN_PART_KM2) -> dict:
    """Derive the shipped boundary file from the ONS shapefile; returns the written GeoJSON.

    Steps: read the 218 ONS features (British National Grid); re-code Barnsley and Sheffield;
    dissolve Northern Ireland's councils into its five trusts; simplify the whole coverage at
    once (shared borders stay shared, so no gaps or overlaps appear between neighbours); drop
    islands under ``min_part_km2`` (never an authority's largest part); convert to WGS84 and
    round to ``DECIMALS`` places. The output is byte-identical for the same inputs.
    """
    try:
        import shapefile
        import shapely
        from pyproj import Transformer
        from shapely.geometry import MultiPolygon, Polygon, mapping, shape
        from shapely.ops import unary_union
    except ImportError as exc:
        raise InputError(f"deriving boundaries needs the dev extra (pip install -e '.[dev]'): "
                         f"{exc}") from None
    source = Path(source) if source is not None else default_source()
    base = source / SOURCE_NAME
    if not base.with_suffix(".shp").is_file():
        raise InputError(f"{base}.shp: not found (give --source, the folder of {SOURCE_NAME}.*)")
    reader = shapefile.Reader(str(base))
    parts: dict[str, list] = {}
    names: dict[str, str] = {}
    for record, geometry in zip(reader.records(), reader.shapes(), strict=True):
        code = record["CTYUA23CD"]
        agent = NI_COUNCIL_TO_TRUST.get(code) or RECODE_2024.get(code, code)
        names[agent] = TRUST_NAMES.get(agent, record["CTYUA23NM"])
        parts.setdefault(agent, []).append(shape(geometry.__geo_interface__).buffer(0))
    ids = sorted(parts)
    merged = [unary_union(parts[a]) if len(parts[a]) > 1 else parts[a][0] for a in ids]
    simplified = shapely.coverage_simplify(np.array(merged, dtype=object), tolerance_m)
    to_wgs84 = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True).transform
    features = []
    for agent, geometry in zip(ids, simplified, strict=True):
        polygons = list(geometry.geoms) if isinstance(geometry, MultiPolygon) else [geometry]
        polygons = [p for p in polygons if not p.is_empty]
        largest = max(polygons, key=lambda p: p.area)
        kept = [p for p in polygons if p is largest or p.area >= min_part_km2 * 1e6]
        shape_ = MultiPolygon(kept) if len(kept) > 1 else Polygon(kept[0])
        shape_ = shapely.transform(shape_, lambda xy: np.column_stack(to_wgs84(xy[:, 0], xy[:, 1])))
        geo = _rounded(mapping(shape_))
        features.append({"type": "Feature", "properties": {
            "agent_id": agent, "name": names[agent]}, "geometry": geo})
    collection = {"type": "FeatureCollection", "name": "innovate-sim authorities",
                  "attribution": ATTRIBUTION,
                  "source": f"ONS {SOURCE_NAME} (British National Grid), simplified with a "
                            f"{tolerance_m:g} m coverage tolerance; NI trusts dissolved from "
                            "councils (approximate)", "features": features}
    write_text(out, json.dumps(collection, separators=(",", ":"), ensure_ascii=False) + "\n")
    _READ.clear()
    return collection


def _rounded(geo: dict) -> dict:
    def ring(points) -> list:
        out: list = []
        for x, y in points:
            point = [round(x, DECIMALS), round(y, DECIMALS)]
            if not out or point != out[-1]:
                out.append(point)
        return out

    if geo["type"] == "Polygon":
        return {"type": "Polygon", "coordinates": [ring(r) for r in geo["coordinates"]]}
    return {"type": "MultiPolygon",
            "coordinates": [[ring(r) for r in polygon] for polygon in geo["coordinates"]]}


def main(argv: list[str] | None = None) -> int:
    """``python -m dashboards.boundaries``: derive the shipped boundary file again."""
    parser = argparse.ArgumentParser(prog="python -m dashboards.boundaries",
                                     description=derive.__doc__)
    parser.add_argument("--source", type=Path, default=None,
                        help=f"folder holding {SOURCE_NAME}.* (default: {default_source()})")
    parser.add_argument("--out", type=Path, default=BOUNDARY_FILE, help="output GeoJSON file")
    parser.add_argument("--tolerance", type=float, default=TOLERANCE_M,
                        help="simplification tolerance in metres")
    args = parser.parse_args(argv)
    try:
        collection = derive(args.source, args.out, tolerance_m=args.tolerance)
    except InputError as error:
        print(f"python -m dashboards.boundaries: error: {error}")
        return 2
    size = Path(args.out).stat().st_size
    print(f"wrote {args.out}: {len(collection['features'])} authorities, {size / 1024:.0f} KiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
