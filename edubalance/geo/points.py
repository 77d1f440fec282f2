"""School points against the county and the town zones: distances, the zone holding a
point, and the coordinate checks (see docs/METHODS.md, 数据质量提示). Pure functions, no Streamlit.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from edubalance.geo.outline import point_in_county

# Mean Earth radius (IUGG), km. Haversine (0,0)-(0,1) gives 111.195 km.
EARTH_RADIUS_KM = 6371.0088

# A school farther than this from its town's zone is reported (schematic zones are rough).
FAR_FROM_ZONE_KM = 3.0


def haversine_km(lon1, lat1, lon2, lat2):
    """Great-circle distance in km; numpy-vectorised, NaN in → NaN out."""
    lon1, lat1, lon2, lat2 = (np.radians(np.asarray(v, dtype=float)) for v in (lon1, lat1, lon2, lat2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    d = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    return float(d) if np.ndim(d) == 0 else d


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
    """Geometry checks of school points (docs/METHODS.md, 数据质量提示), index aligned with ``points``.

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
