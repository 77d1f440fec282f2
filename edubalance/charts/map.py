"""The town map: choropleth of town zones plus school points (see docs/ARCHITECTURE.md, 地理). Pure functions.

The figure uses plotly's geo subplot with the base map hidden. Show it with ``map_config()``
so plotly.js loads its (empty) world topology from the locally served ``static/topojson/``
instead of a CDN.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from edubalance.charts.base import CATEGORY_COLORS
from edubalance.geo.zones import OUTLINE_CREDIT, SCHEMATIC_LABEL, geometry_only

TOPOJSON_URL = "app/static/topojson/"  # Streamlit static serving of ./static/topojson/

NO_DATA_COLOR = "#e5e7eb"
BORDER_COLOR = "#ffffff"
NOTE_COLOR = "#6b7280"
# Sequential blues whose low end stays visibly darker than the page background.
VALUE_SCALE = [[0.0, "#dbe9f6"], [0.5, "#6aaed6"], [1.0, "#08306b"]]
# School points by type: categorical colours distinct from the blue scale.
POINT_COLORS = CATEGORY_COLORS


# Every school point: a white rim and a little transparency, so that crowded points stay apart.
POINT_STYLE = {"line": {"color": "#ffffff", "width": 0.8}, "opacity": 0.9}


def map_config(topojson_url: str = TOPOJSON_URL) -> dict:
    """plotly config for the map: local topojson, no logo, no scroll zoom."""
    return {"topojsonURL": topojson_url, "displaylogo": False, "scrollZoom": False}


def geojson_bounds(geojson: dict) -> tuple[float, float, float, float] | None:
    xs: list[float] = []
    ys: list[float] = []

    def walk(c):
        if c and isinstance(c[0], (int, float)):
            xs.append(c[0])
            ys.append(c[1])
        else:
            for sub in c:
                walk(sub)

    for feat in geojson.get("features", []):
        walk((feat.get("geometry") or {}).get("coordinates") or [])
    if not xs:
        return None
    return min(xs), min(ys), max(xs), max(ys)


def marker_sizes(students: pd.Series) -> np.ndarray:
    """Marker diameter 5–18 px, area proportional to enrolment."""
    s = pd.to_numeric(students, errors="coerce").fillna(0).clip(lower=0).to_numpy(float)
    top = s.max() if len(s) else 0
    if top <= 0:
        return np.full(len(s), 7.0)
    return 5 + 13 * np.sqrt(s / top)


def _label_colors(features: list, tv: pd.DataFrame, reverse: bool) -> list[str]:
    """White names on the dark end of a light-to-dark scale, near-black elsewhere."""
    values = dict(zip(tv["town_code"], tv["value"]))
    lo, hi = (tv["value"].min(), tv["value"].max()) if len(tv) else (0.0, 0.0)
    colors = []
    for f in features:
        v = values.get(f["id"])
        frac = 0.0 if v is None or hi <= lo else (v - lo) / (hi - lo)
        frac = 1 - frac if reverse and v is not None else frac
        colors.append("#ffffff" if frac > 0.6 else "#111827")
    return colors


def map_note(text: str, x: float, xanchor: str, y: float = 0.0) -> dict:
    return {
        "text": text,
        "xref": "paper",
        "yref": "paper",
        "x": x,
        "y": y,
        "xanchor": xanchor,
        "yanchor": "bottom",
        "showarrow": False,
        "font": {"size": 11, "color": NOTE_COLOR},
        "bgcolor": "rgba(255,255,255,0.7)",
    }


def town_map(
    geojson: dict,
    town_values: pd.DataFrame,
    schools: pd.DataFrame | None = None,
    *,
    value_label: str,
    unit: str,
    schematic: bool,
    colorscale: str | list = VALUE_SCALE,
    reverse_scale: bool = False,
    value_format: str = ",.1f",
    color_label: str | None = None,
    show_labels: bool = True,
    height: int = 560,
) -> go.Figure:
    """Choropleth of ``town_values`` (town_code, town_name, value) on the zones in ``geojson``.

    ``geojson`` comes from ``geo.to_plotly_geojson`` (feature ``id`` = town_code). Zones with
    no value are drawn grey (暂无数据). ``schools`` (lon, lat, school_name, school_type,
    students, optional color_value) are drawn as points sized by enrolment and coloured by
    ``color_value`` (numeric: a second, horizontal colour bar titled ``color_label``; text:
    one legend entry per value) or else by school type. Points far outside the zones are not
    drawn (they would stretch the map); a note says how many.
    """
    fig = go.Figure()
    features = geojson.get("features", [])
    names = {f["id"]: f.get("properties", {}).get("town_name", f["id"]) for f in features}

    tv = town_values.copy()
    tv["town_code"] = tv["town_code"].astype(str)
    tv["value"] = pd.to_numeric(tv["value"], errors="coerce")
    tv = tv[tv["town_code"].isin(names) & tv["value"].notna()]
    unit_suffix = unit or ""

    drawn = geometry_only(geojson)
    missing = [code for code in names if code not in set(tv["town_code"])]
    if missing:
        fig.add_trace(
            go.Choropleth(
                geojson=drawn,
                featureidkey="id",
                locations=missing,
                z=[0] * len(missing),
                customdata=[names[c] for c in missing],
                colorscale=[[0, NO_DATA_COLOR], [1, NO_DATA_COLOR]],
                showscale=False,
                marker={"line": {"color": BORDER_COLOR, "width": 1}},
                hovertemplate="%{customdata}<br>暂无数据<extra></extra>",
                name="暂无数据",
            )
        )
    if len(tv):
        fig.add_trace(
            go.Choropleth(
                geojson=drawn,
                featureidkey="id",
                locations=tv["town_code"],
                z=tv["value"],
                customdata=tv["town_name"],
                colorscale=colorscale,
                reversescale=reverse_scale,
                marker={"line": {"color": BORDER_COLOR, "width": 1}},
                colorbar={
                    "title": {"text": unit or value_label},
                    "thickness": 14,
                    "len": 0.6,
                    "tickformat": value_format,
                },
                hovertemplate=(f"%{{customdata}}<br>{value_label}：%{{z:{value_format}}}{unit_suffix}<extra></extra>"),
                name=value_label,
            )
        )

    notes = []
    bounds = geojson_bounds(geojson)
    if schools is not None and len(schools) and bounds is not None:
        sc = schools.copy()
        sc["lon"] = pd.to_numeric(sc["lon"], errors="coerce")
        sc["lat"] = pd.to_numeric(sc["lat"], errors="coerce")
        minx, miny, maxx, maxy = bounds
        pad = 0.1 * max(maxx - minx, maxy - miny)
        near = sc["lon"].between(minx - pad, maxx + pad) & sc["lat"].between(miny - pad, maxy + pad)
        dropped = int((~near).sum())
        if dropped:
            notes.append(f"{dropped}所学校坐标缺失或在县域外，未绘制")
        sc = sc[near]
        if len(sc):
            _add_school_points(fig, sc, color_label)

    # Town names last, so they sit above the school points.
    if show_labels and features:
        fig.add_trace(
            go.Scattergeo(
                lon=[f["properties"].get("label_lon") for f in features],
                lat=[f["properties"].get("label_lat") for f in features],
                text=[names[f["id"]] for f in features],
                mode="text",
                textfont={
                    "size": 11,
                    "color": _label_colors(features, tv, reverse_scale),
                },
                hoverinfo="skip",
                showlegend=False,
            )
        )

    annotations = []
    if schematic:
        annotations.append(map_note(SCHEMATIC_LABEL, 0.0, "left"))
    annotations.append(map_note(OUTLINE_CREDIT, 1.0, "right"))
    for i, text in enumerate(notes):
        annotations.append(map_note(text, 0.0, "left", y=0.05 * (i + 1)))
    if not features:
        annotations.append(
            {
                "text": "暂无镇街边界",
                "xref": "paper",
                "yref": "paper",
                "x": 0.5,
                "y": 0.5,
                "showarrow": False,
                "font": {"size": 14, "color": NOTE_COLOR},
            }
        )

    fit_geos(fig, bool(features))
    fig.update_layout(
        height=height,
        margin={"l": 0, "r": 0, "t": 10, "b": 10},
        annotations=annotations,
        legend={
            "orientation": "h",
            "yanchor": "top",
            "y": 1.0,
            "xanchor": "left",
            "x": 0.0,
            "bgcolor": "rgba(255,255,255,0.7)",
        },
        paper_bgcolor="rgba(0,0,0,0)",
    )
    return fig


def school_points_trace(points: pd.DataFrame, pos, customdata, sizes, color, **trace) -> go.Scattergeo:
    """The points at positions ``pos`` of ``points`` (lon, lat) as one marker trace in
    ``color``, in the common point style; ``customdata`` and ``sizes`` are indexed alike.
    ``trace``: the trace's own properties (name, hovertemplate, legend group)."""
    return go.Scattergeo(
        lon=points["lon"].iloc[pos],
        lat=points["lat"].iloc[pos],
        mode="markers",
        customdata=customdata[pos],
        marker={**POINT_STYLE, "size": sizes[pos], "color": color},
        **trace,
    )


