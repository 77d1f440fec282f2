"""Charts for 目标进度, 教师队伍, 学前教育 and the special-groups section: pure functions from
query results to Plotly figures or small HTML fragments (status chips, sparklines, target
cards). No Streamlit here; all inputs are query results or progress.py roll-ups."""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from . import progress
from .charts import AREA_COLORS, BAD_COLOR, NEUTRAL, OK_COLOR, WARN_COLOR, _layout
from .safe_text import html_text, md

# Status colours (text, background, border): green met or done, blue on track or in progress,
# orange too slow, red wrong way; a missed deadline (未按期达标, 逾期) is a final verdict and
# shows as a solid red chip; brown not started; grey no data. The same hues in chips and bars.
STATUS_COLORS = {
    progress.MET: ("#1b5e20", "#e8f5e9"),
    progress.DONE: ("#1b5e20", "#e8f5e9"),
    progress.ON_TRACK: ("#0d47a1", "#e3f2fd"),
    progress.IN_PROGRESS: ("#0d47a1", "#e3f2fd"),
    progress.ACCELERATE: ("#b34700", "#fff3e0"),
    progress.NOT_STARTED: ("#5d4037", "#efebe9"),
    progress.OFF_TRACK: ("#b71c1c", "#ffebee"),
    progress.LATE: ("#ffffff", "#c62828"),
    progress.OVERDUE: ("#ffffff", "#c62828"),
    progress.NO_DATA: ("#555555", "#eeeeee"),
}
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
    vals = [float(v) for v in vals if not progress.missing(v)]
    top = max(vals, default=0)
    return [0, top * pad] if top > 0 else None


def _esc(v) -> str:
    # html_text, not html.escape: the cards go through Markdown too (a blank line in a name
    # would end the HTML block, and Markdown would then link bare URLs).
    return "" if progress.missing(v) else html_text(v)


def chip(status: str, prefix: str = "") -> str:
    """A coloured status badge (HTML span)."""
    fg, bg = STATUS_COLORS.get(status, STATUS_COLORS[progress.NO_DATA])
    label = (f"{_esc(prefix)} " if prefix else "") + _esc(status)
    border = bg if fg == "#ffffff" else f"{fg}33"
    return (
        f'<span style="display:inline-block;padding:1px 8px;margin:1px 4px 1px 0;border-radius:10px;'
        f"background:{bg};color:{fg};border:1px solid {border};font-size:0.82rem;white-space:nowrap;"
        f'font-weight:600">{label}</span>'
    )


def status_legend_html(words: Sequence[str] | None = None) -> str:
    """The status words with their colours and meanings (targets first, then tasks)."""
    words = list(words) if words is not None else list(progress.STATUS_MEANING)
    items = "".join(
        f'<span style="display:inline-block;margin:2px 12px 2px 0;font-size:0.8rem">{chip(w)}'
        f'<span style="color:#555">{_esc(progress.STATUS_MEANING.get(w, ""))}</span></span>'
        for w in words
    )
    return f'<div style="line-height:1.9">{items}</div>'


def sparkline_svg(
    years: Sequence[int],
    values: Sequence[float],
    goal: float | None = None,
    *,
    width: int = 150,
    height: int = 38,
    color: str = NEUTRAL,
    percent: bool = False,
) -> str:
    """A small inline SVG trend: the series as a line, the goal as a dashed line."""
    pts = [(int(y), float(v)) for y, v in zip(years, values) if not progress.missing(v)]
    if not pts:
        return f'<svg width="{width}" height="{height}"></svg>'
    ys = [v for _, v in pts] + ([float(goal)] if goal is not None and not progress.missing(goal) else [])
    lo, hi = min(ys), max(ys)
    if math.isclose(lo, hi):
        lo, hi = lo - 1, hi + 1
    x0, x1 = pts[0][0], pts[-1][0]
    pad = 4

    def sx(x):
        return pad + (width - 2 * pad) * (0.5 if x1 == x0 else (x - x0) / (x1 - x0))

    def sy(v):
        return pad + (height - 2 * pad) * (1 - (v - lo) / (hi - lo))

    def fmt(v):
        return f"{v:.1%}" if percent else f"{v:.4g}"

    tip = "；".join(f"{y}：{fmt(v)}" for y, v in pts)
    parts = [f'<svg width="{width}" height="{height}" role="img" style="vertical-align:middle">']
    parts.append(f"<title>{html.escape(tip)}</title>")
    if goal is not None and not progress.missing(goal):
        gy = sy(float(goal))
        parts.append(
            f'<line x1="{pad}" x2="{width - pad}" y1="{gy:.1f}" y2="{gy:.1f}" stroke="{OK_COLOR}" '
            'stroke-width="1" stroke-dasharray="3,2"/>'
        )
    line = " ".join(f"{sx(x):.1f},{sy(v):.1f}" for x, v in pts)
    parts.append(f'<polyline points="{line}" fill="none" stroke="{color}" stroke-width="1.8"/>')
    lx, lv = pts[-1]
    parts.append(f'<circle cx="{sx(lx):.1f}" cy="{sy(lv):.1f}" r="2.6" fill="{color}"/>')
    parts.append("</svg>")
    return "".join(parts)


