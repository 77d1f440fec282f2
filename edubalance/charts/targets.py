"""Charts for 目标进度, 教师队伍, 学前教育 and the special-groups section: pure functions from
query results to Plotly figures. No Streamlit here; all inputs are query results or
progress.py roll-ups. The HTML of the same pages (chips, cards, lists) is in target_cards."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from edubalance.charts.base import AREA_COLORS, BAD_COLOR, NEUTRAL, OK_COLOR, WARN_COLOR, apply_layout
from edubalance.metrics import progress
from edubalance.model.format import format_target_value, is_missing

STATUS_FILL = {
    progress.MET: OK_COLOR,
    progress.DONE: OK_COLOR,
    progress.ON_TRACK: NEUTRAL,
    progress.IN_PROGRESS: NEUTRAL,
    progress.ACCELERATE: WARN_COLOR,
    progress.NOT_STARTED: "#8d6e63",
    progress.OFF_TRACK: "#ef9a9a",
    progress.LATE: "#b71c1c",
    progress.OVERDUE: "#7f0000",  # darker than 未按期达标: side by side in the stacked bar
    progress.NO_DATA: "#9e9e9e",
}
GREY = "#9e9e9e"


def _room(*groups, pad: float = 1.2) -> list[float] | None:
    """An x range from 0 with room for the value labels drawn outside the bars."""
    vals = [v for g in groups for v in (g if isinstance(g, list | tuple | pd.Series) else [g])]
    vals = [float(v) for v in vals if not is_missing(v)]
    top = max(vals, default=0)
    return [0, top * pad] if top > 0 else None


def status_bar(rows: list, vals: list, status: str, hover_status: str | None = None, **style) -> go.Bar:
    """One status's segment of a stacked bar of target counts, in the status's colour
    (``hover_status``: the status word already escaped for Plotly, where it is data text)."""
    return go.Bar(
        y=rows,
        x=vals,
        orientation="h",
        name=status,
        marker_color=STATUS_FILL.get(status, GREY),
        text=[v or "" for v in vals],
        textposition="inside",
        hovertemplate="%{y}：" + (hover_status or status) + " %{x} 项<extra></extra>",
        **style,
    )


def status_counts_bar(counts: pd.DataFrame, title: str | None = None) -> go.Figure:
    """Stacked horizontal bars: targets per status, one bar per horizon."""
    fig = go.Figure()
    rows = [f"{h}年" for h in counts.columns]
    for status in counts.index:
        vals = [int(counts.loc[status, h]) for h in counts.columns]
        if not any(vals):
            continue
        fig.add_trace(status_bar(rows, vals, status))
    fig.update_layout(barmode="stack", legend_traceorder="normal")  # legend in the bars' order
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title_text="目标与任务（项）")
    return apply_layout(fig, height=220, title=title)


def unit_status_bars(rows: pd.DataFrame, horizon: int = 2025, title: str | None = None) -> go.Figure:
    """A target's units (towns, schools, kindergartens…) with their latest value against the
    goal, coloured by the horizon's status."""
    d = rows.copy()
    unit = d["unit"].iloc[0] if len(d) else ""
    pct = unit in ("比例", "同比增长率")
    goal = float(d["goal"].iloc[0]) if len(d) and not is_missing(d["goal"].iloc[0]) else None
    d["label"] = d["scope_name"].fillna(d["scope_code"])
    col = f"status_{horizon}"
    fig = go.Figure(
        go.Bar(
            y=d["label"],
            x=d["value"],
            orientation="h",
            marker_color=[STATUS_FILL.get(s, GREY) for s in d[col]],
            text=[format_target_value(v, unit) for v in d["value"]],
            textposition="auto",
            customdata=d[col],
            hovertemplate="%{y}<br>现值 %{text}<br>" + f"{horizon}年：" + "%{customdata}<extra></extra>",
            showlegend=False,
        )
    )
    if goal:
        fig.add_vline(x=goal, line_dash="dash", line_color=OK_COLOR, annotation_text="目标")
    if pct:
        fig.update_xaxes(tickformat=".0%")
    elif unit in ("所", "个", "次") and d["value"].max() <= 10:
        fig.update_xaxes(dtick=1)
    fig.update_xaxes(range=_room(d["value"], goal or 0, pad=1.2))
    fig.update_yaxes(autorange="reversed", type="category")
    return apply_layout(fig, height=max(260, 24 * len(d) + 90), title=title)


