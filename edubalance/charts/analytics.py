"""Chart builders for the analytics (差距分析 page and the 优质均衡 drivers section): pure
functions from query or analytics results to Plotly figures (no Streamlit here)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from edubalance.charts.base import AREA_COLORS, BAD_COLOR, NEUTRAL, OK_COLOR, WARN_COLOR, apply_layout, short_name
from edubalance.model.safe_text import plot_text

BETWEEN_COLOR = "#1f5fa8"
WITHIN_COLOR = "#90caf9"
GROUPING_ZH = {"town": "镇街", "urban_rural": "城乡（城区/镇区/乡村）"}


def _names(d: pd.DataFrame) -> list[str]:
    """Short indicator names for axes (registry short_zh when the result carries it)."""
    if "short_name" in d.columns and d["short_name"].notna().all():
        return d["short_name"].tolist()
    return [short_name(n) for n in d["indicator_name"]]


def _empty(message: str, height: int = 240) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper", font=dict(size=14))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return apply_layout(fig, height=height)


def _before_after(names, before, after, series: tuple[str, str], *, ok, text, title) -> go.Figure:
    """A scenario per indicator: the current value (grey) and the scenario's (green where it
    meets the rule, red where not, labelled ``text``) as grouped horizontal bars named
    ``series``; the caller adds its reference line and x axis."""
    fig = go.Figure()
    fig.add_trace(go.Bar(y=names, x=before, orientation="h", name=series[0], marker_color="#b0bec5"))
    fig.add_trace(
        go.Bar(
            y=names,
            x=after,
            orientation="h",
            name=series[1],
            marker_color=[OK_COLOR if v else BAD_COLOR for v in ok],
            text=text,
            textposition="outside",
        )
    )
    fig.update_layout(barmode="group")
    fig.update_yaxes(autorange="reversed")
    return apply_layout(fig, height=max(320, 44 * len(names) + 90), title=title)


def theil_by_indicator(theil: pd.DataFrame, grouping: str, title: str | None = None) -> go.Figure:
    """One bar per indicator: Theil T split into its between-group and within-group parts."""
    d = theil.dropna(subset=["total"])
    if d.empty:
        return _empty("没有可分解的指标")
    names = _names(d)
    unit = GROUPING_ZH.get(grouping, grouping)
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            y=names,
            x=d["between"],
            orientation="h",
            name=f"组间（{unit}之间）",
            marker_color=BETWEEN_COLOR,
            hovertemplate="%{y}<br>组间 %{x:.4f}<extra></extra>",
        )
    )
    fig.add_trace(
        go.Bar(
            y=names,
            x=d["within"],
            orientation="h",
            name="组内（校际）",
            marker_color=WITHIN_COLOR,
            text=[f"组间占 {s:.0%}" if pd.notna(s) else "" for s in d["between_share"]],
            textposition="outside",
            hovertemplate="%{y}<br>组内 %{x:.4f}<extra></extra>",
        )
    )
    fig.update_layout(barmode="stack")
    fig.update_yaxes(autorange="reversed")
    # room on the right for the "组间占 x%" labels
    fig.update_xaxes(title_text="泰尔指数 T", range=[0, float(d["total"].max()) * 1.3])
    return apply_layout(fig, height=max(300, 34 * len(d) + 110), title=title)


def theil_over_years(trend: pd.DataFrame, indicator: str, grouping: str, title: str | None = None) -> go.Figure:
    """Theil T of one indicator over the years: between/within stacked, between share as a line."""
    d = trend[(trend["indicator"] == indicator) | (trend["indicator_name"] == indicator)].sort_values("year")
    d = d.dropna(subset=["total"])
    if d.empty:
        return _empty("该指标没有可分解的数据")
    unit = GROUPING_ZH.get(grouping, grouping)
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(
        go.Bar(x=d["year"], y=d["between"], name=f"组间（{unit}之间）", marker_color=BETWEEN_COLOR), secondary_y=False
    )
    fig.add_trace(go.Bar(x=d["year"], y=d["within"], name="组内（校际）", marker_color=WITHIN_COLOR), secondary_y=False)
    fig.add_trace(
        go.Scatter(
            x=d["year"],
            y=d["between_share"],
            name="组间占比",
            mode="lines+markers+text",
            text=[f"{v:.0%}" for v in d["between_share"]],
            textposition="top center",
            line=dict(color=WARN_COLOR, width=2),
            hovertemplate="%{x}学年<br>组间占比 %{y:.1%}<extra></extra>",
        ),
        secondary_y=True,
    )
    fig.update_layout(barmode="stack")
    fig.update_xaxes(title_text="学年（起始年）", dtick=1)
    fig.update_yaxes(title_text="泰尔指数 T", rangemode="tozero", secondary_y=False)
    fig.update_yaxes(
        title_text="组间占比", tickformat=".0%", range=[0, 1.08], dtick=0.25, secondary_y=True, showgrid=False
    )
    return apply_layout(fig, height=400, title=title)


def group_means(groups: pd.DataFrame, unit: str, standard: float | None = None, title: str | None = None) -> go.Figure:
    """Each group's pupil-weighted mean against the county mean (and the standard)."""
    d = groups.sort_values("group_mean")
    if d.empty:
        return _empty("没有数据")
    mean = float(d["mean"].iloc[0])
    colors = [
        AREA_COLORS.get(g, NEUTRAL if r >= 1 else WARN_COLOR) for g, r in zip(d["group_name"], d["ratio_to_mean"])
    ]
    fig = go.Figure(
        go.Bar(
            y=d["group_name"],
            x=d["group_mean"],
            orientation="h",
            marker_color=colors,
            customdata=d[["ratio_to_mean", "group_theil", "schools"]].to_numpy(),
            hovertemplate="%{y}<br>均值 %{x:,.3f}<br>÷全市 %{customdata[0]:.2f}<br>组内T %{customdata[1]:.4f}"
            "<br>学校（段）%{customdata[2]}<extra></extra>",
            showlegend=False,
        )
    )
    # Reference lines as legend entries: annotations would sit on the bars.
    lines = [(mean, f"全市 {mean:,.2f}", "dash", "#555")]
    if standard is not None and pd.notna(standard):
        lines.append((float(standard), f"标准 {float(standard):g}", "dot", BAD_COLOR))
    for x, name, dash, color in lines:
        fig.add_trace(
            go.Scatter(
                x=[x, x],
                y=[d["group_name"].iloc[0], d["group_name"].iloc[-1]],
                mode="lines",
                name=name,
                line=dict(dash=dash, color=color, width=2),
                hoverinfo="skip",
            )
        )
    fig.update_xaxes(title_text=unit, rangemode="tozero")
    return apply_layout(fig, height=max(260, 26 * len(d) + 90), title=title)