def _names(names: Sequence[str], limit: int = 8) -> str:
    names = [n for n in names if isinstance(n, str)]
    if len(names) <= limit:
        return "、".join(names)
    return "、".join(names[:limit]) + f" 等{len(names)}个"


UNIT_WORDS = {
    "zhen": "镇",
    "town": "镇街",
    "school": "所学校",
    "urban_kindergarten": "所城区优质公办幼儿园",
    "quality_high_school": "所优质高中",
}


def tagged(text) -> str:
    """Escaped text with our conventions' “[D]” set off as a grey tag (the plan is silent there)."""
    # html_text writes the brackets as character references, so look for its escaped form.
    return _esc(text).replace(
        html_text("[D]"),
        '<span title="方案未明示，为本看板的约定" style="font-size:0.72rem;color:#6b7280;'
        'border:1px solid #cbd5e1;border-radius:4px;padding:0 3px;margin-left:2px">[D]</span>',
    )


def _ours(note) -> bool:
    """A note that marks our own reading ([D]): shown beside the owners; the annex's own
    owners need no note on a card (the full text is in the tables)."""
    return not progress.missing(note) and "[D]" in str(note)


def horizon_chips(row) -> str:
    """The 2025 and 2027 words; for a measured target, a column whose deadline the data have
    not reached yet is a projection and says so (预判). A task's word is its latest report."""
    out = []
    for h in progress.HORIZONS:
        final = row.get(f"final_{h}")
        known = final is not None and not progress.missing(final) and row.get("kind") != "qualitative"
        out.append(chip(row[f"status_{h}"], f"{h}" if not known or bool(final) else f"{h}预判"))
    return "".join(out)