# ---------------------------------------------------------------------------------------------
# 教师队伍


def _shares_and_standards(items) -> tuple[list, list]:
    """The values and thresholds of (label, value, threshold) items as floats, missing as None."""
    vals = [None if is_missing(i[1]) else float(i[1]) for i in items]
    stds = [None if is_missing(i[2]) else float(i[2]) for i in items]
    return vals, stds


def _shares_against_ticks(labels, vals, stds, *, horizontal: bool, tick_size: int, hover: tuple[str, str]) -> go.Figure:
    """Shares as bars (green where they reach their threshold, red otherwise or when either is
    missing, labelled as percentages) and each threshold as a tick across its bar; ``hover``
    is the bars' and the ticks' hover template."""
    colors = [OK_COLOR if v is not None and s is not None and v >= s else BAD_COLOR for v, s in zip(vals, stds)]
    along, across = ("y", "x") if horizontal else ("x", "y")
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            **{along: labels, across: vals},
            orientation="h" if horizontal else None,
            marker_color=colors,
            text=["—" if v is None else f"{v:.1%}" for v in vals],
            textposition="outside",
            name="实际",
            hovertemplate=hover[0],
        )
    )
    fig.add_trace(
        go.Scatter(
            **{along: labels, across: stds},
            mode="markers",
            marker=dict(
                symbol="line-ns-open" if horizontal else "line-ew-open",
                size=tick_size,
                color="#333",
                line=dict(width=3, color="#333"),
            ),
            name="标准",
            hovertemplate=hover[1],
        )
    )
    return fig


def exchange_compare(city: pd.Series, title: str | None = None) -> go.Figure:
    """The plan's and the national exchange rules side by side for the city: each bar its
    rate, each tick its threshold."""
    items = [
        ("方案口径<br>交流 ÷ 全体教师", city["rate_all"], city["standard_all"]),
        ("国家口径<br>交流 ÷ 符合条件教师", city["rate_eligible"], city["standard_eligible"]),
        ("国家口径<br>骨干 ÷ 交流教师", city["exchanged_backbone_share"], city["standard_backbone"]),
    ]
    vals, stds = _shares_and_standards(items)
    labels = [i[0] + (f"<br>标准 ≥ {s:.0%}" if s is not None else "") for i, s in zip(items, stds)]
    fig = _shares_against_ticks(
        labels,
        vals,
        stds,
        horizontal=False,
        tick_size=60,
        hover=("%{x}<br>实际 %{y:.1%}<extra></extra>", "%{x}<br>标准 %{y:.0%}<extra></extra>"),
    )
    top = max([v or 0 for v in vals] + [s or 0 for s in stds]) * 1.3 or 1
    fig.update_yaxes(tickformat=".0%", range=[0, top])
    return apply_layout(fig, height=340, title=title)


def town_rates(policy: pd.DataFrame, title: str | None = None) -> go.Figure:
    """Exchange rates per town by both rules (two panels, thresholds dashed)."""
    d = policy[policy["scope"] == "镇街"]
    fig = make_subplots(
        rows=1,
        cols=2,
        shared_yaxes=True,
        subplot_titles=("方案口径（÷全体）", "国家口径（÷符合条件）"),
        horizontal_spacing=0.05,
    )
    for col, (rate, std, met) in enumerate(
        (("rate_all", "standard_all", "met_all"), ("rate_eligible", "standard_eligible", "met_eligible")), start=1
    ):
        fig.add_trace(
            go.Bar(
                y=d["town_name"],
                x=d[rate],
                orientation="h",
                marker_color=[OK_COLOR if m else BAD_COLOR for m in d[met].fillna(False)],
                text=[f"{v:.1%}" if not is_missing(v) else "—" for v in d[rate]],
                textposition="auto",
                showlegend=False,
                hovertemplate="%{y}：%{x:.1%}<extra></extra>",
            ),
            row=1,
            col=col,
        )
        s = d[std].dropna()
        if len(s):
            fig.add_vline(x=float(s.iloc[0]), line_dash="dash", line_color="#555", row=1, col=col)
        fig.update_xaxes(range=_room(d[rate], s, pad=1.25), row=1, col=col)
    fig.update_xaxes(tickformat=".0%")
    fig.update_yaxes(autorange="reversed")
    fig.update_annotations(font_size=12)
    return apply_layout(fig, height=max(360, 24 * len(d) + 110), title=title)