def _add_school_points(fig: go.Figure, sc: pd.DataFrame, color_label: str | None) -> None:
    sc = sc.reset_index(drop=True)
    sizes = marker_sizes(sc["students"]) if "students" in sc else np.full(len(sc), 7.0)
    students = pd.to_numeric(sc["students"], errors="coerce") if "students" in sc else pd.Series(np.nan, index=sc.index)
    custom = np.c_[
        sc.get("school_name", pd.Series("", index=sc.index)).astype(str),
        sc.get("school_type", pd.Series("", index=sc.index)).astype(str),
        students.map(lambda v: "—" if pd.isna(v) else f"{v:,.0f}"),
    ]
    hover = "%{customdata[0]}<br>%{customdata[1]}<br>在校生：%{customdata[2]}人"

    color = sc.get("color_value")
    numeric = color is not None and pd.api.types.is_numeric_dtype(color) and color.notna().any()
    if numeric:
        fig.add_trace(
            go.Scattergeo(
                lon=sc["lon"],
                lat=sc["lat"],
                mode="markers",
                customdata=custom,
                marker={
                    **POINT_STYLE,
                    "size": sizes,
                    "color": color,
                    "colorscale": "Oranges",
                    "colorbar": {
                        "title": {"text": color_label or ""},
                        "orientation": "h",
                        "thickness": 10,
                        "len": 0.4,
                        "x": 0.5,
                        "y": -0.02,
                        "yanchor": "top",
                    },
                },
                hovertemplate=hover + f"<br>{color_label or '数值'}：%{{marker.color:,.1f}}<extra></extra>",
                name=color_label or "学校",
                showlegend=False,
            )
        )
        return

    groups = color if color is not None and color.notna().any() else sc.get("school_type")
    if groups is None:
        groups = pd.Series("学校", index=sc.index)
    groups = groups.fillna("其他").astype(str)
    for i, (key, idx) in enumerate(groups.groupby(groups, sort=False).groups.items()):
        pos = sc.index.get_indexer(idx)
        fig.add_trace(
            school_points_trace(
                sc,
                pos,
                custom,
                sizes,
                POINT_COLORS[i % len(POINT_COLORS)],
                hovertemplate=hover + "<extra></extra>",
                name=str(key),
                legendgroup=str(key),
            )
        )


def fit_geos(fig: go.Figure, has_shapes: bool) -> None:
    """The offline map frame shared by the town and county maps: no base layers (nothing is
    fetched), Mercator, zoomed to the drawn shapes when there are any."""
    fig.update_geos(
        fitbounds="locations" if has_shapes else False,
        visible=False,
        projection_type="mercator",
        bgcolor="rgba(0,0,0,0)",
    )
