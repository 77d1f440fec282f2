"""The meeting deck's sections, in slide order: title, targets, 差异系数, town rankings, the
map, lagging towns, class sizes, teachers, preschool, methods and sources.

Every builder reads named queries through ``fetch`` and returns a ``Section``; ``deck_sections``
runs each under a guard, so a failing query leaves a slide that says so instead of no deck.
The targets slide reads targets_status only: its words and their order come from the rules
of 目标进度 (edubalance.metrics.progress), so the deck says what that page says.
"""

from __future__ import annotations

import logging

import pandas as pd

from edubalance.charts.map import town_map
from edubalance.geo.zones import OUTLINE_CREDIT, SCHEMATIC_LABEL, town_geojson
from edubalance.metrics import progress
from edubalance.model import registry
from edubalance.model.format import CV_UNIT, d3_format, format_number, is_missing, school_year_label
from edubalance.report import headlines
from edubalance.report.content import (
    BEHIND,
    CMP_SYMBOL,
    COMPULSORY,
    ChartSpec,
    DeckContext,
    Section,
    as_float,
    context,
    list_text,
    short_names,
    standard_text,
)
from edubalance.report.fetch import Fetch

MAP_SCALE = [[0.0, "#fee5d9"], [0.5, "#fb6a4a"], [1.0, "#a50f15"]]

log = logging.getLogger(__name__)


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
    name = short_names().get(indicator, d["indicator_name"].iloc[0])
    standard = as_float(d["standard"].iloc[0])
    city = as_float(d["city_value"].iloc[0])
    if standard is not None:
        bad = [(v < standard) if higher else (v > standard) for v in d["town_value"]]
    else:
        bad = [(v < city) if higher else (v > city) for v in d["town_value"]] if city is not None else None
    parts = [f"全市 {format_number(city, unit)}"]
    if standard is not None:
        parts.append(f"标准 {'≥' if higher else '≤'}{format_number(standard, unit)}")
    return ChartSpec(
        source=f"town_gaps|year={year}|stage={stage}|indicator={indicator}|town_value",
        title=f"{stage}·{name}（{unit}）  " + " · ".join(parts),
        categories=d["town_name"].tolist(),
        series={name: [float(v) for v in d["town_value"]]},
        value_format=d3_format(unit),
        bad=bad,
        reference=standard,
        reference_label="标准",
        description=f"{stage}各镇街{d['indicator_name'].iloc[0]}，红色为未达标准",
    )


def _targets_section(fetch: Fetch, ctx: DeckContext) -> Section:
    """Headline status for 2025 and 2027, from targets_status (the rules of 目标进度)."""
    return _targets_from_status(fetch("targets_status", year=ctx.year), ctx)


def _targets_from_status(ts: pd.DataFrame, ctx: DeckContext) -> Section:
    allroll = headlines.target_rollup(ts)
    roll = allroll[allroll["kind"] != "qualitative"]
    qual = allroll[allroll["kind"] == "qualitative"]
    statuses = headlines.status_order(list(roll["status_2025"]) + list(roll["status_2027"]))
    counts = {f"{y}年": [float((roll[f"status_{y}"] == s).sum()) for s in statuses] for y in (2025, 2027)}
    chart = ChartSpec(
        source=f"targets_status|year={ctx.year}|target_rollup",
        title="可量化目标的状态（目标数）",
        categories=statuses,
        series=counts,
        value_format=",.0f",
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
        source="数据：targets_status（预期路径法：实际年均变化 ÷ 按期达标所需年均变化）；目标：本县方案目标登记表（无本县方案时为通用目标）",
    )


