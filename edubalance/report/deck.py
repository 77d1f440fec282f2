"""Meeting outputs: the PowerPoint deck and the town briefs (python-pptx), built from the named
queries only.

The content is built once as a list of ``Section`` objects (titles, one-line conclusions,
bullets, display tables, chart specifications, the map figure) by ``deck_sections`` and
``town_sections``. ``render_pptx`` turns sections into slides; the 汇报导出 page renders the
same sections in presentation mode, so the deck and the screen never disagree.

Charts are native PowerPoint charts (``CategoryChartData``): the office that presents can edit
them and their numbers. Each chart's shape name records the query, parameters and column its
values came from (``query|key=value|…|column``) so a test — or a curious analyst — can check
them against ``python -m edubalance query``. The map is the only picture: a PNG drawn by
kaleido in the Debian chromium; when that fails the slide says so instead.
"""

from __future__ import annotations

import asyncio
import io
import logging
import os
import queue
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from copy import deepcopy
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from edubalance.metrics import progress
from edubalance.model import registry
from edubalance.store import db as dbmod
from edubalance.store.paths import STATIC_DIR, db_path

FONT = "Microsoft YaHei"
SLIDE_W_IN = 13.333
SLIDE_H_IN = 7.5
# The status words, their order and which one speaks for a target whose units disagree come
# from progress.py, so the deck says what 目标进度 says.
STATUS_ORDER = progress.STATUS_ORDER
# Words that put a target on the slide's list: final misses, the wrong way, too slow.
BEHIND = (progress.LATE, progress.OVERDUE, progress.OFF_TRACK, progress.ACCELERATE)
COMPULSORY = ("小学", "初中")
BALANCE_GROUP = "义务教育优质均衡（资源配置）"
CMP_SYMBOL = {">=": "≥", "<=": "≤", ">": ">", "<": "<"}

# Colours (RGB hex): title bar, accents, good/bad.
BLUE = "1F5FA8"
DARK = "1F2937"
GREY = "6B7280"
RED = "C62828"
GREEN = "2E7D32"
SERIES_COLORS = ("1F5FA8", "EF6C00", "8E44AD", "00897B", "6D4C41")
MAP_SCALE = [[0.0, "#fee5d9"], [0.5, "#fb6a4a"], [1.0, "#a50f15"]]

Fetch = Callable[..., pd.DataFrame]
log = logging.getLogger(__name__)


# ---------------------------------------------------------------------------------------------
# Content model
# ---------------------------------------------------------------------------------------------


@dataclass
class ChartSpec:
    """A bar chart: categories × named series, with where its values came from."""

    source: str  # "query|param=value|…|column": the query result the values equal
    title: str
    categories: list[str]
    series: dict[str, list[float | None]]
    number_format: str = "0.00"  # Excel number format of the values
    horizontal: bool = True
    stacked: bool = False
    bad: list[bool] | None = None  # single series: points drawn in the warning colour
    reference: float | None = None  # a standard or cap, named in the title
    reference_label: str = ""
    description: str = ""

    def frame(self) -> pd.DataFrame:
        """The chart's data as a table (category column plus one column per series)."""
        df = pd.DataFrame({"类别": self.categories})
        for name, values in self.series.items():
            df[name] = values
        return df


@dataclass
class Section:
    """One slide of the deck, one screen of presentation mode."""

    key: str
    title: str
    subtitle: str = ""
    bullets: list[str] = field(default_factory=list)
    table: pd.DataFrame | None = None  # display strings, Chinese headers
    table_bad: list[bool] | None = None  # rows shown in the warning colour
    charts: list[ChartSpec] = field(default_factory=list)
    figure: object | None = None  # plotly figure (the map), drawn as a picture in the deck
    figure_note: str = ""
    source: str = ""
    kind: str = "content"  # "title" for the title slide


@dataclass
class DeckContext:
    year: int
    county: str
    county_code: str
    is_demo: bool
    last_import: str
    first_year: int | None
    last_year: int | None


# ---------------------------------------------------------------------------------------------
# Formatting helpers
# ---------------------------------------------------------------------------------------------


def school_year_label(year: int) -> str:
    return f"{year}—{year + 1}学年"


def _isnull(v) -> bool:
    return v is None or (isinstance(v, float) and pd.isna(v)) or v is pd.NA or (not isinstance(v, str) and pd.isna(v))


def fmt(v, unit: str | None = None) -> str:
    """A value for display in the unit's usual precision."""
    if _isnull(v):
        return "—"
    v = float(v)
    if unit == "比例":
        return f"{v:.1%}"
    if unit in ("元/生", "元", "元/年", "万元", "所", "个", "项"):
        return f"{v:,.0f}"
    if unit == "系数":
        return f"{v:.3f}"
    if unit == "人" and float(v).is_integer():
        return f"{v:,.0f}"
    return f"{v:,.2f}"


def xl_format(unit: str | None) -> str:
    """The Excel number format matching ``fmt`` (used for native chart data)."""
    if unit == "比例":
        return "0.0%"
    if unit in ("元/生", "元", "元/年", "万元", "所", "个", "项"):
        return "#,##0"
    if unit == "系数":
        return "0.000"
    return "0.00"


def d3_format(number_format: str) -> str:
    """The plotly (d3) format of an Excel number format, for the on-screen charts."""
    return {"0.0%": ".1%", "0%": ".0%", "#,##0": ",.0f", "0.000": ".3f", "0.00": ",.2f", "0": ",.0f"}.get(
        number_format, ",.2f"
    )


def _num(v) -> float | None:
    return None if _isnull(v) else float(v)


def _short_names() -> dict[str, str]:
    ind = registry.indicators()
    return dict(zip(ind["key"], ind["short_zh"].where(ind["short_zh"] != "", ind["name_zh"])))


def _standard_text(key: str, scopes: tuple[str, ...] | None = None) -> str:
    st = registry.standards()
    rows = st[st["indicator_key"] == key]
    if scopes:
        rows = rows[rows["scope"].isin(scopes)]
    ind = registry.indicators()
    unit = ind.loc[ind["key"] == key, "unit"]
    unit = unit.iloc[0] if len(unit) else None
    return "；".join(
        f"{'' if r.scope == '全市' else r.scope}{CMP_SYMBOL.get(r.comparator, r.comparator)}{fmt(r.value, unit)}"
        for r in rows.itertuples()
    )


def _list_text(names: list[str], limit: int = 8) -> str:
    if not names:
        return "无"
    return "、".join(names[:limit]) + (f" 等 {len(names)} 个" if len(names) > limit else "")


# ---------------------------------------------------------------------------------------------
# Data access
# ---------------------------------------------------------------------------------------------


@contextmanager
def open_fetch(db: Path | str | None = None) -> Iterator[Fetch]:
    """A ``fetch(name, **params)`` over one read-only connection to the database."""
    con = dbmod.connect(db_path(db))
    memo: dict[tuple, pd.DataFrame] = {}

    def fetch(name: str, **params) -> pd.DataFrame:
        # Several slides read the same result; run each query once per export.
        key = (name, tuple(sorted(params.items())))
        if key not in memo:
            memo[key] = dbmod.run(name, params, con=con)
        return memo[key].copy()

    try:
        yield fetch
    finally:
        con.close()


def has_query(name: str) -> bool:
    return name in dbmod.list_queries()


def county_name(code: str) -> str:
    """The county's name from the outline package; the code itself when unavailable."""
    try:
        from edubalance.geo.outline import county_name as geo_county_name

        return geo_county_name(code)
    except Exception:  # noqa: BLE001 — a missing outline must not stop a meeting deck
        return f"县（市、区）{code}"


def context(fetch: Fetch, year: int) -> DeckContext:
    info = fetch("dataset_info").iloc[0].to_dict()
    code = str(info.get("county_code") or "")
    last = info.get("last_import")
    last_text = "—" if _isnull(last) else pd.Timestamp(last).strftime("%Y-%m-%d %H:%M")
    return DeckContext(
        year=year,
        county=county_name(code) if code else "本县（市、区）",
        county_code=code,
        is_demo=bool(info.get("is_demo")),
        last_import=last_text,
        first_year=None if _isnull(info.get("first_year")) else int(info["first_year"]),
        last_year=None if _isnull(info.get("last_year")) else int(info["last_year"]),
    )


# ---------------------------------------------------------------------------------------------
# The deck's sections
# ---------------------------------------------------------------------------------------------


def key_indicators(cv: pd.DataFrame, stage: str, n: int = 2) -> list[str]:
    """The stage's indicators with the largest CV relative to its cap (where towns differ most)."""
    d = cv[cv["stage"] == stage].copy()
    if d.empty:
        return []
    d["load"] = d["cv"] / d["threshold"]
    return d.sort_values("load", ascending=False)["indicator"].head(n).tolist()


