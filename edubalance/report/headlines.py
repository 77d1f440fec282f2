"""The headline tables the deck's slides read, in long form (one row per indicator or per
target): a target's worst status over its units, the teacher-policy headline and the 普及普惠
headline, picked from the rows of the named queries that hold them.
"""

from __future__ import annotations

import pandas as pd

from edubalance.metrics import progress
from edubalance.model import registry
from edubalance.model.format import is_missing
from edubalance.report.content import as_float
from edubalance.report.fetch import Fetch


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


def status_order(values) -> list[str]:
    seen = [s for s in progress.STATUS_ORDER if s in set(values)]
    return seen + sorted(set(values) - set(progress.STATUS_ORDER))


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
        if is_missing(v) or standard is None:
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
                met(r["under_age_share"], comparator or ">=", as_float(r["goal_young"])),
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
            v, goal = as_float(r.get(value)), as_float(r.get(standard))
            met = None if v is None or goal is None else (v >= goal if comparator == ">=" else v <= goal)
            rows.append((key, v, comparator, goal, met, as_float(r.get(num)), as_float(r.get(den))))
    df = pd.DataFrame(rows, columns=["indicator", "value", "comparator", "standard", "met", "numerator", "denominator"])
    df["indicator_name"] = [ind["name_zh"].get(k, k) for k in df["indicator"]]
    df["unit"] = [ind["unit"].get(k, "比例") for k in df["indicator"]]
    return df