def cv_drivers(contrib: pd.DataFrame, top: int = 10, title: str | None = None) -> go.Figure:
    """The schools whose terms make up most of the county variance, with the CV without each."""
    d = contrib.sort_values("rank").head(top)
    if d.empty:
        return _empty("没有数据")
    # School names only (town in the hover): the labels must leave room on a phone screen.
    labels = d["school_name"].tolist()
    colors = [BAD_COLOR if s == "低于均值" else NEUTRAL for s in d["side"]]
    fig = go.Figure(
        go.Bar(
            y=labels,
            x=d["contribution_share"],
            orientation="h",
            marker_color=colors,
            text=[f"{s:.0%}｜{c:.3f}" for s, c in zip(d["contribution_share"], d["cv_without"])],
            textposition="outside",
            cliponaxis=False,
            customdata=d[["value", "mean", "cv", "cv_without", "side", "town_name"]].to_numpy(),
            hovertemplate="%{y}（%{customdata[5]}）<br>占加权方差 %{x:.1%}<br>指标值 %{customdata[0]:,.3f}"
            "（全市 %{customdata[1]:,.3f}，%{customdata[4]}）<br>差异系数 %{customdata[2]:.3f} → 去掉该校 "
            "%{customdata[3]:.3f}<extra></extra>",
            showlegend=False,
        )
    )
    # Legend entries for the two colours.
    for name, color in (("低于全市均值", BAD_COLOR), ("高于全市均值", NEUTRAL)):
        fig.add_trace(go.Bar(x=[None], y=[None], name=name, marker_color=color, orientation="h"))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(
        title_text="占加权方差 S² 比例｜去掉后差异系数",
        tickformat=".0%",
        range=[0, float(d["contribution_share"].max()) * 1.45],
    )
    return apply_layout(fig, height=max(300, 30 * len(d) + 110), title=title)


def what_if_cv(cv: pd.DataFrame, title: str | None = None) -> go.Figure:
    """County CV per indicator before and after a scenario, against the cap."""
    if cv.empty:
        return _empty("选择学校和指标后显示")
    fig = _before_after(
        _names(cv),
        cv["cv_before"],
        cv["cv_after"],
        ("现状", "情景"),
        ok=cv["passed_after"],
        text=[f"{a:.3f}" for a in cv["cv_after"]],
        title=title,
    )
    cap = float(cv["threshold"].iloc[0])
    fig.add_vline(x=cap, line_dash="dash", line_color="#555", annotation_text=f"限值 {cap:.2f}")
    fig.update_xaxes(title_text="差异系数", rangemode="tozero")
    return fig