def ranking_chart(gaps: pd.DataFrame, year: int, stage: str, indicator: str) -> ChartSpec | None:
    """Towns ranked by their pupil-weighted value of one indicator (town_gaps.town_value)."""
    d = gaps[(gaps["indicator"] == indicator) & gaps["town_value"].notna()]
    if d.empty:
        return None
    higher = (d["direction"].iloc[0] or "higher") != "lower"
    d = d.sort_values("town_value", ascending=not higher)
    unit = d["unit"].iloc[0]
    name = _short_names().get(indicator, d["indicator_name"].iloc[0])
    standard = _num(d["standard"].iloc[0])
    city = _num(d["city_value"].iloc[0])
    if standard is not None:
        bad = [(v < standard) if higher else (v > standard) for v in d["town_value"]]
    else:
        bad = [(v < city) if higher else (v > city) for v in d["town_value"]] if city is not None else None
    parts = [f"全市 {fmt(city, unit)}"]
    if standard is not None:
        parts.append(f"标准 {'≥' if higher else '≤'}{fmt(standard, unit)}")
    return ChartSpec(
        source=f"town_gaps|year={year}|stage={stage}|indicator={indicator}|town_value",
        title=f"{stage}·{name}（{unit}）  " + " · ".join(parts),
        categories=d["town_name"].tolist(),
        series={name: [float(v) for v in d["town_value"]]},
        number_format=xl_format(unit),
        bad=bad,
        reference=standard,
        reference_label="标准",
        description=f"{stage}各镇街{d['indicator_name'].iloc[0]}，红色为未达标准",
    )


def _targets_section(fetch: Fetch, ctx: DeckContext) -> Section:
    """Headline status for 2025 and 2027: from targets_status when that query exists."""
    if has_query("targets_status"):
        try:
            ts = fetch("targets_status", year=ctx.year)
        except Exception:  # noqa: BLE001 — fall back to the building blocks below
            ts = None
        if ts is not None and len(ts):
            return _targets_from_status(ts, ctx)
    return _targets_fallback(fetch, ctx)


def target_rollup(ts: pd.DataFrame) -> pd.DataFrame:
    """One row per target: its worst status over its scope units for 2025 and for 2027, how
    many units meet it, and when it missed its deadline (overdue_since) or was met (met_year)."""
    reg = registry.targets().set_index("target_id")
    rows = []
    for tid, g in ts.groupby("target_id", sort=False):
        row = {"target_id": tid, "units": len(g)}
        for col in ("status_2025", "status_2027"):
            st = [s for s in g[col].dropna().astype(str) if s]
            row[col] = progress.worst(st)
            row[col + "_met"] = sum(1 for s in st if progress.is_met(s))
        overdue = g["overdue_since"].dropna() if "overdue_since" in g else pd.Series(dtype=float)
        row["overdue_since"] = int(overdue.min()) if len(overdue) else None
        met = g["met_year"] if "met_year" in g else pd.Series([None])
        row["met_year"] = int(met.max()) if len(met) and met.notna().all() else None
        first = g.iloc[0]
        row["kind"] = first["kind"] if "kind" in g else (reg["kind"].get(tid, "") if tid in reg.index else "")
        row["wording"] = (
            first["wording"] if "wording" in g else (reg["wording"].get(tid, "") if tid in reg.index else "")
        )
        row["deadline"] = str(first["deadline"]) if "deadline" in g else ""
        rows.append(row)
    return pd.DataFrame(rows)


def _status_order(values) -> list[str]:
    seen = [s for s in STATUS_ORDER if s in set(values)]
    return seen + sorted(set(values) - set(STATUS_ORDER))


def _targets_from_status(ts: pd.DataFrame, ctx: DeckContext) -> Section:
    allroll = target_rollup(ts)
    roll = allroll[allroll["kind"] != "qualitative"]
    qual = allroll[allroll["kind"] == "qualitative"]
    statuses = _status_order(list(roll["status_2025"]) + list(roll["status_2027"]))
    counts = {f"{y}年": [float((roll[f"status_{y}"] == s).sum()) for s in statuses] for y in (2025, 2027)}
    chart = ChartSpec(
        source=f"targets_status|year={ctx.year}|target_rollup",
        title="可量化目标的状态（目标数）",
        categories=statuses,
        series=counts,
        number_format="0",
        horizontal=False,
        description="按2025年、2027年两个时点统计的可量化目标状态分布",
    )
    # Final misses first, then the wrong way, then too slow (worst word of the two columns).
    roll = roll.assign(_worst=[progress.worst([a, b]) for a, b in zip(roll["status_2025"], roll["status_2027"])])
    behind = roll[roll["_worst"].isin(BEHIND)].sort_values(
        "_worst", key=lambda c: c.map(progress.SEVERITY), ascending=False, kind="stable"
    )
    rows = []
    for r in behind.itertuples():
        rows.append(
            {
                "目标": r.target_id,
                "内容": (r.wording[:18] + "…") if len(r.wording) > 19 else r.wording,
                "2025年": r.status_2025,
                "2027年": r.status_2027,
                "逾期": progress.catch_up_note(r.met_year, r.overdue_since, ctx.year, getattr(r, "deadline", None))
                or "—",
                "未达标单位": f"{r.units - r.status_2025_met}/{r.units}" if r.units > 1 else "—",
            }
        )
    bullets = []
    if len(behind) > 10:
        bullets.append(f"另有 {len(behind) - 10} 项未列出，见“目标进度”页。")
    if len(qual):
        qs = qual["status_2027"].value_counts()
        bullets.append(
            f"定性任务 {len(qual)} 项：" + "，".join(f"{k} {v}" for k, v in qs.items()) + "（状态取自任务进展）。"
        )
    # The legend of the words on this slide, as the page words it.
    present = set(roll["status_2025"]) | set(roll["status_2027"]) | set(qual["status_2027"])
    bullets.append("状态说明：" + progress.status_legend_text([w for w in progress.STATUS_ORDER if w in present]))
    met25 = int((roll["status_2025"] == progress.MET).sum())
    met27 = int((roll["status_2027"] == progress.MET).sum())
    late = int((roll["_worst"] == progress.LATE).sum())
    return Section(
        key="targets",
        title="目标进度：2025年与2027年",
        subtitle=f"{len(roll)} 项可量化目标：已达标 {met25} 项，未按期达标 {late} 项；"
        f"未按期达标、偏离或需加速共 {len(behind)} 项"
        + ("。" if met27 == met25 else f"（2027年口径已达标 {met27} 项）。"),
        bullets=bullets if rows else ["没有未按期达标、偏离或需加速的可量化目标。"] + bullets,
        table=pd.DataFrame(rows[:10]) if rows else None,
        table_bad=[True] * min(len(rows), 10) if rows else None,
        charts=[chart],
        source="数据：targets_status（预期路径法：实际年均变化 ÷ 按期达标所需年均变化）；目标：targets.csv",
    )


def _targets_fallback(fetch: Fetch, ctx: DeckContext) -> Section:
    """Current status of the targets the core queries answer (no trend method available)."""
    y = ctx.year
    cv = fetch("balance_cv", year=y)
    cov = fetch("town_coverage", year=y)
    cls = fetch("class_size_summary", year=y)
    big = fetch("oversized_schools", year=y)
    comp = fetch("school_compliance", year=y)
    teach = teacher_summary(fetch, y)
    pre = preschool_summary(fetch, y)
    zhen = cov[cov["required"]]
    rows = []

    def add(target, deadline, now, ok):
        rows.append({"目标": target, "期限": deadline, "现状": now, "判断": "已达标" if ok else "未达标"})

    add(
        "每个镇至少1所公办寄宿制学校",
        "2025年",
        f"{int(zhen['has_boarding'].sum())}/{len(zhen)} 个镇已有",
        bool(zhen["has_boarding"].all()),
    )
    add(
        "每个镇1所以上规范化公办中心幼儿园",
        "2025年",
        f"{int(zhen['has_central_kg'].sum())}/{len(zhen)} 个镇已有",
        bool(zhen["has_central_kg"].all()),
    )
    add(
        "消除大班额、大校额",
        "2025年",
        f"大班额 {int(cls['big_classes'].sum())} 个班；大校额 {len(big)} 所",
        int(cls["big_classes"].sum()) == 0 and len(big) == 0,
    )
    schools = comp.drop_duplicates(["school_id", "stage"])
    add(
        "学校资源配置达标（7项中至少6项）",
        "持续",
        f"{int(schools['passes_6_of_7'].sum())}/{len(schools)} 所学校（段）",
        bool(schools["passes_6_of_7"].all()),
    )
    for stage in COMPULSORY:
        d = cv[cv["stage"] == stage]
        if len(d):
            add(
                f"{stage}校际差异系数≤{d['threshold'].iloc[0]:.2f}",
                "2027年",
                f"{int(d['passed'].sum())}/{len(d)} 项在限值内",
                bool(d["passed"].all()),
            )
    deadlines = registry.targets().set_index("indicator_key")["deadline"].to_dict()
    for df in (teach, pre):
        for r in df.itertuples():
            if _isnull(r.standard):
                continue
            dl = deadlines.get(r.indicator, "")
            add(
                f"{r.indicator_name}{CMP_SYMBOL.get(r.comparator, r.comparator)}{fmt(r.standard, r.unit)}",
                f"{dl}年" if str(dl).isdigit() else (dl or "—"),
                fmt(r.value, r.unit),
                bool(r.met),
            )
    table = pd.DataFrame(rows)
    met = int((table["判断"] == "已达标").sum())
    return Section(
        key="targets",
        title="目标进度：2025年与2027年",
        subtitle=f"{len(table)} 项可由本库数据回答的目标中，{met} 项本学年已达标。",
        bullets=["按期可达、需加速等进度判断需多学年趋势，由“目标进度”模块提供；此处为本学年现状。"],
        table=table,
        table_bad=[v != "已达标" for v in table["判断"]],
        source="数据：town_coverage、class_size_summary、oversized_schools、school_compliance、balance_cv、"
        "teacher_policy、principals_summary、preschool_summary；目标：targets.csv",
    )


