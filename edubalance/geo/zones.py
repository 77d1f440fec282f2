"""Town zones and their GeoJSON for plotly. Pure functions, no Streamlit.

Zones are *schematic*: the Voronoi cells of the town seats clipped to the county outline
(``geo.outline``), unless an official boundary file (GeoJSON keyed by 区划代码) is configured.
Every drawing of them carries ``SCHEMATIC_LABEL`` (when schematic) and ``OUTLINE_CREDIT``.
See docs/METHODS.md (地图与镇街范围).
"""

from __future__ import annotations

import functools
import json
import math
import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient

from edubalance.geo.outline import check_adcode, county_adcode, county_outline, normalize_town_code
from edubalance.store.paths import GEO_DIR

SCHEMATIC_LABEL = "示意边界（非法定界线）"
OUTLINE_CREDIT = "底图轮廓：天地图"

# An official town-boundary file replaces the schematic zones when it exists at
# geo/towns_<adcode>.geojson, or wherever $EDUBALANCE_TOWN_BOUNDARIES points.
OFFICIAL_BOUNDARY_ENV = "EDUBALANCE_TOWN_BOUNDARIES"
# Property names accepted as the town code in an official boundary file.
_OFFICIAL_CODE_KEYS = ("区划代码", "town_code")
_OFFICIAL_NAME_KEYS = ("镇街名称", "town_name", "name", "名称")


# ---------------------------------------------------------------------------------------------
# Town zones
# ---------------------------------------------------------------------------------------------

_ZONE_COLUMNS = ["town_code", "town_name", "geometry", "schematic"]


def _empty_zones() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"town_code": [], "town_name": [], "schematic": []},
        geometry=gpd.GeoSeries([], crs="EPSG:4326"),
    )[_ZONE_COLUMNS]


def _polygonal(geom: BaseGeometry) -> BaseGeometry:
    """Keep only the polygon parts (an intersection can add stray lines or points)."""
    if geom.is_empty or geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def _voronoi_zones(lon: np.ndarray, lat: np.ndarray, outline: BaseGeometry) -> list[BaseGeometry]:
    """Voronoi cells of the seats clipped to the outline, one per seat, in input order.

    The cells are computed in a local equirectangular frame (x scaled by cos(latitude)) so the
    zone borders are true perpendicular bisectors on the ground; the scaling is affine, so the
    cells map back to straight-edged polygons in lon/lat and are clipped there.
    """
    if len(lon) == 1:
        return [outline]
    k = math.cos(math.radians(outline.centroid.y))
    minx, miny, maxx, maxy = outline.union(shapely.multipoints(np.c_[lon, lat])).bounds
    pad = max(maxx - minx, maxy - miny) + 1.0
    extent = shapely.box((minx - pad) * k, miny - pad, (maxx + pad) * k, maxy + pad)
    cells = shapely.voronoi_polygons(shapely.multipoints(np.c_[lon * k, lat]), extend_to=extent, ordered=True)
    cells = [shapely.transform(c, lambda xy: xy / np.array([k, 1.0])) for c in cells.geoms]
    # ordered=True keeps input order; verify anyway (older GEOS ignore the flag).
    points = shapely.points(lon, lat)
    tree = shapely.STRtree(cells)
    ordered: list[BaseGeometry] = []
    for pt in points:
        hits = tree.query(pt, predicate="intersects")
        ordered.append(cells[int(hits[0])] if len(hits) else shapely.Polygon())
    return [_polygonal(shapely.intersection(c, outline)) for c in ordered]


def _read_official(path: str | Path) -> dict[str, tuple[str, BaseGeometry]]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    features = data.get("features", []) if data.get("type") == "FeatureCollection" else [data]
    out: dict[str, tuple[str, BaseGeometry]] = {}
    for i, feat in enumerate(features):
        props = feat.get("properties") or {}
        raw = next(
            (props[k] for k in _OFFICIAL_CODE_KEYS if props.get(k) not in (None, "")),
            None,
        )
        if raw is None:
            raise ValueError(f"边界文件 {path} 第{i + 1}个要素缺少“区划代码”（或 town_code）属性")
        code = normalize_town_code(raw)
        name = next((str(props[k]) for k in _OFFICIAL_NAME_KEYS if props.get(k)), "")
        geom = _polygonal(shapely.make_valid(shape(feat["geometry"])))
        if code in out:  # several features for one town: merge them
            geom = shapely.union(out[code][1], geom)
        out[code] = (name, geom)
    return out


