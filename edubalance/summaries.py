"""Small pure summaries of query results for headline figures (kept out of the pages)."""

from __future__ import annotations

import pandas as pd


def cv_passed(cv: pd.DataFrame, stage: str) -> tuple[int, int]:
    d = cv[cv["stage"] == stage]
    return int(d["passed"].sum()), len(d)


def school_pass_table(comp: pd.DataFrame) -> pd.DataFrame:
    """One row per assessed school segment with its 6-of-7 result."""
    cols = [
        "school_id",
        "school_name",
        "school_type",
        "town_name",
        "area",
        "stage",
        "students",
        "met_count",
        "min_ratio",
        "passes_6_of_7",
    ]
    return comp.drop_duplicates(["school_id", "stage"])[cols].reset_index(drop=True)


def weakest_schools(comp: pd.DataFrame, limit: int) -> pd.DataFrame:
    """The rows of the `limit` school segments furthest from the 6-of-7 rule (fewest indicators
    met, then the lowest ratio to a standard), for charts that cannot show every school."""
    seg = comp.drop_duplicates(["school_id", "stage"]).sort_values(
        ["met_count", "min_ratio", "school_id"], kind="stable"
    )
    keep = seg.head(limit)[["school_id", "stage"]]
    return comp.merge(keep, on=["school_id", "stage"], how="inner")


def failing_indicators(comp: pd.DataFrame) -> pd.DataFrame:
    """Schools that fail the rule, with the indicators below standard named."""
    per = school_pass_table(comp)
    below = (
        comp[~comp["met"]]
        .groupby(["school_id", "stage"])["indicator_name"]
        .agg(lambda s: "、".join(s))
        .rename("below_standard")
        .reset_index()
    )
    out = per[~per["passes_6_of_7"]].merge(below, on=["school_id", "stage"], how="left")
    return out.sort_values(["met_count", "min_ratio"]).reset_index(drop=True)


def towns_missing(cov: pd.DataFrame, flag: str) -> list[str]:
    d = cov[cov["required"] & ~cov[flag]]
    return d["town_name"].tolist()