def _cv_section(cv: pd.DataFrame, ctx: DeckContext) -> Section:
    short = _short_names()
    stages = [s for s in COMPULSORY if s in set(cv["stage"])]
    order = cv.drop_duplicates("indicator")["indicator"].tolist()
    names = cv.drop_duplicates("indicator").set_index("indicator")["indicator_name"]
    caps = cv.groupby("stage")["threshold"].first()
    rows, bad = [], []
    for ind in order:
        row = {"指标": names[ind]}
        row_bad = False
        for s in stages:
            r = cv[(cv["stage"] == s) & (cv["indicator"] == ind)]
            if r.empty:
                row[f"{s}（≤{caps[s]:.2f}）"] = "—"
                continue
            ok = bool(r["passed"].iloc[0])
            row_bad |= not ok
            row[f"{s}（≤{caps[s]:.2f}）"] = f"{r['cv'].iloc[0]:.3f} {'✓' if ok else '✗超限'}"
        rows.append(row)
        bad.append(row_bad)
    series = {}
    for s in stages:
        d = cv[cv["stage"] == s].set_index("indicator").reindex(order)
        series[s] = [_num(v) for v in d["cv"]]
    chart = ChartSpec(
        source=f"balance_cv|year={ctx.year}|cv",
        title="校际差异系数（" + "；".join(f"{s}限值 {caps[s]:.2f}" for s in stages) + "）",
        categories=[short.get(i, names[i]) for i in order],
        series=series,
        number_format="0.000",
        description="各指标小学、初中校际差异系数",
    )
    fails = [
        f"{short.get(r.indicator, r.indicator_name)}（{r.stage} {r.cv:.3f}）" for r in cv[~cv["passed"]].itertuples()
    ]
    passed = "；".join(
        f"{s} {int(cv[cv['stage'] == s]['passed'].sum())}/{int((cv['stage'] == s).sum())} 项" for s in stages
    )
    return Section(
        key="cv",
        title="县域义务教育校际差异系数",
        subtitle=f"在限值内：{passed}。" + (f"超限：{'、'.join(fails)}。" if fails else "全部指标在限值内。"),
        table=pd.DataFrame(rows),
        table_bad=bad,
        charts=[chart],
        source="数据：balance_cv（按在校生加权，一贯制学校分学段，不含特教学校和不足50人的教学点）；限值：办法2017",
    )


def _ranking_section(fetch: Fetch, cv: pd.DataFrame, stage: str, ctx: DeckContext) -> Section | None:
    keys = key_indicators(cv, stage)
    if not keys:
        return None
    gaps = fetch("town_gaps", year=ctx.year, stage=stage)
    charts = [c for c in (ranking_chart(gaps, ctx.year, stage, k) for k in keys) if c is not None]
    if not charts:
        return None
    short = _short_names()
    notes = []
    for k, c in zip(keys, charts):
        low = [cat for cat, b in zip(c.categories, c.bad or []) if b]
        notes.append(f"{short.get(k, k)}未达标：{_list_text(low, 6)}")
    missing = sorted(set(gaps["town_name"]) - set(charts[0].categories)) if charts else []
    return Section(
        key=f"ranking_{stage}",
        title=f"镇街排名：{stage}（差异系数最高的两项指标）",
        subtitle="；".join(notes) + "。",
        charts=charts,
        bullets=[f"无{stage}在校生的镇街未列出：{'、'.join(missing)}"] if missing else [],
        source=f"数据：town_gaps（镇街值 = k·ΣR/ΣP，按在校生加权）；{stage}标准：indicator_standards.csv",
    )


def _map_section(fetch: Fetch, lag: pd.DataFrame, ctx: DeckContext) -> Section:
    from edubalance.charts.map import town_map
    from edubalance.geo.zones import OUTLINE_CREDIT, town_geojson

    towns = fetch("town_list")
    tv = lag[lag["compulsory_students"] > 0][["town_code", "town_name", "below_standard"]].rename(
        columns={"below_standard": "value"}
    )
    worst = lag[(lag["compulsory_students"] > 0) & (lag["below_standard"] > 0)].head(3)
    note = ""
    fig = None
    try:
        geojson, schematic = town_geojson(towns)
        fig = town_map(
            geojson,
            tv,
            value_label="低于标准的指标项数",
            unit="项",
            schematic=schematic,
            colorscale=MAP_SCALE,
            value_format=",.0f",
            height=640,
        )
    except Exception as exc:  # noqa: BLE001 — no outline or zones: say so on the slide
        note = f"未能绘制镇街地图：{exc}"
    no_seat = towns[towns["seat_lon"].isna() | towns["seat_lat"].isna()]["town_name"].tolist()
    bullets = [
        "颜色越深，小学、初中7项资源配置指标中低于标准的项数越多（两学段合计，最多14项）。",
        "最需关注：" + ("、".join(f"{r.town_name}（{r.below_standard} 项）" for r in worst.itertuples()) or "无"),
    ]
    if no_seat:
        bullets.append(f"无驻地坐标、未绘制分区：{'、'.join(no_seat)}（数据仍计入各表）。")
    bullets.append(f"镇街分区为示意边界（非法定界线）；{OUTLINE_CREDIT}。")
    return Section(
        key="map",
        title="镇街分布：资源配置短板",
        subtitle="低于标准的指标项数（小学＋初中）",
        bullets=bullets,
        figure=fig,
        figure_note=note,
        source="数据：export_lagging_towns；边界：示意分区（驻地 Voronoi，裁剪至县域轮廓）",
    )


def _lagging_section(lag: pd.DataFrame, cov: pd.DataFrame, ctx: DeckContext) -> Section:
    d = lag[lag["compulsory_students"] > 0].merge(
        cov[["town_code", "required", "has_boarding", "has_central_kg"]], on="town_code", how="left"
    )
    lagging = d[(d["below_standard"] > 0) | (d["required"].fillna(False) & ~(d["has_boarding"] & d["has_central_kg"]))]
    top = lagging.head(8)
    rows = []
    for r in top.itertuples():
        missing = []
        if r.required and not r.has_boarding:
            missing.append("寄宿制学校")
        if r.required and not r.has_central_kg:
            missing.append("中心幼儿园")
        rows.append(
            {
                "镇街": r.town_name,
                "低于标准（小学/初中）": f"{r.primary_below_standard}/{r.junior_below_standard} 项",
                "差距最大的指标": _worst_short(r.worst_indicator),
                "镇街÷全市": fmt(r.worst_ratio_to_city, "比例"),
                "缺少配置": "、".join(missing) or "—",
            }
        )
    chart_d = d[d["below_standard"] > 0]
    chart = ChartSpec(
        source=f"export_lagging_towns|year={ctx.year}|primary_below_standard,junior_below_standard",
        title="低于标准的资源配置指标项数",
        categories=chart_d["town_name"].tolist(),
        series={
            "小学": [float(v) for v in chart_d["primary_below_standard"]],
            "初中": [float(v) for v in chart_d["junior_below_standard"]],
        },
        number_format="0",
        stacked=True,
        description="各镇街小学、初中低于标准的指标项数",
    )
    head = "、".join(f"{r.town_name}（{r.below_standard} 项）" for r in chart_d.head(3).itertuples())
    return Section(
        key="lagging",
        title="滞后镇街及其差距",
        subtitle=f"低于标准项数最多：{head or '无'}。",
        table=pd.DataFrame(rows) if rows else None,
        table_bad=[True] * len(rows) if rows else None,
        charts=[chart] if len(chart_d) else [],
        bullets=[] if rows else ["没有镇街低于资源配置标准。"],
        source="数据：export_lagging_towns、town_coverage；标准：indicator_standards.csv",
    )


def _worst_short(text) -> str:
    """ "每百名学生拥有…（小学）" → the registry's short name with the stage."""
    if _isnull(text):
        return "—"
    text = str(text)
    ind = registry.indicators()
    for name, short in zip(ind["name_zh"], ind["short_zh"]):
        if short and text.startswith(name):
            return short + text[len(name) :]
    return text


def _class_section(fetch: Fetch, ctx: DeckContext) -> Section:
    cls = fetch("class_size_summary", year=ctx.year)
    big = fetch("oversized_schools", year=ctx.year)
    chart = ChartSpec(
        source=f"class_size_summary|year={ctx.year}|over_standard_share,big_share,super_big_share",
        title="班额超标情况（占班级数）",
        categories=cls["stage"].tolist(),
        series={
            "超过学段标准": [_num(v) for v in cls["over_standard_share"]],
            "大班额（≥56人）": [_num(v) for v in cls["big_share"]],
            "超大班额（≥66人）": [_num(v) for v in cls["super_big_share"]],
        },
        number_format="0.0%",
        horizontal=False,
        description="各学段超标准班额、大班额、超大班额占比",
    )
    bullets = [
        f"{r.stage}：{int(r.classes)} 个班，超过 {r.standard:.0f} 人的 {int(r.over_standard_classes)} 个，"
        f"大班额 {int(r.big_classes)} 个，超大班额 {int(r.super_big_classes)} 个。"
        for r in cls.itertuples()
    ]
    if len(big):
        bullets.append(
            "大校额学校："
            + "、".join(f"{r.school_name}（{int(r.students)}人，上限{r.cap:.0f}）" for r in big.head(5).itertuples())
        )
    else:
        bullets.append("无大校额学校。")
    return Section(
        key="class_size",
        title="班额与校额",
        subtitle=f"大班额 {int(cls['big_classes'].sum())} 个班、超大班额 {int(cls['super_big_classes'].sum())} 个班；"
        f"大校额学校 {len(big)} 所（目标：2025年全面消除）。",
        bullets=bullets,
        charts=[chart],
        source="数据：class_size_summary、oversized_schools；标准：indicator_standards.csv（班额、校额上限）",
    )


