"""Counties side by side (县域对比, 总览 of a city or the province): per-county counts from the
``county_*`` query results. Pure pandas, no Streamlit.

Inputs (one row per county and item):
- ``cv``: county_balance_cv — county, stage, indicator, cv, threshold, passed (the official
  校际差异系数 of 小学 and 初中 against the caps 0.50 / 0.45);
- ``targets``: county_targets — county, target_id, met, verdict (the common targets G1–G7,
  the same for every county; ``met`` NULL when the data do not decide).
"""

from __future__ import annotations

import pandas as pd

CV_ITEMS = 14  # 7 indicators × 小学, 初中


def _truth(values: pd.Series) -> pd.Series:
    """True / False / NA from a boolean-ish column (booleans, 0/1, NULL)."""
    return values.map(lambda v: pd.NA if v is None or pd.isna(v) else bool(v)).astype("boolean")


def cv_counts(cv: pd.DataFrame) -> pd.DataFrame:
    """Per county: CVs within their cap (``within``), above it (``over``), how many have a value
    (``measured``), and the worst CV ÷ cap (``worst_ratio``, NaN without any CV)."""
    columns = ["county", "within", "over", "measured", "worst_ratio"]
    if cv.empty:
        return pd.DataFrame(columns=columns)
    d = cv.copy()
    d["county"] = d["county"].astype(str)
    d["_cv"] = pd.to_numeric(d["cv"], errors="coerce")
    d["_ratio"] = d["_cv"] / pd.to_numeric(d["threshold"], errors="coerce")
    passed = _truth(d["passed"]).where(d["_cv"].notna())
    d["_within"] = passed.fillna(False).astype(int)
    d["_over"] = (passed == False).fillna(False).astype(int)  # noqa: E712 (nullable boolean)
    d["_measured"] = d["_cv"].notna().astype(int)
    out = d.groupby("county", sort=True).agg(
        within=("_within", "sum"), over=("_over", "sum"), measured=("_measured", "sum"), worst_ratio=("_ratio", "max")
    )
    return out.reset_index()[columns]


def target_counts(targets: pd.DataFrame) -> pd.DataFrame:
    """Per county: common targets met, not met, and undecided (数据不足), and how many."""
    columns = ["county", "met", "not_met", "no_data", "targets"]
    if targets.empty:
        return pd.DataFrame(columns=columns)
    d = targets.copy()
    d["county"] = d["county"].astype(str)
    met = _truth(d["met"])
    d["_met"] = (met == True).fillna(False).astype(int)  # noqa: E712
    d["_not"] = (met == False).fillna(False).astype(int)  # noqa: E712
    d["_na"] = met.isna().astype(int)
    out = d.groupby("county", sort=True).agg(
        met=("_met", "sum"), not_met=("_not", "sum"), no_data=("_na", "sum"), targets=("target_id", "nunique")
    )
    return out.reset_index()[columns]


def verdict_counts(targets: pd.DataFrame) -> pd.DataFrame:
    """Long counts for the stacked verdict bars: county, status, n (the verdict words as given)."""
    if targets.empty:
        return pd.DataFrame(columns=["county", "status", "n"])
    d = targets.assign(county=targets["county"].astype(str), status=targets["verdict"].fillna("数据不足"))
    return d.groupby(["county", "status"], sort=False).size().rename("n").reset_index()


def lagging(cv: pd.DataFrame, targets: pd.DataFrame, names: pd.DataFrame | None = None) -> pd.DataFrame:
    """The counties that need attention: any common target not met, or any 差异系数 above its
    cap. Worst first: most targets not met, then most CVs over the cap, then the worst CV ÷ cap.

    Columns: county, county_name (from ``names``: county, county_name), not_met, over,
    worst_ratio, missed (the target ids not met, in order, joined with 、).
    """
    t = target_counts(targets)
    c = cv_counts(cv)
    d = pd.merge(t[["county", "not_met"]], c[["county", "over", "worst_ratio"]], on="county", how="outer")
    d[["not_met", "over"]] = d[["not_met", "over"]].fillna(0).astype(int)
    d = d[(d["not_met"] > 0) | (d["over"] > 0)]
    if targets.empty:
        missed = pd.Series(dtype=object)
    else:
        not_met = targets[_truth(targets["met"]) == False]  # noqa: E712
        missed = (
            not_met.assign(county=not_met["county"].astype(str))
            .groupby("county")["target_id"]
            .agg(lambda ids: "、".join(sorted(map(str, ids), key=lambda s: (len(s), s))))
        )
    d["missed"] = d["county"].map(missed).fillna("")
    if names is not None and len(names):
        d = d.merge(names[["county", "county_name"]].astype({"county": str}), on="county", how="left")
    else:
        d["county_name"] = None
    d = d.sort_values(["not_met", "over", "worst_ratio", "county"], ascending=[False, False, False, True])
    return d[["county", "county_name", "not_met", "over", "worst_ratio", "missed"]].reset_index(drop=True)
