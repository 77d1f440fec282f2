"""Charts for the town pages 镇街对比 and 镇街详情 (bars against the city value and the
standard, parity, small multiples, one town's profile), and the unit formats they share with
the town maps (``charts.town_maps``). Pure functions, no Streamlit: query results in, plotly
figures out. The pages' display tables are shaped in ``ui.tables``; chart clicks are read in
``ui.widgets``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from edubalance.charts.base import (
    AREA_COLORS,
    BAD_COLOR,
    CATEGORY_COLORS,
    NEUTRAL,
    OK_COLOR,
    STAGE_COLORS,
    apply_layout,
    indicator_short,
    short_name,
)
from edubalance.model.format import d3_format, format_number, format_value

# A line per chosen town: the page blue first, then the categorical colours.
TOWN_LINE_COLORS = (NEUTRAL, *CATEGORY_COLORS, "#17becf")
CITY_COLOR = "#111827"
STANDARD_COLOR = BAD_COLOR


# ---------------------------------------------------------------------------------------------
# Units and number formats
# ---------------------------------------------------------------------------------------------


def unit_title(unit: str | None) -> str:
    """A colour-bar or axis title for ``unit``."""
    return "比例（%）" if unit == "比例" else (unit or "")


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
    fig = apply_layout(fig, height=height or max(220, 26 * len(d) + 110), title=short_name(name))
    fig.update_layout(margin={"l": 10, "r": 50, "t": 60, "b": 10}, title_font_size=14)
    return fig


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
    fig = apply_layout(fig, height=max(300, 46 * len(order) + 120))
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
    fig = apply_layout(fig, height=height, title=short_name(name))
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
    multiple, the selected rows, the parity figure and rows (the ranking table is
    ``ui.tables.ranking_table``).
    """
    indicators, town_codes = list(indicators), list(town_codes)
    chosen = rank_rows["indicator"].isin(indicators) & rank_rows["town_code"].isin(town_codes)
    ur_rows = urban_rural[urban_rural["indicator"].isin(indicators)]
    trend_rows = trend[trend["indicator"].isin(indicators) & trend["town_code"].isin(town_codes)]
    shorts = rank_rows.drop_duplicates("indicator").set_index("indicator").apply(indicator_short, axis=1).to_dict()
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
    return apply_layout(fig, height=300)


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
    return apply_layout(fig, height=300)


def town_gap_bars(rows: pd.DataFrame) -> go.Figure:
    """One town's indicators relative to the city (town ÷ city − 1), green where better than
    the city given the indicator's direction, red where worse; hover gives the values, the
    standard and the rank. ``rows``: ``town_ranking`` rows of one town."""
    d = rows.dropna(subset=["ratio_to_city"]).copy()
    d["rel"] = d["ratio_to_city"] - 1
    better = np.where(d["direction"] == "lower", d["rel"] < 0, d["rel"] > 0)
    colors = [OK_COLOR if b else (BAD_COLOR if r != 0 else "#9e9e9e") for b, r in zip(better, d["rel"])]
    d["short"] = d.apply(indicator_short, axis=1) if len(d) else []
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
    fig = apply_layout(fig, height=max(260, 26 * len(d) + 90))
    fig.update_layout(margin={"l": 10, "r": 30, "t": 20, "b": 10})
    return fig
