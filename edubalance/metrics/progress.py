"""Progress toward the plan's targets: the expected-path status (DESIGN.md §6), in Python.

This is the reference for the rules the named query ``targets_status`` applies in SQL; the
tests run both on the same series and require the same answer. Pages use the helpers at the
end (roll-up per target, formatting) so they hold no computation.

Each target has two columns, 2025 and 2027, each with a deadline d: the 2025 column judges a
target by its own deadline (by 2025 when it has none: 持续、每学年); the 2027 column by the end
of the plan, 2027 (a target missed on time may still be caught up), except for a target whose
round ends at its deadline (registry ``round_ends``, T21): its 2027 column repeats the
deadline verdict unless values after the deadline (a next round) are imported.

Status of a quantitative target for one column, from a series of (school year, value):

1. no value at all → 数据不足;
2. the data have reached d (latest year ≥ d): the verdict is final and judges the figure of
   year d itself (none → 数据不足) — it meets the goal → 已达标, else → 未按期达标. A target
   met late keeps 未按期达标 in the column whose deadline it missed (met_year tells when);
3. otherwise a projection: the latest value meets the goal → 已达标;
4. no second year from the baseline on → 数据不足;
5. observed yearly change since the baseline (in the goal's direction) < 0 → 偏离;
6. R = observed yearly change ÷ yearly change needed from the baseline to the goal by d (the
   UN SDG progress-chart ratio); R ≥ on_track (registry key ``progress_on_track_ratio``,
   0.95) → 按期可达, else 需加速.

The baseline point is the first year from the target's baseline year on (the first year of
the series when all years are earlier). met_year is the first year of the run of years,
ending with the latest, in which the goal is met (None when the latest value misses it);
overdue_since is the earliest column deadline whose final verdict is 未按期达标.

Qualitative tasks (任务进展 sheet, the city's rows): the latest row up to the end of the
school year (31 August of year + 1): 已完成 → 已完成; past the task's due date (31 December
of its deadline year) and not 已完成, also with no row at all → 逾期; else 推进中 → 推进中,
滞后 → 需加速, 未启动 → 未启动, no row → 数据不足.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd

from edubalance.model import registry
from edubalance.model.format import format_target_value, is_missing

MET = "已达标"
LATE = "未按期达标"  # the target's own deadline reached without the goal: a final verdict
ON_TRACK = "按期可达"
ACCELERATE = "需加速"
OFF_TRACK = "偏离"
NO_DATA = "数据不足"
# Qualitative tasks (任务进展) have their own words; 滞后 maps to ACCELERATE.
DONE = "已完成"
IN_PROGRESS = "推进中"
NOT_STARTED = "未启动"
OVERDUE = "逾期"
# The words a quantitative target can get.
STATUSES = (MET, LATE, ON_TRACK, ACCELERATE, OFF_TRACK, NO_DATA)
# The words a qualitative task can get.
TASK_STATUSES = (DONE, IN_PROGRESS, ACCELERATE, NOT_STARTED, OVERDUE, NO_DATA)
# Display order, best first (all ten words).
STATUS_ORDER = (MET, DONE, ON_TRACK, IN_PROGRESS, ACCELERATE, NOT_STARTED, OFF_TRACK, LATE, OVERDUE, NO_DATA)
# Which unit status speaks for a target with several units: the worst one present. A missed
# deadline is final and outranks any projection; 数据不足 sits below the words that say
# something is wrong, so it never hides them.
SEVERITY = {
    MET: 0,
    DONE: 0,
    ON_TRACK: 1,
    IN_PROGRESS: 1,
    NO_DATA: 2,
    NOT_STARTED: 3,
    ACCELERATE: 4,
    OFF_TRACK: 5,
    LATE: 6,
    OVERDUE: 6,
}
HORIZONS = (2025, 2027)
# The plan annex's six programmes, in the annex's order (目标进度 groups targets by them).
ANNEX_GROUPS = (
    "教育资源扩增工程",
    "高中教育质量提升工程",
    "义务教育优质均衡工程",
    "学前教育普及普惠工程",
    "新强师工程",
    "教育综合改革工程",
)
FINAL_HORIZON = 2027
TASK_MAP = {"已完成": DONE, "推进中": IN_PROGRESS, "滞后": ACCELERATE, "未启动": NOT_STARTED}
EPS = 1e-9


@dataclass(frozen=True)
class Assessment:
    status: str
    ratio: float | None = None  # R = observed ÷ required yearly change
    needed: float | None = None  # change per year still needed from the latest value
    final: bool = False  # the data reached the deadline: a verdict, not a projection


def on_track_ratio() -> float:
    """The registry's on-track factor (raises KeyError when the registry lacks it)."""
    return registry.standard("progress_on_track_ratio", "全市")


