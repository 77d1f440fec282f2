"""Chart builders: pure functions from query results to Plotly figures (no Streamlit here)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from edubalance.model.safe_text import plot_text

FONT = "Noto Sans CJK SC, Source Han Sans SC, Microsoft YaHei, PingFang SC, sans-serif"
OK_COLOR = "#2e7d32"
BAD_COLOR = "#c62828"
WARN_COLOR = "#ef6c00"
NEUTRAL = "#1f5fa8"
STAGE_COLORS = {"小学": "#1f5fa8", "初中": "#8e44ad", "高中": "#00897b", "学前": "#f39c12", "特教": "#6d4c41"}
AREA_COLORS = {"城区": "#1f5fa8", "镇区": "#4caf50", "乡村": "#ef6c00"}
# Categorical colours for series that carry no meaning of their own (school types on the map,
# towns in a line chart): colour-blind-safe, and none of them the blue of NEUTRAL or of the
# map's value scale.
CATEGORY_COLORS = ("#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#1b9e77", "#666666")


def apply_layout(fig: go.Figure, *, height: int = 420, title: str | None = None) -> go.Figure:
    fig.update_layout(
        template="plotly_white",
        font=dict(family=FONT, size=13),
        height=height,
        margin=dict(l=10, r=10, t=50 if title else 20, b=10),
        title=dict(text=title, x=0, xanchor="left") if title else None,
        legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="right", x=1),
    )
    return fig


def _limit_line(fig: go.Figure, *, x=None, y=None, xref="x", yref="y", label="", color="#555", layer="above") -> None:
    """A dashed threshold line across the plot, as a plain layout shape (add_vline/add_hline
    are an order of magnitude slower to build)."""
    if x is not None:
        shape = dict(
            type="line",
            x0=x,
            x1=x,
            xref=xref,
            y0=0,
            y1=1,
            yref=f"{yref.replace('y', 'y')} domain" if yref != "y" else "y domain",
        )
        note = dict(
            x=x,
            xref=xref,
            y=1,
            yref=shape["yref"],
            text=f"{label} {x:.2f}",
            showarrow=False,
            yanchor="bottom",
            font=dict(size=11, color=color),
        )
    else:
        shape = dict(type="line", y0=y, y1=y, yref=yref, x0=0, x1=1, xref="paper")
        note = dict(
            y=y,
            yref=yref,
            x=1,
            xref="paper",
            text=f"{label} {y:.2f}",
            showarrow=False,
            xanchor="right",
            yanchor="bottom",
            font=dict(size=11, color=color),
        )
    shape["line"] = dict(dash="dash", color=color, width=1.5)
    shape["layer"] = layer
    fig.add_shape(shape)
    if label:  # no label: the caller names the value elsewhere (e.g. in a subplot title)
        fig.add_annotation(note)


def short_name(name: str) -> str:
    for prefix in ("每百名学生拥有", "生均"):
        if name.startswith(prefix):
            return ("每百生" if prefix.startswith("每百") else "生均") + name[len(prefix) :]
    return name


def indicator_short(row) -> str:
    """The registry's short name of an indicator row, else a shortened full name."""
    short = row.get("indicator_short") if hasattr(row, "get") else None
    return str(short) if isinstance(short, str) and short else short_name(str(row["indicator_name"]))


def cv_bars(cv: pd.DataFrame, title: str | None = None) -> go.Figure:
    """County CV per indicator and stage against each stage's cap (bars red when above)."""
    stages = [s for s in ("小学", "初中") if s in set(cv["stage"])]
    caps = {s: float(cv.loc[cv["stage"] == s, "threshold"].iloc[0]) for s in stages}
    # The cap (the dashed line) goes into the subplot title, kept short for phone width: a
    # label over the line collides with the title and the bar values.
    titles = [f"{s}（≤{caps[s]:.2f}）" for s in stages]
    fig = make_subplots(
        rows=1, cols=max(len(stages), 1), shared_yaxes=True, subplot_titles=titles, horizontal_spacing=0.04
    )
    for i, stage in enumerate(stages, start=1):
        d = cv[cv["stage"] == stage]
        names = [short_name(n) for n in d["indicator_name"]]
        colors = [OK_COLOR if p else BAD_COLOR for p in d["passed"]]
        fig.add_trace(
            go.Bar(
                x=d["cv"],
                y=names,
                orientation="h",
                marker_color=colors,
                name=stage,
                showlegend=False,
                hovertemplate="%{y}<br>差异系数 %{x:.3f}<extra>" + stage + "</extra>",
            ),
            row=1,
            col=i,
        )
        xref, yref = ("x", "y") if i == 1 else (f"x{i}", f"y{i}")
        _limit_line(fig, x=caps[stage], xref=xref, layer="below")
        # Values as labels on a white ground at the bar's end: bar text would sit on the cap
        # line whenever a bar ends near it (every bar does at phone width).
        for name, v in zip(names, d["cv"]):
            fig.add_annotation(
                x=v,
                y=name,
                xref=xref,
                yref=yref,
                text=f"{v:.3f}",
                showarrow=False,
                xanchor="left",
                xshift=2,
                bgcolor="rgba(255,255,255,0.9)",
                font=dict(size=11, color="#444"),
            )
    fig.update_yaxes(autorange="reversed")
    # Room on the right for the value labels of the longest bar and the cap line.
    top = max([float(cv["cv"].max()), float(cv["threshold"].max())] if len(cv) else [1.0]) * 1.5
    fig.update_xaxes(title_text="差异系数", range=[0, top], nticks=4)
    for title_note in fig.layout.annotations[: len(stages)]:  # the subplot titles
        title_note.font.size = 12
    return apply_layout(fig, height=380, title=title)