def trend_lines(
    df: pd.DataFrame, series: dict[str, str], goals: dict[str, str] | None = None, title: str | None = None
) -> go.Figure:
    """Lines of several share columns over the school years, each with its dashed goal."""
    colors = [NEUTRAL, "#8e44ad", "#00897b", WARN_COLOR, BAD_COLOR]
    fig = go.Figure()
    for i, (col, label) in enumerate(series.items()):
        color = colors[i % len(colors)]
        fig.add_trace(
            go.Scatter(
                x=df["year"],
                y=df[col],
                mode="lines+markers",
                name=label,
                line=dict(color=color),
                hovertemplate="%{x}学年：%{y:.1%}<extra>" + label + "</extra>",
            )
        )
        gcol = (goals or {}).get(col)
        if gcol and gcol in df and df[gcol].notna().any():
            fig.add_hline(
                y=float(df[gcol].dropna().iloc[0]),
                line_dash="dash",
                line_color=color,
                opacity=0.7,
                annotation_text=f"{label}标准",
                annotation_font_color=color,
                # alternate the label corners: goals close together would print on each other
                annotation_position=("top right", "bottom right", "top left")[i % 3],
            )
    fig.update_xaxes(title_text="学年（起始年）", dtick=1)
    fig.update_yaxes(tickformat=".0%", rangemode="tozero")
    return apply_layout(fig, height=360, title=title)


def share_bars(
    df: pd.DataFrame,
    name_col: str,
    value_col: str,
    goal: float | None = None,
    *,
    higher_is_better: bool = True,
    percent: bool = True,
    goal_label: str = "目标",
    colors: Sequence[str] | None = None,
    title: str | None = None,
) -> go.Figure:
    """Horizontal bars of one value per group against a goal (green when the goal is met)."""
    vals = df[value_col]
    if colors is None:
        if goal is None:
            colors = [NEUTRAL] * len(df)
        else:
            colors = [
                GREY if is_missing(v) else OK_COLOR if (v >= goal) == higher_is_better or v == goal else BAD_COLOR
                for v in vals
            ]
    fmt = (lambda v: f"{v:.1%}") if percent else (lambda v: f"{v:.1f}")
    fig = go.Figure(
        go.Bar(
            y=df[name_col],
            x=vals,
            orientation="h",
            marker_color=list(colors),
            text=["—" if is_missing(v) else fmt(v) for v in vals],
            textposition="auto",
            showlegend=False,
            hovertemplate="%{y}：%{text}<extra></extra>",
        )
    )
    if goal is not None:
        # the goal goes into the title: an annotation would sit on the first bar's label
        fig.add_vline(x=goal, line_dash="dash", line_color="#555")
        title = f"{title or ''}<br><span style='font-size:11px;color:#666'>虚线：{goal_label} {fmt(goal)}</span>"
    if percent:
        fig.update_xaxes(tickformat=".0%")
    fig.update_xaxes(range=_room(vals, goal if goal is not None else 0, pad=1.22))
    fig.update_yaxes(autorange="reversed", type="category")
    fig = apply_layout(fig, height=max(240, 24 * len(df) + 100), title=title)
    if goal is not None:
        fig.update_layout(margin_t=72)  # room for the title's second line
    return fig


def distribution_bars(
    df: pd.DataFrame, cols: dict[str, str], standards: dict[str, float | None], title: str | None = None
) -> go.Figure:
    """Side-by-side panels (one per column) of values per group with the column's standard."""
    keys = list(cols)
    fig = make_subplots(
        rows=1, cols=len(keys), shared_yaxes=True, subplot_titles=[cols[k] for k in keys], horizontal_spacing=0.05
    )
    for i, k in enumerate(keys, start=1):
        std = standards.get(k)
        colors = [
            AREA_COLORS.get(n, NEUTRAL) if std is None or is_missing(v) or v >= std else BAD_COLOR
            for n, v in zip(df["name"], df[k])
        ]
        fig.add_trace(
            go.Bar(
                y=df["name"],
                x=df[k],
                orientation="h",
                marker_color=colors,
                text=["—" if is_missing(v) else f"{v:.2f}" for v in df[k]],
                textposition="auto",
                showlegend=False,
                hovertemplate="%{y}：%{x:.2f}<extra>" + cols[k] + "</extra>",
            ),
            row=1,
            col=i,
        )
        if std is not None and not is_missing(std):
            fig.add_vline(x=std, line_dash="dash", line_color="#555", row=1, col=i)
        fig.update_xaxes(range=_room(df[k], std if std is not None else 0, pad=1.18), row=1, col=i)
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_annotations(font_size=12)
    return apply_layout(fig, height=max(240, 24 * len(df) + 100), title=title)


