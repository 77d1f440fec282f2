"""Small pure summaries of query results for headline figures (kept out of the pages)."""

from __future__ import annotations

import pandas as pd

# How a listing names a school segment (a school's one stage), before its own figures.
SCHOOL_SEGMENT_COLUMNS = ("school_name", "school_type", "town_name", "area", "stage", "students")


def cv_passed(cv: pd.DataFrame, stage: str) -> tuple[int, int]:
    d = cv[cv["stage"] == stage]
    return int(d["passed"].sum()), len(d)


def school_pass_table(comp: pd.DataFrame) -> pd.DataFrame:
    """One row per assessed school segment with its 6-of-7 result."""
    cols = ["school_id", *SCHOOL_SEGMENT_COLUMNS, "met_count", "min_ratio", "passes_6_of_7"]
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


def group_members(card: pd.DataFrame) -> pd.DataFrame:
    """One row per education-group member and stage from group_scorecard: resource indicators
    meeting the standard before joining and now (“5/7”), and the median of member ÷ core
    over the indicators both reported (1 = level with the core school). A core outside the
    county has no values, so its ratios stay empty."""
    keys = ["group_name", "core_name", "core_in_county", "member_name", "member_town", "join_year", "stage"]
    rows = []
    for key, g in card.groupby(keys, dropna=False, sort=False):
        row = dict(zip(keys, key))
        has = g["indicator"].notna()
        g = g[has]
        for when in ("before", "after"):
            v = g[f"member_{when}"]
            known = v.notna() & g["standard"].notna()
            met = int((v[known] >= g.loc[known, "standard"] - 1e-9).sum())
            row[f"{when}_year"] = g[f"{when}_year"].dropna().max() if len(g) else None
            row[f"met_{when}"] = f"{met}/{int(known.sum())}" if known.any() else "—"
            ratios = g[f"ratio_{when}"].dropna()
            row[f"ratio_{when}"] = float(ratios.median()) if len(ratios) else None
        rows.append(row)
    cols = keys + ["before_year", "met_before", "ratio_before", "after_year", "met_after", "ratio_after"]
    return pd.DataFrame(rows, columns=cols)


def group_members_display(members: pd.DataFrame) -> pd.DataFrame:
    """group_members as read on the page: member first, before → now side by side, the core
    school last (“（县外）” when outside the county), empty cells as “—”."""

    def year(v):
        return "—" if pd.isna(v) else str(int(v))

    def ratio(v):
        return "—" if v is None or pd.isna(v) else f"{v:.2f}"

    d = pd.DataFrame(
        {
            "教育集团": members["group_name"],
            "成员校": members["member_name"],
            "镇街": members["member_town"],
            "学段": members["stage"],
            "加入学年": members["join_year"].map(year),
            "加入前学年": members["before_year"].map(year),
            "达标项（加入前）": members["met_before"],
            "÷牵头校（加入前）": members["ratio_before"].map(ratio),
            "对比学年": members["after_year"].map(year),
            "达标项（现）": members["met_after"],
            "÷牵头校（现）": members["ratio_after"].map(ratio),
            "牵头校": [
                n if bool(inside) else f"{n}（县外，无指标）"
                for n, inside in zip(members["core_name"], members["core_in_county"])
            ],
        }
    )
    return d.reset_index(drop=True)