def cv_trend(cv_all: pd.DataFrame, stage: str, title: str | None = None) -> go.Figure:
    """CV of each indicator over the school years for one stage, with the cap."""
    d = cv_all[cv_all["stage"] == stage].sort_values("year")
    fig = go.Figure()
    for name, g in d.groupby("indicator_name", sort=False):
        fig.add_trace(
            go.Scatter(
                x=g["year"],
                y=g["cv"],
                mode="lines+markers",
                name=short_name(name),
                hovertemplate="%{x}学年<br>差异系数 %{y:.3f}<extra>" + short_name(name) + "</extra>",
            )
        )
    if len(d):
        _limit_line(fig, y=float(d["threshold"].iloc[0]), label=f"{stage}限值", color=BAD_COLOR)
    fig.update_xaxes(title_text="学年（起始年）", dtick=1)
    fig.update_yaxes(title_text="差异系数", rangemode="tozero")
    return apply_layout(fig, height=400, title=title)


def compliance_matrix(comp: pd.DataFrame, title: str | None = None) -> go.Figure:
    """Schools × indicators, coloured by value ÷ standard (red below 85%, amber below 100%)."""
    d = comp.copy()
    d["label"] = d["school_name"] + "（" + d["stage"] + "）"
    d["short"] = d["indicator_name"].map(short_name)
    order = d.drop_duplicates("label")[["label", "met_count"]].sort_values("met_count")["label"].tolist()
    cols = d.drop_duplicates("short")["short"].tolist()
    z = d.pivot_table(index="label", columns="short", values="ratio_to_standard", aggfunc="first").reindex(
        index=order, columns=cols
    )
    zc = z.clip(upper=1.5)
    fig = go.Figure(
        go.Heatmap(
            z=zc.values,
            x=cols,
            y=order,
            zmin=0,
            zmax=1.5,
            colorscale=[
                [0, BAD_COLOR],
                [0.85 / 1.5, "#ffcdd2"],
                [0.85 / 1.5 + 1e-6, "#ffe0b2"],
                [1 / 1.5, "#ffe0b2"],
                [1 / 1.5 + 1e-6, "#c8e6c9"],
                [1, OK_COLOR],
            ],
            text=z.map(lambda v: "" if pd.isna(v) else f"{v:.0%}").values,
            texttemplate="%{text}",
            hovertemplate="%{y}<br>%{x}：达到标准的 %{text}<extra></extra>",
            colorbar=dict(title="值÷标准", tickformat=".0%"),
        )
    )
    fig.update_yaxes(autorange="reversed")
    return apply_layout(fig, height=max(320, 22 * len(order) + 80), title=title)


def stacked_counts(df: pd.DataFrame, x: str, parts: dict[str, str], title: str | None = None, colors=None) -> go.Figure:
    """Stacked bars of several count columns (parts: column -> legend label)."""
    fig = go.Figure()
    for i, (col, label) in enumerate(parts.items()):
        fig.add_trace(go.Bar(x=df[x], y=df[col], name=label, marker_color=(colors or [None] * len(parts))[i]))
    fig.update_layout(barmode="stack")
    return apply_layout(fig, height=340, title=title)


def category_bars(
    categories: list[str],
    series: dict[str, list],
    *,
    horizontal: bool = True,
    stacked: bool = False,
    value_format: str = ",.2f",
    bad: list[bool] | None = None,
    reference: float | None = None,
    reference_label: str = "",
    title: str | None = None,
    font_size: int = 13,
    height: int | None = None,
) -> go.Figure:
    """Bars of named series over categories (the meeting deck's charts on screen). With one
    series, ``bad`` marks categories drawn red; ``reference`` draws a dashed standard line."""
    palette = [NEUTRAL, WARN_COLOR, "#8e44ad", "#00897b", "#6d4c41"]
    fig = go.Figure()
    for i, (name, values) in enumerate(series.items()):
        color = palette[i % len(palette)]
        if bad is not None and len(series) == 1:
            color = [BAD_COLOR if b else NEUTRAL for b in bad]
        text = [None if v is None or pd.isna(v) else format(v, value_format) for v in values]
        if stacked:
            text = [None if t is None or not values[j] else t for j, t in enumerate(text)]
        xy = {"x": values, "y": categories} if horizontal else {"x": categories, "y": values}
        fig.add_trace(
            go.Bar(
                **xy,
                name=name,
                orientation="h" if horizontal else "v",
                marker_color=color,
                text=text,
                textposition="inside" if stacked else "outside",
                cliponaxis=False,
                showlegend=len(series) > 1,
                hovertemplate=("%{y}" if horizontal else "%{x}")
                + "："
                + ("%{x:" if horizontal else "%{y:")
                + value_format
                + "}<extra>"
                + plot_text(name)
                + "</extra>",
            )
        )
    if stacked:
        fig.update_layout(barmode="stack")
    if reference is not None:
        _limit_line(fig, **({"x": reference} if horizontal else {"y": reference}), label=reference_label)
    axis = fig.update_xaxes if horizontal else fig.update_yaxes
    axis(tickformat=value_format, rangemode="tozero", showgrid=False)
    if horizontal:
        fig.update_yaxes(autorange="reversed")
    n = len(categories)
    fig = apply_layout(fig, height=height or (max(320, 28 * n + 120) if horizontal else 420), title=title)
    # Explicit sizes: Streamlit's chart theme would otherwise shrink ticks and titles back.
    fig.update_layout(
        font={"size": font_size},
        title_font_size=font_size + 1,
        legend_font_size=font_size - 1,
        uniformtext_minsize=max(font_size - 4, 8),
    )
    fig.update_xaxes(tickfont_size=font_size - 1)
    fig.update_yaxes(tickfont_size=font_size - 1)
    fig.update_traces(textfont_size=font_size - 1)
    return fig