# ---------------------------------------------------------------------------------------------
# 学前教育


def bullet_bars(items: Sequence[tuple[str, float, float]], title: str | None = None) -> go.Figure:
    """Indicators (label, value, threshold) as horizontal bars with their threshold ticks."""
    vals, stds = _shares_and_standards(items)
    fig = _shares_against_ticks(
        [i[0] for i in items],
        vals,
        stds,
        horizontal=True,
        tick_size=34,
        hover=("%{y}：%{x:.1%}<extra></extra>", "%{y}标准：%{x:.0%}<extra></extra>"),
    )
    top = max([v or 0 for v in vals] + [s or 0 for s in stds] + [1.0]) * 1.12
    fig.update_xaxes(tickformat=".0%", range=[0, top])
    fig.update_yaxes(autorange="reversed")
    fig = apply_layout(fig, height=250, title=title)
    fig.update_layout(showlegend=False)  # the title names the ticks; a legend would cover it
    return fig


def band_bars(bands: pd.DataFrame, title: str | None = None) -> go.Figure:
    """Classes per class-size band, 公办 and 民办 side by side."""
    fig = go.Figure()
    colors = {"公办": NEUTRAL, "民办": WARN_COLOR}
    for own, g in bands.groupby("ownership", sort=False):
        fig.add_trace(
            go.Bar(
                x=g["band_zh"],
                y=g["classes"],
                name=own,
                marker_color=colors.get(own, GREY),
                hovertemplate="%{x}：%{y} 个班<extra>" + own + "</extra>",
            )
        )
    fig.update_layout(barmode="group")
    fig.update_yaxes(title_text="班级数")
    return apply_layout(fig, height=320, title=title)


def pairs_network(pairs: pd.DataFrame, title: str | None = None) -> go.Figure:
    """The kindergarten pairing network as a two-column graph: 城区优质公办幼儿园 on the left
    (red when fewer partners than the goal), their partners on the right."""
    d = pairs.copy()
    left = d.drop_duplicates("school_id")[["school_id", "school_name", "rural_partners", "met"]].reset_index(drop=True)
    right = (
        d.dropna(subset=["partner_school_id"])
        .drop_duplicates("partner_school_id")[["partner_school_id", "partner_name", "partner_town"]]
        .reset_index(drop=True)
    )
    n = max(len(left), len(right), 1)

    def ypos(i, m):
        return (n - 1) / 2 - (m - 1) / 2 + i if m else 0

    ly = {sid: ypos(i, len(left)) for i, sid in enumerate(left["school_id"])}
    ry = {sid: ypos(i, len(right)) for i, sid in enumerate(right["partner_school_id"])}
    fig = go.Figure()
    xs, ys = [], []
    for r in d.dropna(subset=["partner_school_id"]).itertuples(index=False):
        xs += [0, 1, None]
        ys += [ly[r.school_id], ry[r.partner_school_id], None]
    fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", line=dict(color="#90a4ae", width=1.5), hoverinfo="skip"))
    fig.add_trace(
        go.Scatter(
            x=[0] * len(left),
            y=[ly[s] for s in left["school_id"]],
            mode="markers+text",
            marker=dict(size=16, color=[OK_COLOR if m else BAD_COLOR for m in left["met"].fillna(False)]),
            text=[f"{nm}（{int(k)}所）" for nm, k in zip(left["school_name"], left["rural_partners"].fillna(0))],
            textposition="middle left",
            hovertemplate="%{text}<extra>城区优质公办幼儿园</extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[1] * len(right),
            y=[ry[s] for s in right["partner_school_id"]],
            mode="markers+text",
            marker=dict(size=11, color=WARN_COLOR),
            text=right["partner_name"],
            textposition="middle right",
            hovertemplate="%{text}<extra>结对幼儿园</extra>",
        )
    )
    # Leave each side room for its labels (about 4.5 characters per unit of the node spacing),
    # so the longest names fit on a phone as on a wide screen.
    lw = max([len(t) for t in fig.data[1].text] + [4]) / 4.5
    rw = max([len(t) for t in right["partner_name"]] + [4]) / 4.5
    fig.update_traces(textfont_size=11, selector=dict(mode="markers+text"))
    fig.update_xaxes(visible=False, range=[-lw - 0.15, 1 + rw + 0.15])
    fig.update_yaxes(visible=False, autorange="reversed")
    fig = apply_layout(fig, height=max(260, 34 * n + 80), title=title)
    fig.update_layout(showlegend=False)
    return fig