def town_zones(
    towns: pd.DataFrame,
    outline: BaseGeometry,
    official_geojson_path: str | Path | None = None,
) -> gpd.GeoDataFrame:
    """One zone per town: columns town_code, town_name, geometry, schematic (EPSG:4326).

    ``towns`` has columns town_code, town_name, seat_lon, seat_lat. Without an official file,
    the zones are the seats' Voronoi cells clipped to ``outline``: they cover the outline with
    no gaps or overlaps, and each seat lies in its own zone. Towns without a seat get no zone;
    when two towns share a seat, only the first gets it. ``gdf.attrs["no_zone"]`` lists the
    codes left without a zone.

    With ``official_geojson_path`` (a GeoJSON whose features carry 区划代码 or town_code), its
    polygons are used as they are (schematic=False); towns missing from the file get no zone.
    """
    frame = towns.copy()
    frame["town_code"] = [normalize_town_code(c) for c in frame["town_code"]]
    frame["town_name"] = frame["town_name"].astype(str)

    if official_geojson_path is not None:
        official = _read_official(official_geojson_path)
        rows = [
            (code, name, official[code][1])
            for code, name in zip(frame["town_code"], frame["town_name"])
            if code in official and not official[code][1].is_empty
        ]
        schematic = False
    else:
        lon = pd.to_numeric(frame["seat_lon"], errors="coerce").to_numpy(dtype=float)
        lat = pd.to_numeric(frame["seat_lat"], errors="coerce").to_numpy(dtype=float)
        has_seat = np.isfinite(lon) & np.isfinite(lat)
        seats = frame.loc[has_seat].assign(_lon=lon[has_seat], _lat=lat[has_seat])
        # Identical seats would share one Voronoi cell: keep the first town per point.
        seats = seats.drop_duplicates(subset=["_lon", "_lat"], keep="first")
        rows = []
        if len(seats):
            cells = _voronoi_zones(seats["_lon"].to_numpy(), seats["_lat"].to_numpy(), outline)
            rows = [
                (code, name, cell)
                for code, name, cell in zip(seats["town_code"], seats["town_name"], cells)
                if not cell.is_empty
            ]
        schematic = True

    if not rows:
        gdf = _empty_zones()
    else:
        codes, names, geoms = zip(*rows)
        gdf = gpd.GeoDataFrame(
            {
                "town_code": list(codes),
                "town_name": list(names),
                "schematic": schematic,
            },
            geometry=list(geoms),
            crs="EPSG:4326",
        )[_ZONE_COLUMNS]
    have = set(gdf["town_code"])
    gdf.attrs["no_zone"] = [c for c in frame["town_code"] if c not in have]
    return gdf


SEAT_COLUMNS = ["town_code", "town_name", "seat_lon", "seat_lat"]


def town_seats_key(towns: pd.DataFrame, code=normalize_town_code) -> tuple[tuple[str, str, float, float], ...]:
    """The towns' (code, name, seat lon, seat lat) as a hashable cache key, a missing seat as
    NaN; ``code`` reads the town code (default: 12 digits, ValueError on a bad one).
    ``pd.DataFrame(key, columns=SEAT_COLUMNS)`` gives the towns back."""
    return tuple(
        (
            code(c),
            str(n),
            float(x) if pd.notna(x) else math.nan,
            float(y) if pd.notna(y) else math.nan,
        )
        for c, n, x, y in zip(towns["town_code"], towns["town_name"], towns["seat_lon"], towns["seat_lat"])
    )


@functools.lru_cache(maxsize=64)
def _zones_cached(
    key: tuple[tuple[str, str, float, float], ...],
    adcode: str,
    official: tuple[str, float] | None,
) -> gpd.GeoDataFrame:
    towns = pd.DataFrame(key, columns=SEAT_COLUMNS)
    return town_zones(towns, county_outline(adcode), official[0] if official else None)


def cached_town_zones(
    towns: pd.DataFrame,
    adcode: str | None = None,
    official_geojson_path: str | Path | None = None,
) -> gpd.GeoDataFrame:
    """``town_zones`` for the county ``adcode`` (default: derived from the town codes), cached.

    The cache key is the towns' codes, names and seats, the adcode, and the official file's
    path and modification time. Returns a copy: callers may modify it.
    """
    key = town_seats_key(towns)
    adcode = check_adcode(adcode) if adcode else county_adcode(k[0] for k in key)
    official = None
    if official_geojson_path is not None:
        p = Path(official_geojson_path).resolve()
        official = (str(p), p.stat().st_mtime)
    gdf = _zones_cached(key, adcode, official)
    out = gdf.copy()
    out.attrs = dict(gdf.attrs)
    return out


def official_boundary_path(adcode: str, folder: str | Path = GEO_DIR) -> Path | None:
    """The configured official town-boundary file for a county, or None (schematic zones).

    $EDUBALANCE_TOWN_BOUNDARIES (a file path) wins; otherwise ``geo/towns_<adcode>.geojson``
    is used when it exists.
    """
    env = os.environ.get(OFFICIAL_BOUNDARY_ENV)
    if env:
        path = Path(env)
        if not path.is_file():
            raise ValueError(f"{OFFICIAL_BOUNDARY_ENV} 指向的镇街边界文件不存在：{path}")
        return path
    path = Path(folder) / f"towns_{check_adcode(adcode)}.geojson"
    return path if path.is_file() else None