def _points(series: Iterable[tuple[int, float]]) -> list[tuple[int, float]]:
    pts = {}
    for year, value in series:
        if is_missing(value):
            continue
        pts[int(year)] = float(value)
    return sorted(pts.items())


def baseline_point(points: Sequence[tuple[int, float]], baseline_year: int | None) -> tuple[int, float]:
    later = [p for p in points if baseline_year is None or p[0] >= baseline_year]
    return (later or list(points))[0]


def meets(value: float, goal: float, comparator: str) -> bool:
    return _sign(comparator) * (value - goal) >= -EPS


def _sign(comparator: str) -> float:
    return -1.0 if comparator.strip() == "<=" else 1.0


def expected_path_status(
    series: Iterable[tuple[int, float]],
    goal: float,
    comparator: str,
    baseline_year: int | None,
    deadline: int,
    on_track: float = 0.95,
) -> Assessment:
    """The status of a target for one deadline (see the module docstring)."""
    pts = _points(series)
    if not pts:
        return Assessment(NO_DATA)
    s = _sign(comparator)
    t_last, x_last = pts[-1]
    t0, x0 = baseline_point(pts, baseline_year)
    met = meets(x_last, goal, comparator)
    observed = s * (x_last - x0) / (t_last - t0) if t_last > t0 else None
    required = s * (goal - x0) / (deadline - t0) if deadline > t0 else None
    ratio = observed / required if required is not None and required > 0 and observed is not None else None
    needed = (goal - x_last) / (deadline - t_last) if not met and deadline > t_last else None
    if t_last >= deadline:
        at_deadline = [x for t, x in pts if t == deadline]
        if not at_deadline:
            return Assessment(NO_DATA, ratio, None, True)
        return Assessment(MET if meets(at_deadline[0], goal, comparator) else LATE, ratio, None, True)
    if met:
        status = MET
    elif observed is None:
        status = NO_DATA
    elif observed < 0:
        status = OFF_TRACK
    elif ratio is None:
        status = ACCELERATE
    else:
        status = ON_TRACK if ratio >= on_track else ACCELERATE
    return Assessment(status, ratio, needed)


def horizon_deadline(
    target_deadline: int | None,
    horizon: int,
    final: int = FINAL_HORIZON,
    round_ends: bool = False,
    last_year: int | None = None,
) -> int:
    """The deadline a column is judged by (see the module docstring). last_year is the
    latest year with a value (a round that ends has a next round when it is past the end)."""
    if horizon == final:
        if round_ends and target_deadline is not None and not (last_year is not None and last_year > target_deadline):
            return target_deadline
        return max(target_deadline if target_deadline is not None else horizon, horizon)
    return target_deadline if target_deadline is not None else horizon


def parse_deadline(text) -> int | None:
    """'2025' → 2025; '持续', '每学年', '' → None (must hold every year)."""
    try:
        return int(str(text).strip())
    except ValueError:
        return None


def status_for(
    series: Iterable[tuple[int, float]],
    goal: float,
    comparator: str,
    baseline_year: int | None,
    target_deadline,
    horizon: int,
    on_track: float = 0.95,
    round_ends: bool = False,
) -> Assessment:
    """The status shown in a horizon's column (status_2025, status_2027)."""
    series = list(series)
    pts = _points(series)
    deadline = horizon_deadline(
        parse_deadline(target_deadline), horizon, round_ends=round_ends, last_year=pts[-1][0] if pts else None
    )
    return expected_path_status(series, goal, comparator, baseline_year, deadline, on_track)


def met_year(series: Iterable[tuple[int, float]], goal: float, comparator: str) -> int | None:
    """The first year of the run of years, ending with the latest, that meet the goal."""
    first = None
    for year, value in _points(series):
        if meets(value, goal, comparator):
            first = year if first is None else first
        else:
            first = None
    return first


def overdue_since(statuses: dict[int, Assessment], deadlines: dict[int, int]) -> int | None:
    """The earliest column deadline whose final verdict is 未按期达标."""
    missed = [deadlines[h] for h, a in statuses.items() if a.status == LATE]
    return min(missed) if missed else None


def school_year_end(year: int) -> dt.date:
    """The last day of a school year (2025 → 2026-08-31): task progress counts up to it."""
    return dt.date(year + 1, 8, 31)