# ---------------------------------------------------------------------------------------------
# 特殊群体


def special_groups_bars(df: pd.DataFrame, title: str | None = None) -> go.Figure:
    """Boarders, left-behind children and 随班就读 pupils by town (three panels)."""
    panels = (
        ("boarder_share", "寄宿生占比", "boarders", True),
        ("left_behind_share", "留守儿童占比", "left_behind", True),
        ("disabled_per100", "随班就读/百生", "disabled_inclusive", False),
    )
    fig = make_subplots(
        rows=1, cols=3, shared_yaxes=True, subplot_titles=[p[1] for p in panels], horizontal_spacing=0.04
    )
    colors = ("#1f5fa8", "#ef6c00", "#8e44ad")
    for i, (col, label, count, pct) in enumerate(panels, start=1):
        fig.add_trace(
            go.Bar(
                y=df["town_name"],
                x=df[col],
                orientation="h",
                marker_color=colors[i - 1],
                customdata=df[count],
                text=["—" if is_missing(v) else (f"{v:.0%}" if pct else f"{v:.2f}") for v in df[col]],
                textposition="auto",
                showlegend=False,
                hovertemplate="%{y}：%{text}（%{customdata} 人）<extra>" + label + "</extra>",
            ),
            row=1,
            col=i,
        )
        if pct:
            fig.update_xaxes(tickformat=".0%", row=1, col=i)
        fig.update_xaxes(range=_room(df[col], pad=1.3), row=1, col=i)
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_annotations(font_size=12)
    return apply_layout(fig, height=max(340, 24 * len(df) + 100), title=title)


def disabled_enrolment_lines(d: pd.DataFrame, title: str | None = None) -> go.Figure:
    """The disabled-children enrolment rate over the school years with its two references
    (优质均衡 criterion, national 2025 aim) as dashed lines named in the legend, so no label
    sits on the data line; the axis spans the values, not 0—100%."""
    d = d.dropna(subset=["rate"])
    fig = go.Figure(
        go.Scatter(
            x=d["year"],
            y=d["rate"],
            mode="lines+markers",  # values in the hover and the caption: labels would sit on the references
            name="入学率",
            line=dict(color=NEUTRAL, width=2.5),
            hovertemplate="%{x}学年：%{y:.1%}<extra>入学率</extra>",
        )
    )
    refs = (("criterion", "优质均衡评估标准", "#555555"), ("national_aim", "国家2025年目标（参考）", BAD_COLOR))
    values = list(d["rate"])
    for col, label, color in refs:
        v = d[col].dropna()
        if len(v):
            ref = float(v.iloc[0])
            values.append(ref)
            fig.add_trace(
                go.Scatter(
                    x=[d["year"].min() - 0.3, d["year"].max() + 0.3],
                    y=[ref, ref],
                    mode="lines",
                    name=f"{label} {ref:.0%}",
                    line=dict(color=color, dash="dash", width=1.5),
                    hoverinfo="skip",
                )
            )
    lo, hi = min(values, default=0.9), max(values, default=1.0)
    pad = max((hi - lo) * 0.35, 0.01)
    fig.update_yaxes(tickformat=".0%", range=[lo - pad, min(hi + pad, 1.0 + pad / 2)])
    fig.update_xaxes(dtick=1, title_text="学年（起始年）")
    fig = apply_layout(fig, height=300, title=title)
    fig.update_layout(legend=dict(orientation="h", yanchor="top", y=-0.25, xanchor="left", x=0), margin_b=70)
    return fig