def town_geojson(towns: pd.DataFrame, simplify_tolerance: float = 0.0005) -> tuple[dict, bool]:
    """Everything a map page needs: (plotly GeoJSON of the town zones, schematic flag).

    The county comes from the town codes; the official boundary file is used when configured
    (``official_boundary_path``), otherwise the schematic zones. Zones are cached.
    """
    adcode = county_adcode(towns["town_code"])
    zones = cached_town_zones(towns, adcode, official_boundary_path(adcode))
    schematic = bool(zones["schematic"].all()) if len(zones) else True
    return to_plotly_geojson(zones, simplify_tolerance), schematic


# ---------------------------------------------------------------------------------------------
# GeoJSON for plotly
# ---------------------------------------------------------------------------------------------


def _orient_for_d3(geom: BaseGeometry) -> BaseGeometry:
    """Exterior rings clockwise, holes counter-clockwise (d3-geo's spherical convention).

    A counter-clockwise exterior is read by d3-geo as "everything except this polygon" and
    floods the whole map with one colour.
    """
    if geom.geom_type == "Polygon":
        return orient(geom, sign=-1.0)
    if geom.geom_type == "MultiPolygon":
        return shapely.MultiPolygon([orient(p, sign=-1.0) for p in geom.geoms])
    return geom


def _as_lists(obj):
    if isinstance(obj, (list, tuple)):
        return [_as_lists(o) for o in obj]
    return obj


def to_plotly_geojson(gdf: gpd.GeoDataFrame, simplify_tolerance: float = 0.0005, decimals: int = 5) -> dict:
    """A FeatureCollection for ``go.Choropleth(featureidkey="id")``: ``id`` = town_code.

    Geometry is simplified for drawing (tolerance in degrees; 0.0005 is about 50 m). When the
    zones form a valid coverage (shared borders match exactly, as Voronoi zones do), they are
    simplified together so neighbours stay gap-free; otherwise each polygon is simplified alone
    with preserve_topology. Coordinates are rounded to ``decimals`` (5 ≈ 1 m) and rings oriented
    for d3-geo. Properties: town_code, town_name, schematic, label_lon, label_lat (a point
    inside the zone, for labels).
    """
    geoms = np.asarray(gdf.geometry.to_numpy(), dtype=object)
    keep = ~shapely.is_empty(geoms) & ~shapely.is_missing(geoms)
    if simplify_tolerance and keep.any():
        simplified = geoms.copy()
        part = geoms[keep]
        if shapely.coverage_is_valid(part):
            simplified[keep] = shapely.coverage_simplify(part, simplify_tolerance)
        else:
            simplified[keep] = shapely.simplify(part, simplify_tolerance, preserve_topology=True)
        geoms = simplified
    features = []
    for idx, (row, geom) in enumerate(zip(gdf.itertuples(index=False), geoms)):
        if not keep[idx]:
            continue
        geom = shapely.transform(geom, lambda xy: np.round(xy, decimals))
        geom = _polygonal(geom)
        if geom.is_empty:
            continue
        label = gdf.geometry.iloc[idx].representative_point()
        features.append(
            {
                "type": "Feature",
                "id": str(row.town_code),
                "properties": {
                    "town_code": str(row.town_code),
                    "town_name": str(row.town_name),
                    "schematic": bool(getattr(row, "schematic", True)),
                    "label_lon": round(label.x, decimals),
                    "label_lat": round(label.y, decimals),
                },
                "geometry": _as_lists(mapping(_orient_for_d3(geom))),
            }
        )
    return {"type": "FeatureCollection", "features": features}


def geometry_only(geojson: dict, codes=None) -> dict:
    """The features (all, or those whose id is in ``codes``) with their id and geometry only.

    What a figure ships to the browser: plotly draws by id, and a property such as the town's
    name is imported text that no trace needs (shares the geometry objects)."""
    wanted = None if codes is None else {str(c) for c in codes}
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "id": f["id"], "geometry": f["geometry"]}
            for f in geojson["features"]
            if wanted is None or f["id"] in wanted
        ],
    }


def ring_signed_area(coords) -> float:
    """Shoelace signed area of a ring in lon/lat: > 0 counter-clockwise, < 0 clockwise."""
    xy = np.asarray(coords, dtype=float)
    x, y = xy[:, 0], xy[:, 1]
    return 0.5 * float(np.sum(x[:-1] * y[1:] - x[1:] * y[:-1]))