def target_card(
    row: pd.Series, missing_names: Sequence[str] = (), year: int | None = None, shared_note: str | None = None
) -> str:
    """One target as an HTML card: id, wording and the plan's section; current value, goal and
    deadline (the plan's, or our convention tagged [D]); status chips for 2025 and 2027 and,
    when a deadline was missed, “逾期N年” or “N年补齐”; what the measure covers; a sparkline;
    the path still needed; 责任单位."""
    qualitative = row["kind"] == "qualitative"
    unit = row["unit"]
    clause = row.get("plan_clause")
    clause = (
        f'<span style="color:#888;font-size:0.75rem">　{_esc(clause)}</span>' if not progress.missing(clause) else ""
    )
    head = f'<b style="color:#1f5fa8">{_esc(row["target_id"])}</b>　{_esc(row["wording"])}{clause}'
    chips = horizon_chips(row)
    deadline = row.get("deadline_note")
    deadline = tagged(deadline) if not progress.missing(deadline) and str(deadline).strip() else _esc(row["deadline"])
    facts, trend, path = [], "", ""
    if qualitative:
        if progress.missing(row.get("task_status")):
            facts.append("任务进展：尚无记录")
        else:
            when = row.get("task_updated_on")
            when = pd.Timestamp(when).strftime("%Y-%m-%d") if not progress.missing(when) else ""
            facts.append(f"任务进展：<b>{_esc(row['task_status'])}</b>（{_esc(when)}）{_esc(row.get('task_note'))}")
        facts.append(f"期限：{deadline}")
    else:
        if row["units"] > 1:
            word = UNIT_WORDS.get(row["scope"], "个单位")
            met = int(row["met_now"]) if "met_now" in row else int(row["units"] - row["missing_2025"])
            facts.append(f"达标 <b>{met}/{int(row['units'])}</b> {word}")
            facts.append(f"每单位目标 {_esc(progress.format_goal(row['comparator'], row['goal'], unit))}")
            label = "达标单位占比"
            trend = sparkline_svg(row["trend_years"], row["trend_values"], 1.0, percent=True)
            if missing_names:
                path = f"尚未达标：{_esc(_names(missing_names))}"
            caught = row.get("caught_up")
            if isinstance(caught, list | tuple) and len(caught):
                path += (
                    "；" if path else ""
                ) + f'<span style="color:#1b5e20">逾期后补齐：{_esc(_names(caught))}</span>'

        else:
            facts.append(f"现值 <b>{_esc(progress.format_value(row['value'], unit))}</b>")
            if not progress.missing(row.get("value_year")):
                facts[-1] += f"（{int(row['value_year'])}学年）"
            facts.append(f"目标 {_esc(progress.format_goal(row['comparator'], row['goal'], unit))}")
            label = "历年值"
            trend = sparkline_svg(
                row["trend_years"], row["trend_values"], row["goal"], percent=unit in ("比例", "同比增长率")
            )
            steps = [
                progress.format_path(row.get(f"needed_{h}"), row.get(f"deadline_{h}"), unit) for h in progress.HORIZONS
            ]
            steps = list(dict.fromkeys(s for s in steps if s))
            if steps:
                path = "仍需：" + "；".join(_esc(s) for s in steps)
        facts.append(f"期限：{deadline}")
        if trend:
            trend = f'<div style="font-size:0.72rem;color:#777">{label}</div>{trend}'
    late = (
        progress.catch_up_note(row.get("met_year"), row.get("overdue_since"), year, row.get("deadline"))
        if year is not None
        else ""
    )
    if late:
        color = "#1b5e20" if late.endswith("补齐") else "#b71c1c"
        facts.append(f'<b style="color:{color}">{_esc(late)}</b>')
    measure = row.get("measure_note")
    if shared_note and not progress.missing(measure) and str(measure).startswith(shared_note):
        # the note every task shares is said once on the page; keep only what is this card's own
        measure = str(measure)[len(shared_note) :].lstrip("；; ")
    measure = (
        f'<div style="font-size:0.8rem;color:#8a4b00">口径：{tagged(measure)}</div>'
        if not progress.missing(measure) and str(measure).strip()
        else ""
    )
    owner_note = row.get("owner_note")
    owner_note = f"（{tagged(owner_note)}）" if _ours(owner_note) else ""
    owner = f'<div style="color:#666;font-size:0.8rem">责任单位：{_esc(row["owner"])}{owner_note}</div>'
    path_html = f'<div style="font-size:0.85rem;color:#444">{path}</div>' if path else ""
    return (
        '<div style="border:1px solid #e0e0e0;border-radius:8px;padding:8px 12px;margin:0 0 8px 0;'
        'display:flex;flex-wrap:wrap;gap:6px 16px;align-items:center;background:#fff">'
        f'<div style="flex:1 1 340px;min-width:0">{head}'
        f'<div style="font-size:0.88rem;margin-top:2px">{" · ".join(facts)}</div>{measure}{path_html}{owner}</div>'
        f'<div style="flex:0 1 auto;min-width:0;max-width:100%;display:flex;flex-wrap:wrap;align-items:center;gap:4px 12px">'
        f'<div>{chips}</div><div style="text-align:center">{trend}</div></div>'
        "</div>"
    )


def attention_html(items: Sequence[dict], year: int, limit: int = 12) -> str:
    """总览's first list: each target that is 未按期达标, 逾期 or 偏离, with its status, owners
    and the towns or schools that miss it (names)."""
    rows = []
    for a in items:
        names = a["missing"]
        who = UNIT_WORDS.get(a.get("scope"), "个单位")
        if a["units"] > 1 and names:
            miss = f"未达标（{len(names)}/{a['units']}）：{_esc(_names(names, limit))}"
        elif a["units"] > 1:
            miss = f"全部 {a['units']} {_esc(who)}已达标"
        elif a.get("kind") == "qualitative":
            task = a.get("task_status")
            miss = f"任务进展：{_esc(task) if not progress.missing(task) else '无进展记录'}"
        else:
            miss = (
                f"全市现值 {_esc(progress.format_value(a.get('value'), a.get('unit')))}"
                f"（目标 {_esc(progress.format_goal(a.get('comparator'), a.get('goal'), a.get('unit')))}）"
            )
        late = progress.catch_up_note(a.get("met_year"), a.get("overdue_since"), year, a.get("deadline"))
        late = f' <b style="color:#b71c1c">{_esc(late)}</b>' if late else ""
        owner_note = a.get("owner_note")
        owner_note = f"（{tagged(owner_note)}）" if _ours(owner_note) else ""
        when = "、".join(f"{h}年" for h in a["horizons"])
        rows.append(
            '<div style="border-left:4px solid #c62828;padding:4px 10px;margin:0 0 6px 0;background:#fff">'
            f'{chip(a["status"])}<b style="color:#1f5fa8">{_esc(a["target_id"])}</b>　{_esc(a["wording"])}'
            f'<span style="color:#888;font-size:0.78rem">（{when}口径）</span>{late}'
            f'<div style="font-size:0.86rem">{miss}</div>'
            f'<div style="font-size:0.8rem;color:#555">责任单位：{_esc(a["owner"])}{owner_note}</div></div>'
        )
    return "".join(rows)