def task_status(latest: str | None, target_deadline, as_of: dt.date) -> str:
    """Status of a qualitative task from its latest 任务进展 status word (None: no report)."""
    if latest == "已完成":
        return DONE
    due_year = parse_deadline(target_deadline)
    if due_year is not None and as_of > dt.date(due_year, 12, 31):
        return OVERDUE
    if latest is None:
        return NO_DATA
    return TASK_MAP.get(latest, NO_DATA)


# ---------------------------------------------------------------------------------------------
# Roll-up and formatting for the pages (pure; inputs are targets_status rows)


def worst(statuses: Iterable[str]) -> str:
    present = [s for s in statuses if isinstance(s, str)]
    if not present:
        return NO_DATA
    return max(present, key=lambda s: SEVERITY.get(s, 0))


def _as_list(v) -> list:
    return [] if is_missing(v) else list(v)


def unit_met_share(rows: Sequence[dict]) -> tuple[list[int], list[float]]:
    """Per year, the share of a target's units whose value meets the goal (its trend when it
    has several units; units without a value that year are left out)."""
    met: dict[int, list[bool]] = {}
    for r in rows:
        if is_missing(r["goal"]):
            continue
        for y, v in zip(_as_list(r["series_years"]), _as_list(r["series_values"])):
            if not is_missing(v):
                met.setdefault(int(y), []).append(meets(float(v), float(r["goal"]), r["comparator"]))
    years = sorted(met)
    return years, [sum(met[y]) / len(met[y]) for y in years]


def _by_target(status: pd.DataFrame) -> dict[str, list[dict]]:
    # Plain records: element access on arrow-backed frames is slow, and this runs per page view.
    groups: dict[str, list[dict]] = {}
    for r in status.to_dict("records"):
        groups.setdefault(r["target_id"], []).append(r)
    return groups


def rollup(status: pd.DataFrame) -> pd.DataFrame:
    """One row per target: units, units still missing the goal per horizon, the target's
    status per horizon (the worst unit status), its trend and, for a one-unit target, value
    and path; the deadline it missed (overdue_since, the earliest over its units) and the
    year it was met (met_year: for several units, the year the last of them got there)."""
    out = []
    for target_id, g in _by_target(status).items():
        first = g[0]
        n = len(g)
        row = {k: first.get(k) for k in ROLLUP_KEYS}
        row["target_id"] = target_id
        row["units"] = n
        for h in HORIZONS:
            col = f"status_{h}"
            row[col] = worst(r[col] for r in g)
            row[f"missing_{h}"] = sum(not is_met(r[col]) for r in g)
            finals = [bool(r[f"final_{h}"]) for r in g if not is_missing(r.get(f"final_{h}"))]
            row[f"final_{h}"] = any(finals) if finals else None  # None: the query does not say
        row["met_now"] = sum(meets_now(r) for r in g)
        # units that missed the deadline and met the goal later (“赤水镇（2026年补齐）”)
        row["caught_up"] = [
            f"{r['scope_name'] if not is_missing(r['scope_name']) else r['scope_code']}"
            + (f"（{int(r['met_year'])}年补齐）" if not is_missing(r.get("met_year")) else "（已补齐）")
            for r in g
            if n > 1 and not is_missing(r.get("overdue_since")) and meets_now(r)
        ]
        overdue = [int(r["overdue_since"]) for r in g if not is_missing(r.get("overdue_since"))]
        row["overdue_since"] = min(overdue) if overdue else None
        met_years = [r.get("met_year") for r in g]
        row["met_year"] = (
            max(int(y) for y in met_years) if met_years and not any(is_missing(y) for y in met_years) else None
        )
        if n == 1:
            row["value"] = first["value"]
            row["value_year"] = first["value_year"]
            row["trend_years"] = _as_list(first["series_years"])
            row["trend_values"] = _as_list(first["series_values"])
            row["trend_kind"] = "value"
            for h in HORIZONS:
                row[f"needed_{h}"] = first.get(f"needed_{h}")
                row[f"deadline_{h}"] = first.get(f"deadline_{h}")
        else:
            years, shares = unit_met_share(g)
            row["value"] = float(n - row["missing_2025"])  # units meeting the goal
            row["value_year"] = max((r["value_year"] for r in g if not is_missing(r["value_year"])), default=None)
            row["trend_years"] = years
            row["trend_values"] = shares
            row["trend_kind"] = "share_met"
            for h in HORIZONS:
                row[f"needed_{h}"] = None
                row[f"deadline_{h}"] = max(
                    (r[f"deadline_{h}"] for r in g if not is_missing(r[f"deadline_{h}"])), default=None
                )
        out.append(row)
    df = pd.DataFrame(out)
    return df[["target_id", *[c for c in df.columns if c != "target_id"]]] if len(df) else df


