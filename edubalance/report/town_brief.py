"""A town brief: three slides for one town — its targets, its gaps to the city and the
standards, its schools falling short — built from the named queries like the meeting deck.

Target values read as on the 镇街详情 page (model.format.format_target_value and
progress.format_goal: "3 所（目标 ≥ 1 所）"); indicator values as in the town tables.
"""

from __future__ import annotations

import logging

import pandas as pd

from edubalance.metrics import progress
from edubalance.model.format import format_number, format_target_value, is_missing, school_year_label
from edubalance.report.content import (
    BEHIND,
    COMPULSORY,
    ChartSpec,
    DeckContext,
    Section,
    as_float,
    balance_keys,
    context,
    short_names,
)
from edubalance.report.fetch import Fetch

# The two facility targets every 镇 must meet, by their registry indicator keys; targets_status
# judges them itself for each 镇, and then its rows replace these two.
FACILITY_KEYS = ("public_boarding_school", "public_central_kindergarten")
PROFILE_COLUMNS = {
    "students_preschool": "学前",
    "students_primary": "小学",
    "students_junior": "初中",
    "students_senior": "高中",
    "students_special": "特教",
}
SCHOOLS_LISTED = 12

log = logging.getLogger(__name__)


def town_sections(fetch: Fetch, year: int, town_code: str, ctx: DeckContext | None = None) -> list[Section]:
    """Three slides for one town: its count targets, its gaps, its schools falling short."""
    ctx = ctx or context(fetch, year)
    code = str(town_code)
    cov = fetch("town_coverage", year=year)
    hit = cov[cov["town_code"] == code]
    if hit.empty:
        raise KeyError(f"没有区划代码为 {town_code} 的镇街")
    town = hit.iloc[0]
    return [
        targets_slide(fetch, year, code, town),
        gaps_slide(fetch, year, code, town["town_name"]),
        schools_slide(fetch, year, code, town["town_name"]),
    ]


# --- 1. targets ----------------------------------------------------------------------------------


def facility_rows(town: pd.Series) -> list[dict]:
    """The boarding-school and central-kindergarten rows from town_coverage."""

    def need(flag: bool) -> str:
        return "已达标" if flag else ("未达标" if town["required"] else "不要求（非镇）")

    return [
        {
            "目标": "至少1所公办寄宿制学校（2025年）",
            "现状": f"{int(town['public_boarding_schools'])} 所",
            "状态": need(bool(town["has_boarding"])),
        },
        {
            "目标": "1所以上规范化公办中心幼儿园（2025年）",
            "现状": f"{int(town['standard_central_kindergartens'])} 所",
            "状态": need(bool(town["has_central_kg"])),
        },
    ]


def target_row(r, year: int) -> dict:
    """One targets_status row of the town as a table row (value and goal as 镇街详情 shows them)."""
    wording = str(getattr(r, "wording", "") or r.target_id)
    unit = getattr(r, "unit", None)
    value = format_target_value(r.value, unit)
    goal = progress.format_goal(getattr(r, "comparator", ""), r.goal, unit)
    note = progress.catch_up_note(
        getattr(r, "met_year", None), getattr(r, "overdue_since", None), year, getattr(r, "deadline", None)
    )
    return {
        "目标": f"{r.target_id} {wording[:24]}{'…' if len(wording) > 24 else ''}",
        "现状": f"{value}（目标 {goal}）",
        "状态": f"2025年 {r.status_2025}；2027年 {r.status_2027}" + (f"（{note}）" if note else ""),
    }


def target_rows(fetch: Fetch, year: int, code: str, town: pd.Series) -> list[dict]:
    rows = facility_rows(town)
    try:
        ts = fetch("targets_status", year=year)
        mine = ts[ts["scope_code"].astype(str) == code]
    except Exception:  # noqa: BLE001 — the two coverage rows still stand
        log.exception("targets_status for the brief failed")
        mine = pd.DataFrame()
    if len(mine) and "indicator_key" in mine:
        covered = set(mine["indicator_key"])
        rows = [r for key, r in zip(FACILITY_KEYS, rows) if key not in covered]
    return rows + [target_row(r, year) for r in mine.itertuples()]


def profile_chart(fetch: Fetch, year: int, code: str, name: str) -> list[ChartSpec]:
    """The town's pupils by stage (town_profile); none when the query fails."""
    try:
        prof = fetch("town_profile", year=year)
    except Exception:  # noqa: BLE001 — the profile chart is a nicety
        log.exception("town_profile for the brief failed")
        return []
    prof = prof[prof["town_code"] == code]
    if not len(prof) or not set(PROFILE_COLUMNS) <= set(prof.columns):
        return []
    p0 = prof.iloc[0]
    return [
        ChartSpec(
            source=f"town_profile|year={year}|town_code={code}|" + ",".join(PROFILE_COLUMNS),
            title="在校生（人，按学段）",
            categories=list(PROFILE_COLUMNS.values()),
            series={"在校生": [as_float(p0[c]) or 0.0 for c in PROFILE_COLUMNS]},
            value_format=",.0f",
            horizontal=False,
            description=f"{name}各学段在校生数",
        )
    ]