def projection(proj: pd.DataFrame, towns: list[str], title: str | None = None) -> go.Figure:
    """Observed town values (solid), the linear trend to 2027 (dashed) and the standard."""
    palette = ["#1f5fa8", "#ef6c00", "#8e44ad", "#00897b", "#c2185b", "#6d4c41", "#546e7a", "#f9a825"]
    d = proj[proj["town_name"].isin(["全市", *towns])]
    if d.empty:
        return _empty("没有数据")
    fig = go.Figure()
    order = ["全市", *[t for t in towns if t != "全市"]]
    for i, town in enumerate(order):
        g = d[d["town_name"] == town].sort_values("year")
        if g.empty:
            continue
        color = "#333" if town == "全市" else palette[i % len(palette)]
        obs = g.dropna(subset=["observed"])
        fig.add_trace(
            go.Scatter(
                x=obs["year"],
                y=obs["observed"],
                mode="lines+markers",
                name=town,
                legendgroup=town,
                line=dict(color=color, width=3 if town == "全市" else 2),
                hovertemplate="%{x}学年<br>实际 %{y:,.3f}<extra>" + plot_text(town) + "</extra>",
            )
        )
        tr = g.dropna(subset=["trend"])
        if not tr.empty:
            fig.add_trace(
                go.Scatter(
                    x=tr["year"],
                    y=tr["trend"],
                    mode="lines",
                    name=f"{town}趋势",
                    legendgroup=town,
                    showlegend=False,
                    line=dict(color=color, dash="dash", width=1.5),
                    hovertemplate="%{x}学年<br>趋势 %{y:,.3f}<extra>" + plot_text(town) + "</extra>",
                )
            )
            ahead = tr[tr["is_projection"]]
            fig.add_trace(
                go.Scatter(
                    x=ahead["year"],
                    y=ahead["trend"],
                    mode="markers",
                    legendgroup=town,
                    showlegend=False,
                    marker=dict(color=color, symbol="diamond-open", size=10, line=dict(width=2)),
                    hovertemplate="%{x}学年（外推）<br>%{y:,.3f}<extra>" + plot_text(town) + "</extra>",
                )
            )
    std = d["standard"].dropna()
    if len(std):
        fig.add_hline(
            y=float(std.iloc[0]), line_dash="dot", line_color=BAD_COLOR, annotation_text=f"标准 {std.iloc[0]:g}"
        )
    unit = d["unit"].iloc[0]
    fig.update_xaxes(title_text="学年（起始年）；虚线为线性趋势，◇为外推值", dtick=1)
    fig.update_yaxes(title_text=unit, rangemode="tozero")
    return apply_layout(fig, height=420, title=title)


def small_schools_scatter(df: pd.DataFrame, title: str | None = None) -> go.Figure:
    """Screened schools: pupils against the distance to the nearest central school."""
    d = df.dropna(subset=["distance_km"])
    if d.empty:
        return _empty("没有可计算距离的学校（缺少坐标或同学段中心校）")
    fig = go.Figure()
    for flag, g in d.groupby("flag", sort=False):
        zero = flag == "学生数为零"
        fig.add_trace(
            go.Scatter(
                x=g["distance_km"],
                y=g["students"],
                mode="markers",
                name=flag,
                marker=dict(size=11, color=BAD_COLOR if zero else WARN_COLOR, symbol="x" if zero else "circle"),
                customdata=g[["school_name", "town_name", "nearest_central_name", "enrolment_series"]].to_numpy(),
                hovertemplate="%{customdata[0]}（%{customdata[1]}）<br>在校生 %{y} 人<br>距 %{customdata[2]} %{x:.1f} km"
                "<br>%{customdata[3]}<extra></extra>",
            )
        )
    fig.update_xaxes(title_text="到最近同学段中心校的直线距离（km）", rangemode="tozero")
    fig.update_yaxes(title_text="在校生数（人）", rangemode="tozero")
    return apply_layout(fig, height=380, title=title)


def merge_effect(effect: pd.DataFrame, town_name: str, title: str | None = None) -> go.Figure:
    """The town's indicators as a share of the standard, before and after a merge."""
    if effect.empty:
        return _empty("无法模拟（接收学校没有该学段）")
    before = effect["town_before"] / effect["standard"]
    after = effect["town_after"] / effect["standard"]
    fig = _before_after(
        _names(effect),
        before,
        after,
        (f"{town_name}现状", "并入后"),
        ok=after >= 1,
        text=[f"{v:.0%}" for v in after],
        title=title,
    )
    fig.add_vline(x=1, line_dash="dash", line_color="#555")
    fig.update_xaxes(title_text="镇街值 ÷ 标准（虚线 = 100%）", tickformat=".0%", rangemode="tozero")
    return fig