ROLLUP_KEYS = (
    "group_zh",
    "wording",
    "kind",
    "scope",
    "comparator",
    "goal",
    "unit",
    "deadline",
    "owner",
    "task_status",
    "task_updated_on",
    "task_note",
    # issue 12: where the target sits in the plan and what the page must say about it
    "plan_clause",
    "deadline_note",
    "owner_note",
    "measure_note",
)


def missing_units(status: pd.DataFrame) -> dict[str, list[str]]:
    """For targets with several units, the names of the units not meeting the goal in their
    latest value (a unit met after its deadline is not among them)."""
    out: dict[str, list[str]] = {}
    for target_id, g in _by_target(status).items():
        if len(g) > 1:
            out[target_id] = [
                r["scope_name"] if not is_missing(r["scope_name"]) else r["scope_code"] for r in g if not meets_now(r)
            ]
    return out


def is_met(status) -> bool:
    """已达标 for a target, 已完成 for a task."""
    return status in (MET, DONE)


def meets_now(row) -> bool:
    """Whether a unit meets its goal in its latest value: a unit met after its deadline keeps
    the word 未按期达标 but no longer misses the goal (it is not listed as missing it)."""
    if row.get("kind") == "qualitative" or is_missing(row.get("goal")) or is_missing(row.get("value")):
        return is_met(row.get("status_2025"))
    return meets(float(row["value"]), float(row["goal"]), row.get("comparator") or ">=")


# Final verdicts that something went wrong, and the projection that it will: what 总览 lists.
ATTENTION = (LATE, OVERDUE, OFF_TRACK)


def attention(summary: pd.DataFrame, missing_names: dict[str, list[str]]) -> list[dict]:
    """Targets whose 2025 or 2027 word is 未按期达标, 逾期 or 偏离, worst first (final verdicts
    before projections), each with its owners and the names of the units that miss it."""
    out = []
    for r in summary.to_dict("records"):
        words = [r[f"status_{h}"] for h in HORIZONS if r[f"status_{h}"] in ATTENTION]
        if not words:
            continue
        out.append(
            {
                "target_id": r["target_id"],
                "wording": r["wording"],
                "status": worst(words),
                "horizons": [h for h in HORIZONS if r[f"status_{h}"] in ATTENTION],
                "owner": r.get("owner"),
                "owner_note": r.get("owner_note"),
                "units": r["units"],
                "missing": list(missing_names.get(r["target_id"], [])),
                "scope": r.get("scope"),
                "overdue_since": r.get("overdue_since"),
                "met_year": r.get("met_year"),
                "deadline": r.get("deadline"),
                "kind": r.get("kind"),
                "value": r.get("value"),
                "goal": r.get("goal"),
                "comparator": r.get("comparator"),
                "unit": r.get("unit"),
                "task_status": r.get("task_status"),
            }
        )
    rank = {LATE: 0, OVERDUE: 0, OFF_TRACK: 1}
    return sorted(out, key=lambda a: (rank[a["status"]], _target_number(a["target_id"])))


def _target_number(target_id: str) -> tuple[int, str, int]:
    """Registry order: targets (T1, T2, … T10) before tasks (Q1, …)."""
    digits = "".join(c for c in str(target_id) if c.isdigit())
    head = str(target_id)[:1]
    return (0 if head == "T" else 1, head, int(digits) if digits else 0)


def catch_up_note(met_year, overdue_since, data_year: int, deadline=None) -> str:
    """“2026年补齐” when a target missed its deadline and was met later; “逾期N年” (data year −
    the missed deadline) while it is still unmet; “到期未达标” in the deadline year itself.
    A standing requirement (deadline 持续/每学年) has no due date to be late for: its 2025
    column judges the 2025 figure, so it reads “2025年起未达标” instead of “逾期N年”."""
    if is_missing(overdue_since):
        return ""
    due = int(overdue_since)
    if not is_missing(met_year) and int(met_year) > due:
        return f"{int(met_year)}年补齐"
    if deadline is not None and not is_missing(deadline) and parse_deadline(deadline) is None:
        return f"{due}年起未达标"
    late = int(data_year) - due
    return f"逾期{late}年" if late > 0 else f"{due}年到期未达标"


TOWN_SCOPES = ("zhen", "town")