def targets_slide(fetch: Fetch, year: int, code: str, town: pd.Series) -> Section:
    name = town["town_name"]
    rows = target_rows(fetch, year, code, town)
    return Section(
        key=f"town_{code}_targets",
        title=f"{name}：目标达成情况",
        subtitle=f"{town['town_kind']} · {int(town['schools'])} 所学校（园） · 在校生 {int(town['students']):,} 人 · "
        f"{school_year_label(year)}",
        table=pd.DataFrame(rows),
        table_bad=[any(w in r["状态"] for w in ("未达标", *BEHIND)) for r in rows],
        charts=profile_chart(fetch, year, code, name),
        bullets=["方案要求每个乡镇（不含街道）配置公办寄宿制学校和规范化公办中心幼儿园。"]
        if not town["required"]
        else [],
        source="数据：town_coverage、targets_status",
    )


# --- 2. gaps to the city and the standards ---------------------------------------------------------


def gaps_slide(fetch: Fetch, year: int, code: str, name: str) -> Section:
    short = short_names()
    keys = balance_keys()
    rows, bad, series = [], [], {}
    for stage in COMPULSORY:
        g = fetch("town_gaps", year=year, stage=stage)
        g = g[(g["town_code"] == code) & g["town_value"].notna()]
        g = g[g["indicator"].isin(keys)]
        if g.empty:
            continue
        by_key = g.set_index("indicator")
        series[stage] = [as_float(by_key["ratio_to_city"].get(k)) for k in keys]
        for r in g.itertuples():
            rows.append(
                {
                    "学段": stage,
                    "指标": short.get(r.indicator, r.indicator_name),
                    "镇街值": format_number(r.town_value, r.unit),
                    "全市值": format_number(r.city_value, r.unit),
                    "标准": format_number(r.standard, r.unit),
                    "镇街÷全市": format_number(r.ratio_to_city, "比例"),
                }
            )
            bad.append(not is_missing(r.standard) and r.town_value < r.standard)
    charts = []
    if series:
        charts.append(
            ChartSpec(
                source=f"town_gaps|year={year}|town_code={code}|ratio_to_city",
                title="镇街值 ÷ 全市值（100% = 与全市持平）",
                categories=[short.get(k, k) for k in keys],
                series=series,
                value_format=".0%",
                description=f"{name}各指标与全市的比值",
            )
        )
    return Section(
        key=f"town_{code}_gaps",
        title=f"{name}：与全市及标准的差距",
        subtitle=(f"{sum(bad)} 项（学段×指标）低于资源配置标准。" if rows else "本镇街没有小学、初中在校生数据。"),
        table=pd.DataFrame(rows) if rows else None,
        table_bad=bad if rows else None,
        charts=charts,
        bullets=[] if rows else ["义务教育资源配置指标不适用；学前、高中情况见“镇街详情”页。"],
        source="数据：town_gaps（镇街值 = k·ΣR/ΣP）；标准：indicator_standards.csv",
    )


# --- 3. schools falling short ----------------------------------------------------------------------


def schools_slide(fetch: Fetch, year: int, code: str, name: str) -> Section:
    short = short_names()
    comp = fetch("school_compliance", year=year)
    comp = comp[comp["town_code"] == code]
    assessed = comp.drop_duplicates(["school_id", "stage"])
    failing = assessed[~assessed["passes_6_of_7"].astype(bool)].sort_values(["met_count", "min_ratio"])
    big = fetch("oversized_schools", year=year)
    big = big[big["town_code"] == code]
    rows = []
    for r in failing.head(SCHOOLS_LISTED).itertuples():
        below = comp[(comp["school_id"] == r.school_id) & (comp["stage"] == r.stage) & ~comp["met"].astype(bool)]
        rows.append(
            {
                "学校": r.school_name,
                "学段": r.stage,
                "达标项数": f"{int(r.met_count)}/7",
                "最低项÷标准": format_number(r.min_ratio, "比例"),
                "未达标指标": "、".join(short.get(k, k) for k in below["indicator"]) or "—",
            }
        )
    bullets = []
    if len(failing) > SCHOOLS_LISTED:
        bullets.append(f"另有 {len(failing) - SCHOOLS_LISTED} 所（段）未列出，见“义务教育优质均衡”页。")
    if len(big):
        bullets.append("大校额：" + "、".join(f"{r.school_name}（{int(r.students)}人）" for r in big.itertuples()))
    if not rows:
        bullets.insert(
            0,
            f"参评的 {len(assessed)} 所学校（段）均达到资源配置要求。"
            if len(assessed)
            else "本镇街没有参评的小学、初中学校（段）。",
        )
    return Section(
        key=f"town_{code}_schools",
        title=f"{name}：未达标学校",
        subtitle=f"参评 {len(assessed)} 所学校（段），{len(failing)} 所未达到“7项中至少6项达标、其余不低于85%”。",
        table=pd.DataFrame(rows) if rows else None,
        table_bad=[True] * len(rows) if rows else None,
        bullets=bullets,
        source="数据：school_compliance、oversized_schools；规则：办法2017",
    )