def status_counts_html(counts: pd.DataFrame) -> str:
    """Two lines of chips: per horizon, how many targets have each status."""
    lines = []
    for h in counts.columns:
        chips = "".join(chip(s, str(int(n))) for s, n in counts[h].items() if n)
        lines.append(f'<div style="margin:2px 0"><b>{html.escape(str(h))}年</b>　{chips}</div>')
    return "".join(lines)


def status_counts_bar(counts: pd.DataFrame, title: str | None = None) -> go.Figure:
    """Stacked horizontal bars: targets per status, one bar per horizon."""
    fig = go.Figure()
    rows = [f"{h}年" for h in counts.columns]
    for status in counts.index:
        vals = [int(counts.loc[status, h]) for h in counts.columns]
        if not any(vals):
            continue
        fig.add_trace(
            go.Bar(
                y=rows,
                x=vals,
                orientation="h",
                name=status,
                marker_color=STATUS_FILL.get(status, GREY),
                text=[v or "" for v in vals],
                textposition="inside",
                hovertemplate="%{y}：" + status + " %{x} 项<extra></extra>",
            )
        )
    fig.update_layout(barmode="stack", legend_traceorder="normal")  # legend in the bars' order
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title_text="目标与任务（项）")
    return _layout(fig, height=220, title=title)