def _rate_section(df: pd.DataFrame, key: str, title: str, source: str, extra: list[str], ctx: DeckContext) -> Section:
    short = _short_names()
    ratios = df[df["unit"] == "比例"]
    chart = ChartSpec(
        source=f"{source}|year={ctx.year}|value,standard",
        title="实际值与目标值",
        categories=[short.get(k, n) for k, n in zip(ratios["indicator"], ratios["indicator_name"])],
        series={"实际值": [_num(v) for v in ratios["value"]], "目标值": [_num(v) for v in ratios["standard"]]},
        number_format="0.0%",
        horizontal=True,
        description=f"{title}：实际值与目标值",
    )
    rows = [
        {
            "指标": r.indicator_name,
            "实际值": fmt(r.value, r.unit),
            "目标": f"{CMP_SYMBOL.get(r.comparator, r.comparator or '')}{fmt(r.standard, r.unit)}",
            "判断": "—" if _isnull(r.met) else ("达标" if r.met else "未达标"),
        }
        for r in df.itertuples()
    ]
    misses = [short.get(r.indicator, r.indicator_name) for r in df.itertuples() if not _isnull(r.met) and not r.met]
    return Section(
        key=key,
        title=title,
        subtitle=f"{len(df) - len(misses)}/{len(df)} 项达到目标"
        + (f"；未达标：{'、'.join(misses)}。" if misses else "。"),
        table=pd.DataFrame(rows),
        table_bad=[r["判断"] == "未达标" for r in rows],
        charts=[chart],
        bullets=extra,
        source=f"数据：{source}；目标：indicator_standards.csv",
    )


def teacher_summary(fetch: Fetch, year: int) -> pd.DataFrame:
    """The teacher-policy headline in long form (indicator, value, comparator, standard, met),
    picked from teacher_policy (city row) and principals_summary (乡村 and 全市 rows)."""
    tp = fetch("teacher_policy", year=year)
    city = tp[tp["scope"] == "全市"]
    ps = fetch("principals_summary", year=year)
    ind = registry.indicators().set_index("key")
    st = registry.standards()

    def cmp_of(key):
        hit = st[(st["indicator_key"] == key) & (st["scope"] == "全市")]
        return (hit["comparator"].iloc[0], float(hit["value"].iloc[0])) if len(hit) else (None, None)

    def met(v, comparator, standard):
        if _isnull(v) or standard is None:
            return None
        return {">=": v >= standard, "<=": v <= standard, ">": v > standard, "<": v < standard}[comparator]

    def col(row, *names):
        # teacher_policy is young; accept its column names old and new.
        for n in names:
            if n in row.index:
                return row[n]
        return None

    rows = []
    if len(city):
        c = city.iloc[0]
        for key, value, std, ok, num, den in (
            ("exchange_rate_all", ("rate_all",), "standard_all", "met_all", "exchanged_all", "teachers"),
            (
                "exchange_rate_eligible",
                ("rate_eligible",),
                "standard_eligible",
                "met_eligible",
                "exchanged_eligible",
                "eligible",
            ),
            (
                "exchanged_backbone_share",
                ("exchanged_backbone_share", "backbone_share"),
                "standard_backbone",
                "met_backbone",
                "exchanged_backbone",
                "exchanged",
            ),
        ):
            rows.append(
                (key, col(c, *value), cmp_of(key)[0] or ">=", col(c, std), col(c, ok), col(c, num), col(c, den))
            )
    rural = ps[(ps["grouping"] == "城乡") & (ps["name"] == "乡村")]
    if len(rural):
        r = rural.iloc[0]
        comparator, _ = cmp_of("rural_principals_under45_share")
        rows.append(
            (
                "rural_principals_under45_share",
                r["under_age_share"],
                comparator or ">=",
                r["goal_young"],
                met(r["under_age_share"], comparator or ">=", _num(r["goal_young"])),
                r["under_age"],
                r["principals"],
            )
        )
    whole = ps[ps["grouping"] == "全市"]
    if len(whole):
        w = whole.iloc[0]
        comparator, standard = cmp_of("principals_over10y_share")
        rows.append(
            (
                "principals_over10y_share",
                w["over_tenure_share"],
                comparator,
                standard,
                met(w["over_tenure_share"], comparator, standard),
                w["over_tenure"],
                w["principals"],
            )
        )
    df = pd.DataFrame(rows, columns=["indicator", "value", "comparator", "standard", "met", "numerator", "denominator"])
    df["indicator_name"] = [ind["name_zh"].get(k, k) for k in df["indicator"]]
    df["unit"] = [ind["unit"].get(k, "比例") for k in df["indicator"]]
    return df


def _teacher_section(fetch: Fetch, ctx: DeckContext) -> Section:
    df = teacher_summary(fetch, ctx.year)
    extra = []
    for r in df.itertuples():
        if r.indicator == "exchange_rate_all" and not _isnull(r.denominator):
            extra.append(f"交流轮岗 {int(r.numerator)} 人 / 专任教师 {int(r.denominator)} 人（方案口径：占教师总数）。")
        if r.indicator == "rural_principals_under45_share" and not _isnull(r.denominator):
            extra.append(f"乡村校（园）长 {int(r.denominator)} 人，其中45岁以下 {int(r.numerator)} 人。")
    sec = _rate_section(df, "teachers", "教师队伍：交流轮岗与校长队伍", "teacher_policy+principals_summary", extra, ctx)
    sec.source = "数据：teacher_policy（全市）、principals_summary（乡村、全市）；目标：indicator_standards.csv"
    return sec


def preschool_summary(fetch: Fetch, year: int) -> pd.DataFrame:
    """The 普及普惠 headline in long form, picked from preschool_summary's row for the year."""
    ps = fetch("preschool_summary", year=year)
    ps = ps[ps["year"] == year]
    ind = registry.indicators().set_index("key")
    st = registry.standards()
    rows = []
    if len(ps):
        r = ps.iloc[0]
        for key, value, standard, num, den in (
            ("preschool_gross_enrolment", "gross_enrolment", "standard_gross_enrolment", "children", "pop_age3_5"),
            (
                "preschool_inclusive_coverage",
                "inclusive_coverage",
                "standard_inclusive",
                "inclusive_children",
                "children",
            ),
            ("preschool_public_share", "public_share", "standard_public", "public_children", "children"),
            (
                "preschool_children_per_teacher",
                "children_per_teacher",
                "standard_children_per_teacher",
                "children",
                "teachers",
            ),
        ):
            hit = st[st["indicator_key"] == key]
            comparator = hit["comparator"].iloc[0] if len(hit) else ">="
            v, goal = _num(r.get(value)), _num(r.get(standard))
            met = None if v is None or goal is None else (v >= goal if comparator == ">=" else v <= goal)
            rows.append((key, v, comparator, goal, met, _num(r.get(num)), _num(r.get(den))))
    df = pd.DataFrame(rows, columns=["indicator", "value", "comparator", "standard", "met", "numerator", "denominator"])
    df["indicator_name"] = [ind["name_zh"].get(k, k) for k in df["indicator"]]
    df["unit"] = [ind["unit"].get(k, "比例") for k in df["indicator"]]
    return df


def _preschool_section(fetch: Fetch, cov: pd.DataFrame, ctx: DeckContext) -> Section:
    df = preschool_summary(fetch, ctx.year)
    zhen = cov[cov["required"]]
    lacking = zhen[~zhen["has_central_kg"]]["town_name"].tolist()
    extra = [
        f"规范化公办中心幼儿园：{int(zhen['has_central_kg'].sum())}/{len(zhen)} 个镇已有；尚缺：{_list_text(lacking)}。"
    ]
    sec = _rate_section(df, "preschool", "学前教育：普及普惠", "preschool_summary", extra, ctx)
    gaps = fetch("town_gaps", year=ctx.year, stage="学前")
    rank = ranking_chart(gaps, ctx.year, "学前", "preschool_children_per_teacher")
    if rank is not None:
        sec.charts.append(rank)
    return sec


