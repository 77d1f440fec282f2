"""Analytics done in Python because SQL would be contorted: what-if scenarios over the
优质均衡 inputs, merge simulations for the small-school screening, the nearest central
school, and the scenario workbook.

Everything here is a pure function of query results (`balance_inputs`, `small_schools`,
`school_list`); the thresholds travel in those results from the registry, never as
literals here. The county CV is metrics.weighted_cv, the same formula the SQL uses.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from edubalance.geo.points import haversine_km
from edubalance.metrics.inequality import weighted_cv
from edubalance.model.labels import labelled
from edubalance.model.safe_text import XLSX_OPTIONS, sheet_name
from edubalance.model.schema import SHEETS_BY_KEY

KEY = ["school_id", "stage"]
MODES = {"standard": "补足到标准", "add": "按数量追加"}


# ---------------------------------------------------------------------------------------------
# Measures: the numerator columns of the indicators, with the unit their cost is counted in
# ---------------------------------------------------------------------------------------------


def measure_info(measure: str) -> dict:
    """Chinese name, cost unit and whether the amount comes in whole units (people, rooms)."""
    col = next((c for c in SHEETS_BY_KEY["school_years"].columns if c.key == measure), None)
    if col is None:
        return {"measure": measure, "measure_name": measure, "cost_unit": "", "whole": False}
    unit = col.note or ("人" if col.zh.endswith("教师数") else "间" if col.zh.endswith("教室数") else "")
    name = col.zh[:-1] if col.zh.endswith("数") and col.kind == "int" else col.zh
    return {"measure": measure, "measure_name": name, "cost_unit": unit, "whole": col.kind == "int"}


def segment_label(df: pd.DataFrame) -> pd.Series:
    """“学校名称（学段·镇街）” for pickers and charts."""
    return df["school_name"] + "（" + df["stage"] + "·" + df["town_name"] + "）"


def segment_options(inputs: pd.DataFrame, stage: str) -> pd.DataFrame:
    """The assessed segments of a stage for a picker, those failing the 6-of-7 rule first."""
    d = inputs[(inputs["stage"] == stage) & inputs["in_cv"]]
    rule = school_rule(d)
    seg = d.drop_duplicates(KEY)[KEY + ["school_name", "town_name", "students"]].merge(rule, on=KEY)
    seg["label"] = segment_label(seg)
    seg["key"] = seg["school_id"] + "|" + seg["stage"]
    return seg.sort_values(["passes", "met_count", "min_ratio", "school_id"]).reset_index(drop=True)


def parse_keys(keys) -> list[tuple[str, str]]:
    return [tuple(k.split("|", 1)) for k in keys]


# ---------------------------------------------------------------------------------------------
# County CV and the school rule over (possibly modified) inputs
# ---------------------------------------------------------------------------------------------


def _values(d: pd.DataFrame, numerator: str, denominator: str) -> pd.Series:
    p = d[denominator].astype(float)
    return (d["scale"].astype(float) * d[numerator].astype(float) / p).where(p > 0)


def county_cvs(inputs: pd.DataFrame, numerator: str = "numerator", denominator: str = "denominator") -> pd.DataFrame:
    """Official pupil-weighted CV (metrics.weighted_cv) per stage and indicator over the
    assessed segments (in_cv)."""
    d = inputs.loc[inputs["in_cv"] & (inputs[denominator] > 0)]
    keys = ["stage", "indicator"]
    extra = [c for c in ("short_name",) if c in d.columns]
    meta = d.drop_duplicates(keys)[keys + ["indicator_name", *extra, "unit", "scale", "cv_cap"]].reset_index(drop=True)
    # Group with numpy rather than per-group pandas slices: this runs on every what-if.
    codes = pd.MultiIndex.from_frame(meta[keys]).get_indexer(pd.MultiIndex.from_frame(d[keys]))
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(1, len(meta)))
    r = np.split(d[numerator].to_numpy(float)[order], bounds)
    p = np.split(d[denominator].to_numpy(float)[order], bounds)
    out = meta.copy()
    k = out["scale"].to_numpy(float)
    out["mean"] = [k[i] * r[i].sum() / p[i].sum() for i in range(len(meta))]
    out["cv"] = [weighted_cv(r[i], p[i], k[i]) if out["mean"][i] > 0 else np.nan for i in range(len(meta))]
    out["threshold"] = out["cv_cap"].astype(float)
    out["passed"] = (out["cv"] <= out["threshold"]).astype(bool)
    return out[["stage", "indicator", "indicator_name", *extra, "unit", "mean", "cv", "threshold", "passed"]]


def school_rule(inputs: pd.DataFrame, numerator: str = "numerator", denominator: str = "denominator") -> pd.DataFrame:
    """The 6-of-7 rule per assessed segment, as school_compliance computes it."""
    d = inputs.loc[inputs["in_cv"]]
    v = _values(d, numerator, denominator).to_numpy(float)
    std = d["standard"].to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.nan_to_num(v / std, nan=0.0)
    g = pd.DataFrame(
        {
            "school_id": d["school_id"].to_numpy(),
            "stage": d["stage"].to_numpy(),
            "ok": v >= std,
            "ratio": ratio,
            "min_met": d["min_met"].to_numpy(float),
            "floor_ratio": d["floor_ratio"].to_numpy(float),
        }
    )
    per = g.groupby(KEY, sort=False).agg(
        met_count=("ok", "sum"),
        min_ratio=("ratio", "min"),
        min_met=("min_met", "first"),
        floor=("floor_ratio", "first"),
    )
    per["passes"] = (per["met_count"] >= per["min_met"]) & (per["min_ratio"] >= per["floor"])
    per["met_count"] = per["met_count"].astype(int)
    return per.drop(columns=["min_met", "floor"]).reset_index()


# ---------------------------------------------------------------------------------------------
# What-if
# ---------------------------------------------------------------------------------------------


@dataclass
class Scenario:
    segments: list[tuple[str, str]]  # (school_id, stage)
    indicators: list[str]  # indicator keys
    mode: str = "standard"  # "standard": bring up to the standard; "add": add `amounts`
    amounts: dict[str, float] = field(default_factory=dict)  # indicator key -> amount per school

    def describe(self, inputs: pd.DataFrame) -> pd.DataFrame:
        names = inputs.drop_duplicates(KEY).set_index(KEY)
        ind = inputs.drop_duplicates("indicator").set_index("indicator")
        rows = [("方式", MODES.get(self.mode, self.mode))]
        for sid, stage in self.segments:
            n = names.loc[(sid, stage)] if (sid, stage) in names.index else None
            rows.append(("学校（段）", f"{sid} {'' if n is None else n['school_name']}（{stage}）"))
        for key in self.indicators:
            name = ind.loc[key, "indicator_name"] if key in ind.index else key
            if self.mode == "add":
                info = measure_info(ind.loc[key, "measure"]) if key in ind.index else {"cost_unit": ""}
                rows.append(("指标", f"{name}：每校追加 {self.amounts.get(key, 0):g} {info['cost_unit']}"))
            else:
                rows.append(("指标", f"{name}：补足到标准"))
        return pd.DataFrame(rows, columns=["项目", "内容"])


def additions(inputs: pd.DataFrame, scenario: Scenario) -> pd.Series:
    """Amount of each row's measure the scenario adds (0 for rows it does not touch).

    "standard" adds what lifts the value to the standard, in whole units for every measure
    (people and rooms come whole, and m² and 元 are budgeted in whole units too)."""
    add = pd.Series(0.0, index=inputs.index)
    if not scenario.segments or not scenario.indicators:
        return add
    chosen = pd.MultiIndex.from_frame(inputs[KEY]).isin(pd.MultiIndex.from_tuples(scenario.segments, names=KEY))
    chosen &= inputs["indicator"].isin(scenario.indicators).to_numpy()
    d = inputs.loc[chosen]
    if scenario.mode == "add":
        amt = d["indicator"].map(lambda k: max(float(scenario.amounts.get(k, 0.0)), 0.0))
        add.loc[d.index] = amt.to_numpy(float)
        return add
    p, k, std, r = (d[c].to_numpy(float) for c in ("denominator", "scale", "standard", "numerator"))
    with np.errstate(invalid="ignore", divide="ignore"):
        # Tolerance so that 4.2 × 1000 / 100 = 42.000000000000007 asks for 42 teachers, not 43.
        need = np.maximum(np.ceil(std * p / k - r - 1e-9), 0.0)
        short = k * (r + need) / p < std  # rounding left it a hair below: one more unit
    need = np.where(short, need + 1.0, need)
    add.loc[d.index] = np.where(p > 0, need, 0.0)
    return add


@dataclass
class WhatIf:
    scenario: Scenario
    cv: pd.DataFrame  # stage, indicator, cv_before, cv_after, passed_before, passed_after
    schools: pd.DataFrame  # per assessed segment: before/after rule
    newly_passing: pd.DataFrame
    cost: pd.DataFrame  # per measure: amount and unit
    detail: pd.DataFrame  # chosen rows: value before/after

    def workbook(self, inputs: pd.DataFrame) -> bytes:
        return workbook(
            {
                "场景设定": self.scenario.describe(inputs),
                "差异系数": self.cv,
                "新达标学校": self.newly_passing,
                "投入": self.cost,
                "学校指标明细": self.detail,
            }
        )


def what_if(inputs: pd.DataFrame, scenario: Scenario) -> WhatIf:
    """New county CVs, the segments that newly pass the 6-of-7 rule and the cost of a scenario."""
    d = inputs.copy()
    d["added"] = additions(d, scenario)
    d["numerator_after"] = d["numerator"] + d["added"]

    before, after = county_cvs(d), county_cvs(d, "numerator_after")
    cv = before.rename(columns={"cv": "cv_before", "passed": "passed_before"}).merge(
        after[["stage", "indicator", "cv", "passed"]].rename(columns={"cv": "cv_after", "passed": "passed_after"}),
        on=["stage", "indicator"],
    )
    cv["cv_change"] = cv["cv_after"] - cv["cv_before"]
    cv = cv[cv["stage"].isin({s for _, s in scenario.segments})] if scenario.segments else cv.iloc[0:0]

    rb, ra = school_rule(d), school_rule(d, "numerator_after")
    schools = rb.merge(ra, on=KEY, suffixes=("_before", "_after"))
    names = d.drop_duplicates(KEY)[KEY + ["school_name", "school_type", "town_name", "students"]]
    schools = names.merge(schools, on=KEY)
    newly = schools[schools["passes_after"] & ~schools["passes_before"]].reset_index(drop=True)

    touched = d[d["added"] > 0]
    cost = touched.groupby("measure", sort=False).agg(amount=("added", "sum"), schools=("school_id", "nunique"))
    cost = cost.reset_index()
    info = pd.DataFrame([measure_info(m) for m in cost["measure"]], columns=["measure", "measure_name", "cost_unit"])
    cost = info.merge(cost, on="measure")[["measure_name", "amount", "cost_unit", "schools"]] if len(cost) else cost
    if not len(cost):
        cost = pd.DataFrame(columns=["measure_name", "amount", "cost_unit", "schools"])

    sel = d[d["indicator"].isin(scenario.indicators)].merge(pd.DataFrame(scenario.segments, columns=KEY), on=KEY)
    detail = sel.assign(
        value_before=_values(sel, "numerator", "denominator"),
        value_after=_values(sel, "numerator_after", "denominator"),
        cost_unit=[measure_info(m)["cost_unit"] for m in sel["measure"]],
    )
    detail["met_after"] = detail["value_after"] >= detail["standard"]
    detail = detail[
        [
            "school_id",
            "school_name",
            "stage",
            "town_name",
            "students",
            "indicator_name",
            "value_before",
            "added",
            "cost_unit",
            "value_after",
            "standard",
            "met_after",
        ]
    ].reset_index(drop=True)
    return WhatIf(scenario, cv.reset_index(drop=True), schools, newly, cost, detail)


def scenario_result(inputs: pd.DataFrame, keys, indicators, mode: str = "standard", amounts=()) -> tuple:
    """what_if from picker values ("school_id|stage" keys, amounts as (indicator, amount)
    pairs), with the scenario workbook: (WhatIf, xlsx bytes)."""
    scenario = Scenario(parse_keys(keys), list(indicators), mode, dict(amounts))
    result = what_if(inputs, scenario)
    return result, result.workbook(inputs)


# ---------------------------------------------------------------------------------------------
# Small schools: nearest central school and what a merge would do
# ---------------------------------------------------------------------------------------------


def nearest_central(candidates: pd.DataFrame, schools: pd.DataFrame) -> pd.DataFrame:
    """Each candidate with the nearest 中心校园 of the same stage (great-circle km).

    `schools` is the `school_list` result of the same year; a central school counts when it has
    pupils in that stage and coordinates, and is not the candidate itself."""
    out = candidates.copy()
    cols = ["nearest_central_id", "nearest_central_name", "nearest_central_town", "distance_km"]
    for c in cols:
        out[c] = pd.Series([None] * len(out), index=out.index, dtype=object if c != "distance_km" else float)
    pool = schools[
        schools["is_central"].fillna(False).astype(bool)
        & (schools["students"] > 0)
        & schools["lon"].notna()
        & schools["lat"].notna()
    ]
    for stage, idx in out.groupby("stage").groups.items():
        cand = out.loc[idx]
        ctr = pool[pool["stage"] == stage]
        if ctr.empty:
            continue
        d = np.asarray(
            haversine_km(
                cand["lon"].to_numpy(float)[:, None],
                cand["lat"].to_numpy(float)[:, None],
                ctr["lon"].to_numpy(float)[None, :],
                ctr["lat"].to_numpy(float)[None, :],
            ),
            dtype=float,
        ).reshape(len(cand), len(ctr))
        same = cand["school_id"].to_numpy()[:, None] == ctr["school_id"].to_numpy()[None, :]
        d[same | np.isnan(d)] = np.inf
        best = d.argmin(axis=1)
        dist = d[np.arange(len(cand)), best]
        ok = np.isfinite(dist)
        pick = ctr.iloc[best]
        out.loc[idx, "nearest_central_id"] = np.where(ok, pick["school_id"].to_numpy(), None)
        out.loc[idx, "nearest_central_name"] = np.where(ok, pick["school_name"].to_numpy(), None)
        out.loc[idx, "nearest_central_town"] = np.where(ok, pick["town_name"].to_numpy(), None)
        out.loc[idx, "distance_km"] = np.where(ok, dist, np.nan)
    return out


def _town_values(d: pd.DataFrame, town_code: str) -> pd.Series:
    t = d[d["town_code"] == town_code]
    g = t.groupby("indicator", sort=False)
    p = g["denominator"].sum()
    return (g["scale"].first() * g["numerator"].sum() / p).where(p > 0)


def merge_effect(
    inputs: pd.DataFrame, candidate: tuple[str, str], receiver_id: str, moved_measures=None
) -> pd.DataFrame:
    """What merging a segment into a receiving school would do, per 优质均衡 indicator.

    The candidate's pupils (the indicators' denominators) move to the receiver's segment of the
    same stage; of its resources only `moved_measures` move (teachers and equipment can, the
    premises stay behind), the rest leave the books with the closed site. Returns, per
    indicator: the candidate's town before/after (pupil-weighted k·ΣR/ΣP over all its
    segments of the stage), the receiver before/after, and the county CV before/after.
    Empty when either segment is missing from `inputs`."""
    sid, stage = candidate
    moved = set(measure_info_keys(inputs) if moved_measures is None else moved_measures)
    d = inputs[inputs["stage"] == stage]
    cand = d[d["school_id"] == sid].set_index("indicator")
    recv_mask = d["school_id"] == receiver_id
    if cand.empty or not recv_mask.any() or sid == receiver_id:
        return pd.DataFrame()
    after = d[d["school_id"] != sid].copy()
    rm = after["school_id"] == receiver_id
    ind = after.loc[rm, "indicator"]
    moves = after.loc[rm, "measure"].isin(moved).to_numpy()
    cand_r = cand["numerator"].reindex(ind).fillna(0.0).to_numpy()
    cand_p = cand["denominator"].reindex(ind).fillna(0.0).to_numpy()
    after.loc[rm, "numerator"] = after.loc[rm, "numerator"].to_numpy() + np.where(moves, cand_r, 0.0)
    after.loc[rm, "denominator"] = after.loc[rm, "denominator"].to_numpy() + cand_p
    # A receiver outside the CV set (only possible for an odd receiver) joins it once it has pupils.
    after.loc[rm, "in_cv"] = after.loc[rm, "in_cv"] | (after.loc[rm, "denominator"] > 0)

    town = cand["town_code"].iloc[0]
    recv_before = d[recv_mask].set_index("indicator")
    recv_after = after[rm].set_index("indicator")
    cv_b = county_cvs(d).set_index("indicator")
    cv_a = county_cvs(after).set_index("indicator")
    out = pd.DataFrame(index=cand.index)
    out["indicator_name"] = cand["indicator_name"]
    if "short_name" in cand.columns:
        out["short_name"] = cand["short_name"]
    out["unit"] = cand["unit"]
    out["standard"] = cand["standard"]
    out["moved"] = [cand.loc[k, "measure"] in moved for k in cand.index]
    out["town_before"] = _town_values(d, town)
    out["town_after"] = _town_values(after, town)
    out["receiver_before"] = _values(recv_before, "numerator", "denominator")
    out["receiver_after"] = _values(recv_after, "numerator", "denominator")
    out["cv_before"] = cv_b["cv"]
    out["cv_after"] = cv_a["cv"]
    return out.reset_index()


def merge_candidates(screened: pd.DataFrame, inputs: pd.DataFrame) -> pd.DataFrame:
    """Screened segments that can be simulated: a nearest central school exists and the stage
    has 优质均衡 inputs; with a picker key and label."""
    d = screened[screened["nearest_central_id"].notna() & screened["stage"].isin(inputs["stage"].unique())].copy()
    d["key"] = d["school_id"] + "|" + d["stage"]
    d["label"] = (
        d["school_name"] + "（" + d["stage"] + "，" + d["students"].astype(str) + "人）→ " + d["nearest_central_name"]
    )
    # Schools with pupils first: merging an empty school moves nobody.
    d = d.assign(_empty=d["students"] <= 0).sort_values(["_empty", "students", "school_id"], kind="stable")
    return d.drop(columns="_empty").reset_index(drop=True)


def measure_info_keys(inputs: pd.DataFrame) -> list[str]:
    """Measures that move with the pupils by default: people and equipment, not premises."""
    return [m for m in inputs["measure"].drop_duplicates() if measure_info(m)["cost_unit"] in ("人", "元")]


def movable_measures(inputs: pd.DataFrame) -> pd.DataFrame:
    """The measures of the inputs with names, for a picker (default = measure_info_keys)."""
    ms = inputs["measure"].drop_duplicates().tolist()
    return pd.DataFrame([measure_info(m) for m in ms])


# ---------------------------------------------------------------------------------------------
# Small summaries for the pages
# ---------------------------------------------------------------------------------------------


def projection_summary(proj: pd.DataFrame) -> pd.DataFrame:
    """One row per series of a town_projection result (the summary columns)."""
    cols = [
        "town_name",
        "outlook_2025",
        "outlook_2027",
        "last_year",
        "last_value",
        "slope",
        "projected_2025",
        "projected_2027",
        "standard",
        "n_years",
        "r2",
        "indicator_name",
        "unit",
    ]
    return proj.drop_duplicates(["scope", "town_code", "indicator"])[cols].reset_index(drop=True)


def lagging_towns(proj: pd.DataFrame, n: int = 3) -> list[str]:
    """The n towns whose 2027 trend value falls furthest short of the standard (by the
    registry comparator); without a standard, the n lowest trend values."""
    s = proj[proj["scope"] == "town"].drop_duplicates(["town_code", "indicator"])
    s = s.dropna(subset=["projected_2027"])
    if s.empty:
        return []
    std, cmp = s["standard"], s["comparator"].fillna(">=")
    gap = (s["projected_2027"] / std).where(std > 0, s["projected_2027"])
    gap = gap.where(cmp != "<=", -s["projected_2027"])
    return s.assign(gap=gap).sort_values("gap")["town_name"].head(n).tolist()


def theil_reading(row: pd.Series, grouping: str) -> str:
    """One sentence on where the gap lies, from a theil row."""
    if row is None or pd.isna(row.get("between_share")):
        return "差距无法分解（数值全为零或样本不足）。"
    unit = "镇街之间" if grouping == "town" else "城区、镇区、乡村之间"
    inner = "镇街内部（校际）" if grouping == "town" else "城乡各类内部（校际）"
    share = float(row["between_share"])
    where = unit if share >= 0.5 else inner
    return f"泰尔指数 T = {row['total']:.4f}，其中{unit}的差距占 {share:.0%}，{inner}占 {1 - share:.0%}：差距主要在{where}。"


def workbook(sheets: dict[str, pd.DataFrame]) -> bytes:
    """An .xlsx with one sheet per frame, Chinese headers."""
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="xlsxwriter", engine_kwargs={"options": XLSX_OPTIONS}) as xw:
        for title, df in sheets.items():
            name = sheet_name(title)
            labelled(df).to_excel(xw, sheet_name=name, index=False)
    return buf.getvalue()