def unit_status_bars(rows: pd.DataFrame, horizon: int = 2025, title: str | None = None) -> go.Figure:
    """A target's units (towns, schools, kindergartens…) with their latest value against the
    goal, coloured by the horizon's status."""
    d = rows.copy()
    unit = d["unit"].iloc[0] if len(d) else ""
    pct = unit in ("比例", "同比增长率")
    goal = float(d["goal"].iloc[0]) if len(d) and not progress.missing(d["goal"].iloc[0]) else None
    d["label"] = d["scope_name"].fillna(d["scope_code"])
    col = f"status_{horizon}"
    fig = go.Figure(
        go.Bar(
            y=d["label"],
            x=d["value"],
            orientation="h",
            marker_color=[STATUS_FILL.get(s, GREY) for s in d[col]],
            text=[progress.format_value(v, unit) for v in d["value"]],
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
    return _layout(fig, height=max(260, 24 * len(d) + 90), title=title)


# ---------------------------------------------------------------------------------------------
# 教师队伍


def exchange_compare(city: pd.Series, title: str | None = None) -> go.Figure:
    """The plan's and the national exchange rules side by side for the city: each bar its
    rate, each tick its threshold."""
    items = [
        ("方案口径<br>交流 ÷ 全体教师", city["rate_all"], city["standard_all"]),
        ("国家口径<br>交流 ÷ 符合条件教师", city["rate_eligible"], city["standard_eligible"]),
        ("国家口径<br>骨干 ÷ 交流教师", city["exchanged_backbone_share"], city["standard_backbone"]),
    ]
    vals = [None if progress.missing(i[1]) else float(i[1]) for i in items]
    stds = [None if progress.missing(i[2]) else float(i[2]) for i in items]
    labels = [i[0] + (f"<br>标准 ≥ {s:.0%}" if s is not None else "") for i, s in zip(items, stds)]
    colors = [OK_COLOR if v is not None and s is not None and v >= s else BAD_COLOR for v, s in zip(vals, stds)]
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            x=labels,
            y=vals,
            marker_color=colors,
            text=[f"{v:.1%}" if v is not None else "—" for v in vals],
            textposition="outside",
            name="实际",
            hovertemplate="%{x}<br>实际 %{y:.1%}<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=labels,
            y=stds,
            mode="markers",
            marker=dict(symbol="line-ew-open", size=60, color="#333", line=dict(width=3, color="#333")),
            name="标准",
            hovertemplate="%{x}<br>标准 %{y:.0%}<extra></extra>",
        )
    )
    top = max([v or 0 for v in vals] + [s or 0 for s in stds]) * 1.3 or 1
    fig.update_yaxes(tickformat=".0%", range=[0, top])
    return _layout(fig, height=340, title=title)


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
                text=[f"{v:.1%}" if not progress.missing(v) else "—" for v in d[rate]],
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
    return _layout(fig, height=max(360, 24 * len(d) + 110), title=title)


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
    return _layout(fig, height=360, title=title)


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
                GREY if progress.missing(v) else OK_COLOR if (v >= goal) == higher_is_better or v == goal else BAD_COLOR
                for v in vals
            ]
    fmt = (lambda v: f"{v:.1%}") if percent else (lambda v: f"{v:.1f}")
    fig = go.Figure(
        go.Bar(
            y=df[name_col],
            x=vals,
            orientation="h",
            marker_color=list(colors),
            text=["—" if progress.missing(v) else fmt(v) for v in vals],
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
    fig = _layout(fig, height=max(240, 24 * len(df) + 100), title=title)
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
            AREA_COLORS.get(n, NEUTRAL) if std is None or progress.missing(v) or v >= std else BAD_COLOR
            for n, v in zip(df["name"], df[k])
        ]
        fig.add_trace(
            go.Bar(
                y=df["name"],
                x=df[k],
                orientation="h",
                marker_color=colors,
                text=["—" if progress.missing(v) else f"{v:.2f}" for v in df[k]],
                textposition="auto",
                showlegend=False,
                hovertemplate="%{y}：%{x:.2f}<extra>" + cols[k] + "</extra>",
            ),
            row=1,
            col=i,
        )
        if std is not None and not progress.missing(std):
            fig.add_vline(x=std, line_dash="dash", line_color="#555", row=1, col=i)
        fig.update_xaxes(range=_room(df[k], std if std is not None else 0, pad=1.18), row=1, col=i)
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_annotations(font_size=12)
    return _layout(fig, height=max(240, 24 * len(df) + 100), title=title)


# ---------------------------------------------------------------------------------------------
# 学前教育


def bullet_bars(items: Sequence[tuple[str, float, float]], title: str | None = None) -> go.Figure:
    """Indicators (label, value, threshold) as horizontal bars with their threshold ticks."""
    labels = [i[0] for i in items]
    vals = [None if progress.missing(i[1]) else float(i[1]) for i in items]
    stds = [None if progress.missing(i[2]) else float(i[2]) for i in items]
    colors = [OK_COLOR if v is not None and s is not None and v >= s else BAD_COLOR for v, s in zip(vals, stds)]
    fig = go.Figure(
        go.Bar(
            y=labels,
            x=vals,
            orientation="h",
            marker_color=colors,
            text=["—" if v is None else f"{v:.1%}" for v in vals],
            textposition="outside",
            name="实际",
            hovertemplate="%{y}：%{x:.1%}<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            y=labels,
            x=stds,
            mode="markers",
            marker=dict(symbol="line-ns-open", size=34, color="#333", line=dict(width=3, color="#333")),
            name="标准",
            hovertemplate="%{y}标准：%{x:.0%}<extra></extra>",
        )
    )
    top = max([v or 0 for v in vals] + [s or 0 for s in stds] + [1.0]) * 1.12
    fig.update_xaxes(tickformat=".0%", range=[0, top])
    fig.update_yaxes(autorange="reversed")
    fig = _layout(fig, height=250, title=title)
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
    return _layout(fig, height=320, title=title)


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
    fig = _layout(fig, height=max(260, 34 * n + 80), title=title)
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
                text=["—" if progress.missing(v) else (f"{v:.0%}" if pct else f"{v:.2f}") for v in df[col]],
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
    return _layout(fig, height=max(340, 24 * len(df) + 100), title=title)


# What a town lacks while it misses a town-scoped target, for 需补齐的镇 (by indicator key;
# other targets fall back to their wording).
SHORTFALL_LABELS = {
    "public_boarding_school": "尚无公办寄宿制学校",
    "public_central_kindergarten": "尚无规范化公办中心幼儿园",
    "district_management": "学区化管理、教师走教未全落实",
}


def town_shortfall_lines(short: pd.DataFrame, keys: dict[str, str] | None = None) -> list[str]:
    """One Markdown line per town-scoped target: what is missing and in which towns (“无” when
    every town meets it). `keys` maps target_id → indicator_key."""
    lines = []
    for r in short.to_dict("records"):
        key = (keys or {}).get(r["target_id"], "")
        label = SHORTFALL_LABELS.get(key) or _short(r["wording"], 26)
        due = r.get("deadline")
        due = f"，期限{md(due)}" if not progress.missing(due) and str(due).strip() else ""
        towns = "、".join(md(t) for t in r["towns"]) or "无"
        lines.append(f"**{md(label)}**（{md(r['target_id'])}{due}）：{towns}")
    return lines


def _short(text, n: int) -> str:
    text = "" if progress.missing(text) else str(text)
    return text if len(text) <= n else text[: n - 1] + "…"


def town_verdict_html(row: dict | None, year: int) -> str:
    """The plan's verdict for one town's unit of a target, after its count line: the 2025
    word and “逾期N年” / “N年补齐” (empty when targets_status has no row for the town)."""
    if not row:
        return ""
    late = progress.catch_up_note(row.get("met_year"), row.get("overdue_since"), year, row.get("deadline"))
    late = f' <b style="color:{"#1b5e20" if late.endswith("补齐") else "#b71c1c"}">{_esc(late)}</b>' if late else ""
    return f"　方案结论：{chip(row['status_2025'], '2025')}{late}"


def town_target_html(row: dict, year: int) -> str:
    """A town-scoped target judged for one town (those without a count line of their own)."""
    value = progress.format_value(row.get("value"), row.get("unit"))
    goal = progress.format_goal(row.get("comparator"), row.get("goal"), row.get("unit"))
    deadline = row.get("deadline_note")
    deadline = tagged(deadline) if not progress.missing(deadline) and str(deadline).strip() else _esc(row["deadline"])
    late = progress.catch_up_note(row.get("met_year"), row.get("overdue_since"), year, row.get("deadline"))
    late = f' <b style="color:{"#1b5e20" if late.endswith("补齐") else "#b71c1c"}">{_esc(late)}</b>' if late else ""
    return (
        f'<div style="margin:4px 0">{chip(row["status_2025"], "2025")}{chip(row["status_2027"], "2027")}'
        f"<b>{_esc(row['target_id'])}</b> 现值 {_esc(value)}（目标 {_esc(goal)}）{late}"
        f"<br><small>{_esc(row['wording'])}（期限：{deadline}）</small></div>"
    )


def _first(row: dict, *names):
    for n in names:
        if n in row and not progress.missing(row[n]):
            return row[n]
    return None


def task_rows_html(tasks: pd.DataFrame) -> str:
    """A town's tasks (town_tasks rows): status chip, id and wording, latest report and date."""
    out = []
    for r in tasks.to_dict("records"):
        status = _first(r, "status", "task_status") or progress.NO_DATA
        when = _first(r, "updated_on", "task_updated_on")
        when = pd.Timestamp(when).strftime("%Y-%m-%d") if when is not None else ""
        note = _first(r, "note", "task_note")
        report = _first(r, "task_status", "reported_status")
        detail = "；".join(
            x for x in (f"最新记录：{_esc(report)}" if report and report != status else "", _esc(note), _esc(when)) if x
        )
        deadline = _first(r, "deadline_note", "deadline")
        if r.get("source") == "全市":
            detail = "本镇街无记录，显示全市进展" + (f"：{detail}" if detail else "")
        out.append(
            f'<div style="margin:3px 0">{chip(status)}<b style="color:#1f5fa8">{_esc(r.get("target_id"))}</b>　'
            f"{_esc(_short(r.get('wording'), 60))}"
            + (f'<span style="color:#888;font-size:0.8rem">（期限：{tagged(deadline)}）</span>' if deadline else "")
            + (f'<div style="font-size:0.82rem;color:#555;margin-left:4px">{detail}</div>' if detail else "")
            + "</div>"
        )
    return "".join(out)


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
    fig = _layout(fig, height=300, title=title)
    fig.update_layout(legend=dict(orientation="h", yanchor="top", y=-0.25, xanchor="left", x=0), margin_b=70)
    return fig
