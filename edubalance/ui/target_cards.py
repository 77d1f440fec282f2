"""目标进度 as HTML: status chips and legend, sparklines, target cards, the 总览 attention list,
the 需补齐的镇 lines and a town's verdicts and tasks. Pure functions from progress.py roll-ups
and query rows to escaped HTML/Markdown strings (every data text goes through safe_text);
the Plotly figures of the same pages are in charts_targets."""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

import pandas as pd

from edubalance.charts.base import NEUTRAL, OK_COLOR
from edubalance.metrics import progress
from edubalance.model.format import format_target_value, is_missing
from edubalance.model.safe_text import html_text, md

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


def _esc(v) -> str:
    # html_text, not html.escape: the cards go through Markdown too (a blank line in a name
    # would end the HTML block, and Markdown would then link bare URLs).
    return "" if is_missing(v) else html_text(v)


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
    pts = [(int(y), float(v)) for y, v in zip(years, values) if not is_missing(v)]
    if not pts:
        return f'<svg width="{width}" height="{height}"></svg>'
    ys = [v for _, v in pts] + ([float(goal)] if goal is not None and not is_missing(goal) else [])
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
    if goal is not None and not is_missing(goal):
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


def late_note_html(row, year: int) -> str:
    """“逾期N年” in red or “N年补齐” in green (progress.catch_up_note), empty when on time."""
    late = progress.catch_up_note(row.get("met_year"), row.get("overdue_since"), year, row.get("deadline"))
    if not late:
        return ""
    color = "#1b5e20" if late.endswith("补齐") else "#b71c1c"
    return f'<b style="color:{color}">{_esc(late)}</b>'


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
    return not is_missing(note) and "[D]" in str(note)


def horizon_chips(row) -> str:
    """The 2025 and 2027 words; for a measured target, a column whose deadline the data have
    not reached yet is a projection and says so (预判). A task's word is its latest report."""
    out = []
    for h in progress.HORIZONS:
        final = row.get(f"final_{h}")
        known = final is not None and not is_missing(final) and row.get("kind") != "qualitative"
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
    clause = f'<span style="color:#888;font-size:0.75rem">　{_esc(clause)}</span>' if not is_missing(clause) else ""
    head = f'<b style="color:#1f5fa8">{_esc(row["target_id"])}</b>　{_esc(row["wording"])}{clause}'
    chips = horizon_chips(row)
    deadline = row.get("deadline_note")
    deadline = tagged(deadline) if not is_missing(deadline) and str(deadline).strip() else _esc(row["deadline"])
    facts, trend, path = [], "", ""
    if qualitative:
        if is_missing(row.get("task_status")):
            facts.append("任务进展：尚无记录")
        else:
            when = row.get("task_updated_on")
            when = pd.Timestamp(when).strftime("%Y-%m-%d") if not is_missing(when) else ""
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
            facts.append(f"现值 <b>{_esc(format_target_value(row['value'], unit))}</b>")
            if not is_missing(row.get("value_year")):
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
    late = late_note_html(row, year) if year is not None else ""
    if late:
        facts.append(late)
    measure = row.get("measure_note")
    if shared_note and not is_missing(measure) and str(measure).startswith(shared_note):
        # the note every task shares is said once on the page; keep only what is this card's own
        measure = str(measure)[len(shared_note) :].lstrip("；; ")
    measure = (
        f'<div style="font-size:0.8rem;color:#8a4b00">口径：{tagged(measure)}</div>'
        if not is_missing(measure) and str(measure).strip()
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
            miss = f"任务进展：{_esc(task) if not is_missing(task) else '无进展记录'}"
        else:
            miss = (
                f"全市现值 {_esc(format_target_value(a.get('value'), a.get('unit')))}"
                f"（目标 {_esc(progress.format_goal(a.get('comparator'), a.get('goal'), a.get('unit')))}）"
            )
        late = late_note_html(a, year)
        late = f" {late}" if late else ""
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
        due = f"，期限{md(due)}" if not is_missing(due) and str(due).strip() else ""
        towns = "、".join(md(t) for t in r["towns"]) or "无"
        lines.append(f"**{md(label)}**（{md(r['target_id'])}{due}）：{towns}")
    return lines


def _short(text, n: int) -> str:
    text = "" if is_missing(text) else str(text)
    return text if len(text) <= n else text[: n - 1] + "…"


def town_verdict_html(row: dict | None, year: int) -> str:
    """The plan's verdict for one town's unit of a target, after its count line: the 2025
    word and “逾期N年” / “N年补齐” (empty when targets_status has no row for the town)."""
    if not row:
        return ""
    late = late_note_html(row, year)
    late = f" {late}" if late else ""
    return f"　方案结论：{chip(row['status_2025'], '2025')}{late}"


def town_target_html(row: dict, year: int) -> str:
    """A town-scoped target judged for one town (those without a count line of their own)."""
    value = format_target_value(row.get("value"), row.get("unit"))
    goal = progress.format_goal(row.get("comparator"), row.get("goal"), row.get("unit"))
    deadline = row.get("deadline_note")
    deadline = tagged(deadline) if not is_missing(deadline) and str(deadline).strip() else _esc(row["deadline"])
    late = late_note_html(row, year)
    late = f" {late}" if late else ""
    return (
        f'<div style="margin:4px 0">{chip(row["status_2025"], "2025")}{chip(row["status_2027"], "2027")}'
        f"<b>{_esc(row['target_id'])}</b> 现值 {_esc(value)}（目标 {_esc(goal)}）{late}"
        f"<br><small>{_esc(row['wording'])}（期限：{deadline}）</small></div>"
    )


def _first(row: dict, *names):
    for n in names:
        if n in row and not is_missing(row[n]):
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