def _cv_section(cv: pd.DataFrame, ctx: DeckContext) -> Section:
    short = short_names()
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
            row[f"{s}（≤{caps[s]:.2f}）"] = f"{format_number(r['cv'].iloc[0], CV_UNIT)} {'✓' if ok else '✗超限'}"
        rows.append(row)
        bad.append(row_bad)
    series = {}
    for s in stages:
        d = cv[cv["stage"] == s].set_index("indicator").reindex(order)
        series[s] = [as_float(v) for v in d["cv"]]
    chart = ChartSpec(
        source=f"balance_cv|year={ctx.year}|cv",
        title="校际差异系数（" + "；".join(f"{s}限值 {caps[s]:.2f}" for s in stages) + "）",
        categories=[short.get(i, names[i]) for i in order],
        series=series,
        value_format=d3_format(CV_UNIT),
        description="各指标小学、初中校际差异系数",
    )
    fails = [
        f"{short.get(r.indicator, r.indicator_name)}（{r.stage} {format_number(r.cv, CV_UNIT)}）"
        for r in cv[~cv["passed"]].itertuples()
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
    short = short_names()
    notes = []
    for k, c in zip(keys, charts):
        low = [cat for cat, b in zip(c.categories, c.bad or []) if b]
        notes.append(f"{short.get(k, k)}未达标：{list_text(low, 6)}")
    missing = sorted(set(gaps["town_name"]) - set(charts[0].categories)) if charts else []
    return Section(
        key=f"ranking_{stage}",
        title=f"镇街排名：{stage}（差异系数最高的两项指标）",
        subtitle="；".join(notes) + "。",
        charts=charts,
        bullets=[f"无{stage}在校生的镇街未列出：{'、'.join(missing)}"] if missing else [],
        source=f"数据：town_gaps（镇街值 = k·ΣR/ΣP，按在校生加权）；{stage}标准：indicator_standards.csv",
    )


def map_section(fetch: Fetch, lag: pd.DataFrame, ctx: DeckContext) -> Section:
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
                "镇街÷全市": format_number(r.worst_ratio_to_city, "比例"),
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
        value_format=",.0f",
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
    if is_missing(text):
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
            "超过学段标准": [as_float(v) for v in cls["over_standard_share"]],
            "大班额（≥56人）": [as_float(v) for v in cls["big_share"]],
            "超大班额（≥66人）": [as_float(v) for v in cls["super_big_share"]],
        },
        value_format=".1%",
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
    short = short_names()
    ratios = df[df["unit"] == "比例"]
    chart = ChartSpec(
        source=f"{source}|year={ctx.year}|value,standard",
        title="实际值与目标值",
        categories=[short.get(k, n) for k, n in zip(ratios["indicator"], ratios["indicator_name"])],
        series={"实际值": [as_float(v) for v in ratios["value"]], "目标值": [as_float(v) for v in ratios["standard"]]},
        value_format=".1%",
        horizontal=True,
        description=f"{title}：实际值与目标值",
    )
    rows = [
        {
            "指标": r.indicator_name,
            "实际值": format_number(r.value, r.unit),
            "目标": f"{CMP_SYMBOL.get(r.comparator, r.comparator or '')}{format_number(r.standard, r.unit)}",
            "判断": "—" if is_missing(r.met) else ("达标" if r.met else "未达标"),
        }
        for r in df.itertuples()
    ]
    misses = [short.get(r.indicator, r.indicator_name) for r in df.itertuples() if not is_missing(r.met) and not r.met]
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


def _teacher_section(fetch: Fetch, ctx: DeckContext) -> Section:
    df = headlines.teacher_summary(fetch, ctx.year)
    extra = []
    for r in df.itertuples():
        if r.indicator == "exchange_rate_all" and not is_missing(r.denominator):
            extra.append(f"交流轮岗 {int(r.numerator)} 人 / 专任教师 {int(r.denominator)} 人（方案口径：占教师总数）。")
        if r.indicator == "rural_principals_under45_share" and not is_missing(r.denominator):
            extra.append(f"乡村校（园）长 {int(r.denominator)} 人，其中45岁以下 {int(r.numerator)} 人。")
    sec = _rate_section(df, "teachers", "教师队伍：交流轮岗与校长队伍", "teacher_policy+principals_summary", extra, ctx)
    sec.source = "数据：teacher_policy（全市）、principals_summary（乡村、全市）；目标：indicator_standards.csv"
    return sec


def _preschool_section(fetch: Fetch, cov: pd.DataFrame, ctx: DeckContext) -> Section:
    df = headlines.preschool_summary(fetch, ctx.year)
    zhen = cov[cov["required"]]
    lacking = zhen[~zhen["has_central_kg"]]["town_name"].tolist()
    extra = [
        f"规范化公办中心幼儿园：{int(zhen['has_central_kg'].sum())}/{len(zhen)} 个镇已有；尚缺：{list_text(lacking)}。"
    ]
    sec = _rate_section(df, "preschool", "学前教育：普及普惠", "preschool_summary", extra, ctx)
    gaps = fetch("town_gaps", year=ctx.year, stage="学前")
    rank = ranking_chart(gaps, ctx.year, "学前", "preschool_children_per_teacher")
    if rank is not None:
        sec.charts.append(rank)
    return sec


def _methods_section(fetch: Fetch, ctx: DeckContext) -> Section:
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
                "标准": standard_text(key) or "—",
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
        _guard("map", "镇街分布：资源配置短板", map_section, fetch, lag, ctx),
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