def town_shortfalls(status: pd.DataFrame) -> pd.DataFrame:
    """Every town-scoped target (scope 镇 or 镇街) with the towns that do not meet it now, one
    row per target: target_id, wording, deadline, towns (names), units, status (worst)."""
    rows = []
    for target_id, g in _by_target(status).items():
        if g[0].get("scope") not in TOWN_SCOPES:
            continue
        short = [r for r in g if not meets_now(r)]
        rows.append(
            {
                "target_id": target_id,
                "wording": g[0]["wording"],
                "deadline": g[0].get("deadline"),
                "towns": [r["scope_name"] if not is_missing(r["scope_name"]) else r["scope_code"] for r in short],
                "units": len(g),
                "status": worst(r["status_2025"] for r in short) if short else MET,
            }
        )
    return pd.DataFrame(rows, columns=["target_id", "wording", "deadline", "towns", "units", "status"])


def town_rows(status: pd.DataFrame, town_code: str) -> pd.DataFrame:
    """The targets_status rows judged for one town (its own unit of town-scoped targets)."""
    if status.empty:
        return status
    return status[(status["scope"].isin(TOWN_SCOPES)) & (status["scope_code"].astype(str) == str(town_code))]


def group_order(groups: Iterable[str]) -> list[str]:
    """The annex's programmes first, in its order, then any other group as first seen."""
    present = list(dict.fromkeys(g for g in groups if isinstance(g, str)))
    return [g for g in ANNEX_GROUPS if g in present] + [g for g in present if g not in ANNEX_GROUPS]


def for_owner(summary: pd.DataFrame, owner: str | None) -> pd.DataFrame:
    """The targets a 责任单位 is named on (all targets when owner is None)."""
    if not owner:
        return summary
    return summary[summary["owner"].map(lambda o: owner in split_owner(o))]


def status_counts(summary: pd.DataFrame) -> pd.DataFrame:
    """Targets per status and horizon (rows in STATUS_ORDER, columns 2025 and 2027)."""
    data = {str(h): [int((summary[f"status_{h}"] == s).sum()) for s in STATUS_ORDER] for h in HORIZONS}
    return pd.DataFrame(data, index=list(STATUS_ORDER))


def owners(targets_owner: Iterable[str]) -> list[str]:
    """The distinct 责任单位 named in the registry's owner lists, in first-seen order."""
    seen: dict[str, None] = {}
    for text in targets_owner:
        for unit in split_owner(text):
            seen.setdefault(unit, None)
    return list(seen)


def split_owner(text) -> list[str]:
    if not isinstance(text, str):
        return []
    return [u.strip() for u in text.replace("，", "、").split("、") if u.strip()]


def format_goal(comparator: str, goal, unit: str) -> str:
    if is_missing(goal):
        return "—"
    sym = {">=": "≥", "<=": "≤"}.get(comparator, comparator)
    if unit == "是/否":
        return "达标"
    return f"{sym} {format_target_value(goal, unit)}"


def format_path(needed, deadline, unit: str) -> str:
    """“每年 +1.2 个百分点，至2027年” — the change per year still needed to the deadline."""
    if is_missing(needed) or is_missing(deadline):
        return ""
    n = float(needed)
    sign = "+" if n >= 0 else "−"
    if unit in ("比例", "同比增长率"):
        amount = f"{sign}{abs(n) * 100:.1f} 个百分点"
    elif unit == "倍":
        amount = f"{sign}{abs(n):.3f} 倍"
    else:
        amount = f"{sign}{abs(n):.1f} {unit}"
    return f"每年 {amount}，至{int(deadline)}年"


# What each word means: the legend of 目标进度, the deck's target slide and the workbook.
STATUS_MEANING = {
    MET: "最新值已达到目标",
    LATE: "已到目标自身期限仍未达到（最终结论）",
    ON_TRACK: "按目前进展可按期达到",
    ACCELERATE: "有进展但慢于按期所需（任务：滞后）",
    OFF_TRACK: "向相反方向变化",
    NO_DATA: "不足2个学年数据，或无进展记录",
    DONE: "任务已完成",
    IN_PROGRESS: "任务推进中",
    NOT_STARTED: "任务未启动（未到期）",
    OVERDUE: "任务过期未完成（含无进展记录）",
}


def status_legend_text(words=None) -> str:
    """The legend as one line of text (deck, workbook): “word：meaning；…”."""
    return "；".join(f"{w}：{STATUS_MEANING[w]}" for w in (words or STATUS_MEANING)) + "。"


def shared_task_note(summary: pd.DataFrame) -> str | None:
    """The measure note most tasks share (said once on 目标进度 rather than on every card)."""
    notes = summary.loc[summary["kind"] == "qualitative", "measure_note"] if "measure_note" in summary else []
    notes = [n for n in notes if isinstance(n, str) and n.strip()]
    if not notes:
        return None
    common = pd.Series(notes).mode().iloc[0]
    return common if sum(n.startswith(common) for n in notes) > len(notes) / 2 else None