def _methods_section(fetch: Fetch, ctx: DeckContext) -> Section:
    from edubalance.geo.zones import OUTLINE_CREDIT, SCHEMATIC_LABEL

    ind = registry.indicators().set_index("key")
    bullets = [
        "校际差异系数：" + ind.loc["balance_cv", "formula_zh"] if "balance_cv" in ind.index else "",
        "学校达标：" + ind.loc["school_pass", "formula_zh"] if "school_pass" in ind.index else "",
        "镇街值、城乡值 = k·ΣR ÷ ΣP（按在校生加权的比率，不是学校值的平均）。",
        "目标状态（已达标/按期可达/需加速/偏离/数据不足）：比较基准年以来的实际变化与按期达标所需的变化"
        "（预期路径法，R ≥ 0.95 为按期可达）；少于2个学年为数据不足。",
        f"地图：{SCHEMATIC_LABEL}，由镇街驻地生成的示意分区；{OUTLINE_CREDIT}。",
        "阈值与来源见“指标标准与来源”页；标记 [R] 的阈值尚未核实原文，可在登记表中修改。",
        "数据："
        + ("演示数据（按真实镇街结构生成的模拟数据，不是官方统计数字）" if ctx.is_demo else "本市教育事业统计导入")
        + f"；最近导入 {ctx.last_import}。",
    ]
    return Section(
        key="methods",
        title="方法与口径",
        bullets=[b for b in bullets if b],
        source="依据：《县域义务教育优质均衡发展督导评估办法》（教督〔2017〕6号）、《县域学前教育普及普惠督导评估办法》、本市教育行动方案",
    )


SOURCE_KEYS = (
    "degree_teachers_per100",
    "backbone_per100",
    "pe_art_per100",
    "teaching_area_per_pupil",
    "sports_area_per_pupil",
    "equipment_per_pupil",
    "multimedia_per100",
    "balance_cv",
    "big_class_share",
    "exchange_rate_all",
    "exchange_rate_eligible",
    "rural_principals_under45_share",
    "preschool_gross_enrolment",
    "preschool_inclusive_coverage",
    "preschool_public_share",
)


def _sources_section(ctx: DeckContext) -> Section:
    ind = registry.indicators().set_index("key")
    st = registry.standards()
    rows = []
    for key in SOURCE_KEYS:
        if key not in ind.index:
            continue
        r = ind.loc[key]
        tags = st[st["indicator_key"] == key]["status"].unique().tolist()
        src = str(r["source"]).split(";")[0].strip()
        rows.append(
            {
                "指标": r["short_zh"] or r["name_zh"],
                "标准": _standard_text(key) or "—",
                "来源": src if len(src) <= 34 else src[:33] + "…",
                "标记": " ".join(tags) or r["status"],
            }
        )
    return Section(
        key="sources",
        title="指标标准与来源",
        table=pd.DataFrame(rows),
        source="登记表：data/indicators.csv、data/indicator_standards.csv（[C] 已核实，[C2] 经二手来源核实，[R] 待核实，[D] 设计决定）",
    )


def _title_section(ctx: DeckContext) -> Section:
    years = f"{ctx.first_year}—{ctx.last_year}" if ctx.first_year is not None else "—"
    bullets = [
        f"数据学年：{school_year_label(ctx.year)}（秋季统计时点）",
        f"数据版本：最近导入 {ctx.last_import}；库中学年 {years}",
    ]
    return Section(
        key="title",
        kind="title",
        title=f"{ctx.county}城乡教育均衡发展监测",
        subtitle="教育行动方案（2023—2027年）进展汇报",
        bullets=bullets,
    )


def deck_sections(fetch: Fetch, year: int, ctx: DeckContext | None = None) -> list[Section]:
    """The meeting deck's content for one school year, in slide order."""
    ctx = ctx or context(fetch, year)
    cv = fetch("balance_cv", year=year)
    cov = fetch("town_coverage", year=year)
    lag = fetch("export_lagging_towns", year=year)
    sections = [_title_section(ctx), _guard("targets", "目标进度：2025年与2027年", _targets_section, fetch, ctx)]
    sections.append(_guard("cv", "县域义务教育校际差异系数", _cv_section, cv, ctx))
    for stage in COMPULSORY:
        sec = _guard(f"ranking_{stage}", f"镇街排名：{stage}", _ranking_section, fetch, cv, stage, ctx)
        if sec is not None:
            sections.append(sec)
    sections += [
        _guard("map", "镇街分布：资源配置短板", _map_section, fetch, lag, ctx),
        _guard("lagging", "滞后镇街及其差距", _lagging_section, lag, cov, ctx),
        _guard("class_size", "班额与校额", _class_section, fetch, ctx),
        _guard("teachers", "教师队伍：交流轮岗与校长队伍", _teacher_section, fetch, ctx),
        _guard("preschool", "学前教育：普及普惠", _preschool_section, fetch, cov, ctx),
        _methods_section(fetch, ctx),
        _sources_section(ctx),
    ]
    return sections


def _guard(key: str, title: str, build, *args) -> Section | None:
    """One slide's content; a failing query leaves a slide that says so instead of no deck."""
    try:
        return build(*args)
    except Exception as exc:  # noqa: BLE001 — the meeting still gets the other slides
        log.exception("deck section %s failed", key)
        return Section(
            key=key,
            title=title,
            bullets=[f"本页数据暂不可用：{type(exc).__name__}：{str(exc)[:120]}", "请检查数据库与查询后重新导出。"],
        )


# ---------------------------------------------------------------------------------------------
# Town briefs
# ---------------------------------------------------------------------------------------------


def town_sections(fetch: Fetch, year: int, town_code: str, ctx: DeckContext | None = None) -> list[Section]:
    """Three slides for one town: its count targets, its gaps, its schools falling short."""
    ctx = ctx or context(fetch, year)
    cov = fetch("town_coverage", year=year)
    hit = cov[cov["town_code"] == str(town_code)]
    if hit.empty:
        raise KeyError(f"没有区划代码为 {town_code} 的镇街")
    t = hit.iloc[0]
    name = t["town_name"]
    short = _short_names()

    # 1. Status on each count target.
    rows, bad = [], []

    def need(flag: bool) -> str:
        return "已达标" if flag else ("未达标" if t["required"] else "不要求（非镇）")

    rows.append(
        {
            "目标": "至少1所公办寄宿制学校（2025年）",
            "现状": f"{int(t['public_boarding_schools'])} 所",
            "状态": need(bool(t["has_boarding"])),
        }
    )
    rows.append(
        {
            "目标": "1所以上规范化公办中心幼儿园（2025年）",
            "现状": f"{int(t['standard_central_kindergartens'])} 所",
            "状态": need(bool(t["has_central_kg"])),
        }
    )
    if has_query("targets_status"):
        try:
            ts = fetch("targets_status", year=year)
            mine = ts[ts["scope_code"].astype(str) == str(town_code)]
        except Exception:  # noqa: BLE001 — the two coverage rows above still stand
            mine = pd.DataFrame()
        if len(mine) and "indicator_key" in mine:
            # targets_status judges the facility targets itself for each 镇: keep its rows.
            covered = set(mine["indicator_key"])
            keep = [
                r
                for key, r in zip(("public_boarding_school", "public_central_kindergarten"), rows)
                if key not in covered
            ]
            rows[:] = keep
        for r in mine.itertuples():
            wording = str(getattr(r, "wording", "") or r.target_id)
            unit = getattr(r, "unit", None)
            rows.append(
                {
                    "目标": f"{r.target_id} {wording[:24]}{'…' if len(wording) > 24 else ''}",
                    "现状": f"{fmt(r.value, unit)}（目标 {CMP_SYMBOL.get(getattr(r, 'comparator', ''), '')}{fmt(r.goal, unit)}）",
                    "状态": f"2025年 {r.status_2025}；2027年 {r.status_2027}"
                    + (
                        f"（{note}）"
                        if (
                            note := progress.catch_up_note(
                                getattr(r, "met_year", None),
                                getattr(r, "overdue_since", None),
                                year,
                                getattr(r, "deadline", None),
                            )
                        )
                        else ""
                    ),
                }
            )
    bad = [any(w in r["状态"] for w in ("未达标", *BEHIND)) for r in rows]
    profile_charts = []
    if has_query("town_profile"):
        try:
            prof = fetch("town_profile", year=year)
            prof = prof[prof["town_code"] == str(town_code)]
            cols = {
                "students_preschool": "学前",
                "students_primary": "小学",
                "students_junior": "初中",
                "students_senior": "高中",
                "students_special": "特教",
            }
            if len(prof) and set(cols) <= set(prof.columns):
                p0 = prof.iloc[0]
                profile_charts.append(
                    ChartSpec(
                        source=f"town_profile|year={year}|town_code={town_code}|" + ",".join(cols),
                        title="在校生（人，按学段）",
                        categories=list(cols.values()),
                        series={"在校生": [_num(p0[c]) or 0.0 for c in cols]},
                        number_format="#,##0",
                        horizontal=False,
                        description=f"{name}各学段在校生数",
                    )
                )
        except Exception:  # noqa: BLE001 — the profile chart is a nicety
            log.exception("town_profile for the brief failed")
    s1 = Section(
        key=f"town_{town_code}_targets",
        title=f"{name}：目标达成情况",
        subtitle=f"{t['town_kind']} · {int(t['schools'])} 所学校（园） · 在校生 {int(t['students']):,} 人 · "
        f"{school_year_label(year)}",
        table=pd.DataFrame(rows),
        table_bad=bad,
        charts=profile_charts,
        bullets=["方案要求每个乡镇（不含街道）配置公办寄宿制学校和规范化公办中心幼儿园。"] if not t["required"] else [],
        source="数据：town_coverage" + ("、targets_status" if has_query("targets_status") else ""),
    )

    # 2. Gaps to the city and the standards.
    gap_rows, gap_bad, series, cats = [], [], {}, []
    for stage in COMPULSORY:
        g = fetch("town_gaps", year=year, stage=stage)
        g = g[(g["town_code"] == str(town_code)) & g["town_value"].notna()]
        g = g[g["indicator"].isin(_balance_keys())]
        if g.empty:
            continue
        cats = [short.get(k, k) for k in _balance_keys()]
        by_key = g.set_index("indicator")
        series[stage] = [_num(by_key["ratio_to_city"].get(k)) for k in _balance_keys()]
        for r in g.itertuples():
            below = not _isnull(r.standard) and r.town_value < r.standard
            gap_rows.append(
                {
                    "学段": stage,
                    "指标": short.get(r.indicator, r.indicator_name),
                    "镇街值": fmt(r.town_value, r.unit),
                    "全市值": fmt(r.city_value, r.unit),
                    "标准": fmt(r.standard, r.unit),
                    "镇街÷全市": fmt(r.ratio_to_city, "比例"),
                }
            )
            gap_bad.append(below)
    charts = []
    if series:
        charts.append(
            ChartSpec(
                source=f"town_gaps|year={year}|town_code={town_code}|ratio_to_city",
                title="镇街值 ÷ 全市值（100% = 与全市持平）",
                categories=cats,
                series=series,
                number_format="0%",
                description=f"{name}各指标与全市的比值",
            )
        )
    n_below = sum(gap_bad)
    s2 = Section(
        key=f"town_{town_code}_gaps",
        title=f"{name}：与全市及标准的差距",
        subtitle=(f"{n_below} 项（学段×指标）低于资源配置标准。" if gap_rows else "本镇街没有小学、初中在校生数据。"),
        table=pd.DataFrame(gap_rows) if gap_rows else None,
        table_bad=gap_bad if gap_rows else None,
        charts=charts,
        bullets=[] if gap_rows else ["义务教育资源配置指标不适用；学前、高中情况见“镇街详情”页。"],
        source="数据：town_gaps（镇街值 = k·ΣR/ΣP）；标准：indicator_standards.csv",
    )

    # 3. Its schools falling short.
    comp = fetch("school_compliance", year=year)
    comp = comp[comp["town_code"] == str(town_code)]
    assessed = comp.drop_duplicates(["school_id", "stage"])
    failing = assessed[~assessed["passes_6_of_7"].astype(bool)].sort_values(["met_count", "min_ratio"])
    big = fetch("oversized_schools", year=year)
    big = big[big["town_code"] == str(town_code)]
    frows = []
    for r in failing.head(12).itertuples():
        below = comp[(comp["school_id"] == r.school_id) & (comp["stage"] == r.stage) & ~comp["met"].astype(bool)]
        frows.append(
            {
                "学校": r.school_name,
                "学段": r.stage,
                "达标项数": f"{int(r.met_count)}/7",
                "最低项÷标准": fmt(r.min_ratio, "比例"),
                "未达标指标": "、".join(short.get(k, k) for k in below["indicator"]) or "—",
            }
        )
    bullets = []
    if len(failing) > 12:
        bullets.append(f"另有 {len(failing) - 12} 所（段）未列出，见“义务教育优质均衡”页。")
    if len(big):
        bullets.append("大校额：" + "、".join(f"{r.school_name}（{int(r.students)}人）" for r in big.itertuples()))
    if not frows:
        bullets.insert(
            0,
            f"参评的 {len(assessed)} 所学校（段）均达到资源配置要求。"
            if len(assessed)
            else "本镇街没有参评的小学、初中学校（段）。",
        )
    s3 = Section(
        key=f"town_{town_code}_schools",
        title=f"{name}：未达标学校",
        subtitle=f"参评 {len(assessed)} 所学校（段），{len(failing)} 所未达到“7项中至少6项达标、其余不低于85%”。",
        table=pd.DataFrame(frows) if frows else None,
        table_bad=[True] * len(frows) if frows else None,
        bullets=bullets,
        source="数据：school_compliance、oversized_schools；规则：办法2017",
    )
    return [s1, s2, s3]


def _balance_keys() -> list[str]:
    ind = registry.indicators()
    return ind.loc[ind["group_zh"] == BALANCE_GROUP, "key"].tolist()


# ---------------------------------------------------------------------------------------------
# The map picture (kaleido + chromium)
# ---------------------------------------------------------------------------------------------


def _browser() -> str | None:
    path = os.environ.get("BROWSER_PATH")
    if path and Path(path).exists():
        return path
    for candidate in ("/usr/bin/chromium", "/usr/bin/chromium-browser", shutil.which("chromium") or ""):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def export_figure(fig):
    """The map figure with larger type for a slide."""
    fig = deepcopy(fig)
    fig.update_traces(textfont_size=22, selector={"type": "scattergeo", "mode": "text"})
    fig.update_traces(
        colorbar={"len": 0.45, "thickness": 16, "title": {"font": {"size": 18}}}, selector={"type": "choropleth"}
    )
    fig.update_annotations(font_size=15)
    fig.update_layout(
        font={"family": "Noto Sans CJK SC, Microsoft YaHei, sans-serif", "size": 16},
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        paper_bgcolor="white",
    )
    return fig


MAP_OPTS = {"format": "png", "width": 940, "height": 800, "scale": 2}


class MapRenderer:
    """Draws one figure to PNG with kaleido in a background thread.

    The browser is started when the renderer is created, before the figure exists: starting
    chromium and loading plotly.js is most of kaleido's time, and it overlaps the queries and
    the other slides. ``submit`` hands over the figure (or None to cancel); ``result`` waits.
    """

    def __init__(self, timeout: float = 90):
        self.png: bytes | None = None
        self.note = ""
        self.seconds = 0.0
        self._timeout = timeout
        self._fig: queue.Queue = queue.Queue()
        self._done = threading.Event()
        self._t0 = time.perf_counter()
        browser = _browser()
        if browser is None:
            self.note = "本机没有可用的浏览器（chromium），地图未能生成图片；请在看板“地图”页查看。"
            self._done.set()
            self._thread = None
            return
        os.environ["BROWSER_PATH"] = browser
        self._thread = threading.Thread(target=self._run, name="deck-map", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except Exception as exc:  # noqa: BLE001 — a meeting deck must still be produced
            if self.png is None and not self.note:
                self.note = f"地图图片生成失败（{type(exc).__name__}），请在看板“地图”页查看。"
        finally:
            self.seconds = time.perf_counter() - self._t0
            self._done.set()

    async def _main(self) -> None:
        import kaleido

        # MathJax off and the local (empty) world topology: no request to any CDN.
        async with kaleido.Kaleido(n=1, mathjax=False, timeout=60) as k:
            fig = await asyncio.to_thread(self._fig.get, True, self._timeout)
            if fig is None:
                return
            png = await k.calc_fig(fig, opts=MAP_OPTS, topojson=(STATIC_DIR / "topojson").as_uri() + "/")
            self.png = bytes(png)
            self.seconds = time.perf_counter() - self._t0
            self._done.set()  # the deck can go on while the browser closes

    def submit(self, fig) -> None:
        self._fig.put(None if fig is None else export_figure(fig))

    def result(self, timeout: float | None = None) -> tuple[bytes | None, str]:
        if not self._done.wait(self._timeout if timeout is None else timeout) and not self.note:
            self.note = "地图图片生成超时，请在看板“地图”页查看。"
        return self.png, self.note

    def close(self, timeout: float = 10) -> None:
        """Wait (briefly) for the browser to shut down."""
        if self._thread is not None:
            self._fig.put(None)  # unblock a renderer that never got a figure
            self._thread.join(timeout)


def map_png(fig) -> tuple[bytes | None, str]:
    """The figure as PNG bytes through kaleido, or (None, reason) when it cannot be drawn."""
    r = MapRenderer()
    r.submit(fig)
    out = r.result()
    r.close()
    return out


# ---------------------------------------------------------------------------------------------
# Rendering to PowerPoint
# ---------------------------------------------------------------------------------------------


def _rgb(hexstr: str):
    from pptx.dml.color import RGBColor

    return RGBColor.from_string(hexstr)


def _ea_font(rPr) -> None:
    """Add East Asian and complex-script typefaces next to the Latin one (a:latin → a:ea → a:cs)
    so Chinese shows in 微软雅黑 in PowerPoint and WPS rather than a fallback."""
    from pptx.oxml.ns import qn
    from pptx.oxml.xmlchemy import OxmlElement

    for tag in ("a:ea", "a:cs"):
        for el in rPr.findall(qn(tag)):
            rPr.remove(el)
    latin = rPr.find(qn("a:latin"))
    ea = OxmlElement("a:ea")
    ea.set("typeface", FONT)
    cs = OxmlElement("a:cs")
    cs.set("typeface", FONT)
    latin.addnext(ea)
    ea.addnext(cs)


def set_font(font, size: float | None = None, bold: bool | None = None, color: str | None = None) -> None:
    from pptx.util import Pt

    font.name = FONT
    _ea_font(font._rPr)
    if size is not None:
        font.size = Pt(size)
    if bold is not None:
        font.bold = bold
    if color is not None:
        font.color.rgb = _rgb(color)


def _patch_theme(prs) -> None:
    """Theme fonts: Latin and East Asian 微软雅黑 (the default template leaves ea empty and uses 宋体)."""
    from pptx.opc.constants import RELATIONSHIP_TYPE as RT

    part = prs.slide_master.part.part_related_by(RT.THEME)
    xml = part.blob.decode("utf-8")
    xml = xml.replace('<a:latin typeface="Calibri"/>', f'<a:latin typeface="{FONT}"/>')
    xml = xml.replace('<a:ea typeface=""/>', f'<a:ea typeface="{FONT}"/>')
    xml = xml.replace('<a:font script="Hans" typeface="宋体"/>', f'<a:font script="Hans" typeface="{FONT}"/>')
    part._blob = xml.encode("utf-8")


class DeckWriter:
    """Writes sections onto 16:9 slides with a common frame (title bar, footer)."""

    def __init__(self, ctx: DeckContext):
        from pptx import Presentation
        from pptx.util import Inches

        self.ctx = ctx
        self.prs = Presentation()
        self.prs.slide_width = Inches(SLIDE_W_IN)
        self.prs.slide_height = Inches(SLIDE_H_IN)
        _patch_theme(self.prs)
        self.prs.core_properties.title = f"{ctx.county}城乡教育均衡发展监测 {school_year_label(ctx.year)}"
        self.prs.core_properties.author = "城乡教育均衡监测看板"
        self.blank = self.prs.slide_layouts[6]

    # --- primitives --------------------------------------------------------------------------

    def text(self, slide, x, y, w, h, lines, size=16, color=DARK, bold=False, bullet=False, align=None, name=None):
        from pptx.enum.text import MSO_ANCHOR
        from pptx.util import Inches, Pt

        box = slide.shapes.add_textbox(Inches(x), Inches(y), Inches(w), Inches(h))
        if name:
            box.name = name
        tf = box.text_frame
        tf.word_wrap = True
        tf.vertical_anchor = MSO_ANCHOR.TOP
        tf.margin_left = tf.margin_right = Inches(0.05)
        for i, line in enumerate([lines] if isinstance(lines, str) else lines):
            p = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
            if align is not None:
                p.alignment = align
            if bullet:
                p.space_after = Pt(6)
            run = p.add_run()
            run.text = ("• " if bullet else "") + line
            set_font(run.font, size, bold, color)
        return box

    def frame(self, slide, section: Section, page: int, total: int) -> None:
        from pptx.enum.shapes import MSO_SHAPE
        from pptx.util import Inches

        bar = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, 0, 0, self.prs.slide_width, Inches(0.12))
        bar.fill.solid()
        bar.fill.fore_color.rgb = _rgb(BLUE)
        bar.line.fill.background()
        self.text(slide, 0.45, 0.25, 12.4, 0.7, section.title, size=28, color=BLUE, bold=True, name="title")
        if section.subtitle:
            self.text(slide, 0.45, 0.95, 12.4, 0.6, section.subtitle, size=15, color=DARK, name="subtitle")
        if section.source:
            self.text(slide, 0.45, 6.78, 12.4, 0.3, section.source, size=9, color=GREY, name="source")
        foot = f"{self.ctx.county} · {school_year_label(self.ctx.year)} · 第 {page}/{total} 页"
        self.text(slide, 0.45, 7.07, 8.0, 0.3, foot, size=10, color=GREY, name="footer")
        if self.ctx.is_demo:
            from pptx.enum.text import PP_ALIGN

            self.text(
                slide,
                8.9,
                7.07,
                4.0,
                0.3,
                "演示数据（模拟，非官方统计）",
                size=10,
                color=RED,
                bold=True,
                align=PP_ALIGN.RIGHT,
                name="demo",
            )

    def table(self, slide, df: pd.DataFrame, bad, x, y, w, h, size=12):
        from pptx.util import Inches

        rows, cols = len(df) + 1, len(df.columns)
        texts = [[str(c) for c in df.columns]] + [
            ["—" if _isnull(v) else str(v) for v in r] for r in df.itertuples(index=False)
        ]
        # Column widths in proportion to the text they hold (CJK counts double); headers may
        # wrap, long texts are capped, short columns keep room for a status word.
        weights = []
        for j, c in enumerate(df.columns):
            content = max([_display_len(r[j]) for r in texts[1:]] or [0])
            weights.append(max(min(content, 30), min(_display_len(str(c)), 12), 5))
        widths = [w * v / sum(weights) for v in weights]

        def heights(pt: float) -> list[float]:
            # Rows tall enough for their wrapped text (a display unit is half an em wide), so
            # no viewer has to grow them and nothing overlaps.
            unit = pt / 72 / 2
            out = []
            for r in texts:
                lines = max(max(1, -(-_display_len(t) * unit // max(cw - 0.14, 0.2))) for t, cw in zip(r, widths))
                out.append(lines * pt * 1.25 / 72 + 0.08)
            return out

        while size > 9 and sum(heights(size)) > h:
            size -= 1  # shrink the type before running off the slide
        row_h = heights(size)
        shape = slide.shapes.add_table(rows, cols, Inches(x), Inches(y), Inches(w), Inches(sum(row_h)))
        shape.name = "table"
        tbl = shape.table
        for j, cw in enumerate(widths):
            tbl.columns[j].width = Inches(cw)
        for i, rh in enumerate(row_h):
            tbl.rows[i].height = Inches(rh)
        for j, text in enumerate(texts[0]):
            self._cell(tbl.cell(0, j), text, size, bold=True, color="FFFFFF", fill=BLUE)
        for i, row in enumerate(texts[1:], start=1):
            warn = bool(bad[i - 1]) if bad is not None and i - 1 < len(bad) else False
            for j, text in enumerate(row):
                self._cell(
                    tbl.cell(i, j), text, size, color=RED if warn else DARK, fill="F3F6FB" if i % 2 == 0 else "FFFFFF"
                )
        return shape

    @staticmethod
    def _cell(cell, text, size, bold=False, color=DARK, fill=None):
        from pptx.util import Inches

        cell.margin_left = cell.margin_right = Inches(0.06)
        cell.margin_top = cell.margin_bottom = Inches(0.02)
        if fill:
            cell.fill.solid()
            cell.fill.fore_color.rgb = _rgb(fill)
        tf = cell.text_frame
        tf.word_wrap = True
        p = tf.paragraphs[0]
        run = p.add_run()
        run.text = text
        set_font(run.font, size, bold, color)

    def chart(self, slide, spec: ChartSpec, x, y, w, h):
        from pptx.enum.chart import XL_CHART_TYPE, XL_LABEL_POSITION, XL_LEGEND_POSITION
        from pptx.util import Inches, Pt

        from edubalance.report.chart_data import category_chart_data

        # Text-safe: the chart's embedded workbook must not turn a town named "=…" into a formula.
        data = category_chart_data(number_format=spec.number_format)
        data.categories = spec.categories
        for name, values in spec.series.items():
            data.add_series(name, values)
        if spec.horizontal:
            kind = XL_CHART_TYPE.BAR_STACKED if spec.stacked else XL_CHART_TYPE.BAR_CLUSTERED
        else:
            kind = XL_CHART_TYPE.COLUMN_STACKED if spec.stacked else XL_CHART_TYPE.COLUMN_CLUSTERED
        gf = slide.shapes.add_chart(kind, Inches(x), Inches(y), Inches(w), Inches(h), data)
        gf.name = "chart:" + spec.source
        gf._element.nvGraphicFramePr.cNvPr.set("descr", spec.description or spec.title)
        chart = gf.chart
        n_cat = max(len(spec.categories), 1)
        base = 12 if n_cat <= 8 else (11 if n_cat <= 12 else 10)
        set_font(chart.font, base)
        chart.has_title = True
        chart.chart_title.text_frame.text = spec.title
        for p in chart.chart_title.text_frame.paragraphs:
            for r in p.runs:
                set_font(r.font, 13, True, DARK)
        multi = len(spec.series) > 1
        chart.has_legend = multi
        if multi:
            chart.legend.position = XL_LEGEND_POSITION.BOTTOM
            chart.legend.include_in_layout = False
            set_font(chart.legend.font, base)
        plot = chart.plots[0]
        plot.gap_width = 50 if spec.horizontal else 80
        if spec.stacked:
            plot.overlap = 100
        plot.has_data_labels = True
        dl = plot.data_labels
        # Stacked parts of zero would print a stray "0": an empty zero section hides them.
        dl.number_format = f"{spec.number_format};-{spec.number_format};;@" if spec.stacked else spec.number_format
        dl.number_format_is_linked = False
        if not spec.stacked:
            dl.position = XL_LABEL_POSITION.OUTSIDE_END
        set_font(dl.font, base - 1, None, DARK)
        va = chart.value_axis
        va.has_major_gridlines = False
        va.tick_labels.number_format = spec.number_format
        va.tick_labels.number_format_is_linked = False
        va.visible = False
        ca = chart.category_axis
        ca.tick_labels.font.size = Pt(base)
        set_font(ca.tick_labels.font, base)
        if spec.horizontal:
            ca.reverse_order = True  # first category on top, as in the tables
        for i, s in enumerate(plot.series):
            s.format.fill.solid()
            s.format.fill.fore_color.rgb = _rgb(SERIES_COLORS[i % len(SERIES_COLORS)])
            if spec.bad is not None and len(spec.series) == 1:
                for j, b in enumerate(spec.bad):
                    if b:
                        pt = s.points[j]
                        pt.format.fill.solid()
                        pt.format.fill.fore_color.rgb = _rgb(RED)
        return gf

    # --- layouts ------------------------------------------------------------------------------

    def add(self, section: Section, page: int, total: int):
        """Write one section on a new slide; returns the slide (the map's picture comes later)."""
        slide = self.prs.slides.add_slide(self.blank)
        if section.kind == "title":
            self._title(slide, section)
            return slide
        self.frame(slide, section, page, total)
        top, bottom = 1.6, 6.7
        height = bottom - top
        has_table = section.table is not None and len(section.table)
        charts = section.charts
        if section.key == "map":
            self.text(slide, 7.9, top + 0.1, 5.0, height - 0.2, section.bullets, size=15, bullet=True, name="bullets")
            if section.figure is None:
                self.map_picture(slide, None, section.figure_note)
            return slide
        if has_table and len(charts) > 1:
            # Table and first chart on the left, the second (a town ranking) full height right.
            n_rows = len(section.table)
            th = min(0.34 * (n_rows + 1), height * 0.45)
            self.table(slide, section.table, section.table_bad, 0.45, top, 6.3, th, size=12)
            self.chart(slide, charts[0], 0.45, top + th + 0.1, 6.3, height - th - 0.1)
            bh = 0.55 * len(section.bullets) if section.bullets else 0
            self.chart(slide, charts[1], 6.95, top, 5.95, height - bh)
            if section.bullets:
                self.text(slide, 6.95, bottom - bh, 5.95, bh, section.bullets, size=12, bullet=True, name="bullets")
        elif has_table and charts:
            n_rows = len(section.table)
            size = 12 if n_rows <= 8 else 11
            self.table(slide, section.table, section.table_bad, 0.45, top, 6.3, height - 0.1, size=size)
            bh = 0.45 * len(section.bullets) if section.bullets else 0
            self.chart(slide, charts[0], 6.95, top, 5.95, height - bh)
            if section.bullets:
                self.text(slide, 6.95, bottom - bh, 5.95, bh, section.bullets, size=12, bullet=True, name="bullets")
        elif len(charts) == 1 and section.bullets:
            self.chart(slide, charts[0], 0.45, top, 7.6, height)
            self.text(slide, 8.3, top + 0.2, 4.6, height - 0.3, section.bullets, size=14, bullet=True, name="bullets")
        elif charts:
            bh = 0.45 * len(section.bullets) if section.bullets else 0
            w = 12.4 / len(charts)
            for i, spec in enumerate(charts):
                self.chart(slide, spec, 0.45 + i * w, top, w - 0.15, height - bh)
            if section.bullets:
                self.text(
                    slide, 0.45, bottom - bh + 0.05, 12.4, bh, section.bullets, size=13, bullet=True, name="bullets"
                )
        elif has_table:
            n_rows = len(section.table)
            size = 13 if n_rows <= 8 else (12 if n_rows <= 12 else 11)
            bh = min(0.45 * len(section.bullets), 1.5) if section.bullets else 0
            self.table(slide, section.table, section.table_bad, 0.45, top, 12.4, height - bh - 0.1, size=size)
            if section.bullets:
                self.text(slide, 0.45, bottom - bh, 12.4, bh, section.bullets, size=13, bullet=True, name="bullets")
        else:
            self.text(slide, 0.6, top + 0.1, 12.2, height - 0.2, section.bullets, size=17, bullet=True, name="bullets")
        return slide

    def map_picture(self, slide, image: bytes | None, note: str) -> None:
        """The map PNG on the left of the map slide, or the reason it is missing."""
        top, height = 1.6, 5.1
        if image is not None:
            pic = slide.shapes.add_picture(io.BytesIO(image), _in(0.45), _in(top), height=_in(height))
            pic.name = "map"
            pic._element.nvPicPr.cNvPr.set("descr", "镇街地图")
        else:
            self.text(
                slide,
                0.6,
                top + 1.5,
                6.8,
                2.0,
                ["地图未能嵌入", note or "地图图片不可用，请在看板“地图”页查看。"],
                size=18,
                color=RED,
                name="map_note",
            )

    def _title(self, slide, section: Section) -> None:
        from pptx.enum.shapes import MSO_SHAPE
        from pptx.util import Inches

        band = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, 0, Inches(1.7), self.prs.slide_width, Inches(2.5))
        band.fill.solid()
        band.fill.fore_color.rgb = _rgb(BLUE)
        band.line.fill.background()
        self.text(slide, 0.8, 1.95, 11.8, 1.1, section.title, size=40, color="FFFFFF", bold=True, name="title")
        self.text(slide, 0.8, 3.1, 11.8, 0.7, section.subtitle, size=22, color="FFFFFF", name="subtitle")
        self.text(slide, 0.8, 4.6, 11.8, 1.2, section.bullets, size=18, color=DARK, name="bullets")
        if self.ctx.is_demo:
            self.text(
                slide,
                0.8,
                5.9,
                11.8,
                0.9,
                "演示数据：本汇报使用按真实镇街结构生成的模拟数据，不是官方统计数字。",
                size=18,
                color=RED,
                bold=True,
                name="demo",
            )

    def to_bytes(self) -> bytes:
        buf = io.BytesIO()
        self.prs.save(buf)
        return buf.getvalue()


def _in(v: float):
    from pptx.util import Inches

    return Inches(v)


def _display_len(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


# ---------------------------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------------------------


@dataclass
class BuildResult:
    data: bytes
    slides: int
    charts: int
    seconds: float
    map_seconds: float = 0.0
    map_note: str = ""


def render_pptx(sections: list[Section], ctx: DeckContext, *, renderer: MapRenderer | None = None) -> BuildResult:
    """Slides for the sections. With a ``renderer`` the map's picture is drawn while the other
    slides are written and goes in last; without one the map slide carries a note."""
    t0 = time.perf_counter()
    map_section = next((s for s in sections if s.figure is not None), None)
    if renderer is not None:
        renderer.submit(map_section.figure if map_section is not None else None)
    writer = DeckWriter(ctx)
    total = len(sections)
    charts = 0
    map_slide = None
    for i, sec in enumerate(sections, start=1):
        slide = writer.add(sec, i, total)
        charts += len(sec.charts)
        if sec is map_section:
            map_slide = slide
    image, note = None, ""
    if map_slide is not None:
        if renderer is not None:
            image, note = renderer.result()
        else:
            note = "本次导出未生成地图图片，请在看板“地图”页查看。"
        writer.map_picture(map_slide, image, note)
    data = writer.to_bytes()
    return BuildResult(
        data=data,
        slides=total,
        charts=charts,
        seconds=time.perf_counter() - t0,
        map_seconds=renderer.seconds if renderer is not None else 0.0,
        map_note="" if image is not None else note,
    )


def build_deck(year: int, db: Path | str | None = None, *, with_map: bool = True) -> BuildResult:
    """The meeting deck for a school year (bytes of a .pptx)."""
    t0 = time.perf_counter()
    renderer = MapRenderer() if with_map else None  # start chromium now: it is the slow part
    try:
        with open_fetch(db) as fetch:
            ctx = context(fetch, year)
            sections = deck_sections(fetch, year, ctx)
        res = render_pptx(sections, ctx, renderer=renderer)
    finally:
        if renderer is not None:
            renderer.close()
    res.seconds = time.perf_counter() - t0
    return res


def build_town_brief(year: int, town_code: str, db: Path | str | None = None) -> BuildResult:
    """A town brief (three slides) for one town."""
    t0 = time.perf_counter()
    with open_fetch(db) as fetch:
        ctx = context(fetch, year)
        sections = town_sections(fetch, year, town_code, ctx)
    res = render_pptx(sections, ctx)
    res.seconds = time.perf_counter() - t0
    return res


def export_command(kind: str, out: str, *, year: int | None = None, db=None, town: str | None = None) -> int:
    """``python -m edubalance export pptx|xlsx``: write the file, print what was written."""
    import sys

    path = db_path(db)
    if not path.exists():
        print(f"数据库不存在：{path}", file=sys.stderr)
        return 2
    with open_fetch(path) as fetch:
        years = [int(y) for y in fetch("school_years_available")["year"]]
        codes = set(fetch("town_coverage", year=years[0])["town_code"]) if years else set()
    if not years:
        print("数据库中没有学年数据。", file=sys.stderr)
        return 2
    year = years[0] if year is None else int(year)
    if year not in years:
        print(f"库中没有 {year} 学年（可用：{'、'.join(map(str, years))}）", file=sys.stderr)
        return 2
    if town and kind != "pptx":
        print("--town 只用于 pptx（镇街简报）。", file=sys.stderr)
        return 2
    if town and str(town) not in codes:
        print(f"没有区划代码为 {town} 的镇街（可用：{'、'.join(sorted(codes))}）", file=sys.stderr)
        return 2
    if kind == "xlsx":
        from edubalance.report.xlsx import build_workbook

        wb = build_workbook(year, path)
        Path(out).write_bytes(wb.data)
        print(f"已导出 {out}：{len(wb.sheets)} 个表格工作表，用时 {wb.seconds:.1f} 秒")
        for name, reason in wb.skipped:
            print(f"未导出查询 {name}：{reason}", file=sys.stderr)
        return 0
    res = build_town_brief(year, str(town), path) if town else build_deck(year, path)
    Path(out).write_bytes(res.data)
    what = f"镇街简报（{town}）" if town else "汇报"
    print(f"已导出{what} {out}：{res.slides} 页，{res.charts} 个图表，用时 {res.seconds:.1f} 秒")
    if res.map_note:
        print(f"地图：{res.map_note}", file=sys.stderr)
    return 0
