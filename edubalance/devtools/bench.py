"""The performance benchmark: ``python -m edubalance bench [--scale kaiping|province] [--json]``.

DESIGN.md §9 sets four bars, measured here as ratios and times in one run:

1. **Query set, DuckDB vs pandas** (province scale): every named query whose only parameters are
   ``year`` and/or ``stage`` is run for the latest school year (and for 小学 and 初中) on one
   read-only connection, as the app runs them. The queries that have a pandas twin below
   (``PANDAS_TWINS``) are also computed with pandas from the database's base tables
   (school_years, schools, towns and the registries, loaded into DataFrames once, untimed, so
   pandas gets its input for free) and the two results are **asserted equal** (same rows; numbers
   within 1e-9 relative). The medians of N timed runs of that set give
   ``query_set_pandas_over_duckdb_ratio`` (goal ≥ 3).
2. **Pages**: every registered page is rendered with Streamlit's AppTest on the Kaiping demo
   data, once to warm the caches and then three times; the median is the warm time (goal < 1 s).
3. **Import**: the province workbook (edubalance.devtools.province) is turned into raw tables and
   goes through ``importer.import_tables`` (validation, staging, swap); goal < 60 s.
4. **Server memory** (province scale): the real server (``streamlit run app.py``) is started on
   the province database, every page is loaded once in headless Chromium (Playwright on the
   Debian ``/usr/bin/chromium``), and the server's peak resident set (``VmHWM`` in
   ``/proc/<pid>/status``) is read; goal < 1 GiB. Without Chromium the pages are rendered with
   AppTest in a child process and its ``ru_maxrss`` is reported instead (the method is named in
   the output).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from edubalance.model import schema
from edubalance.store import db as dbmod
from edubalance.store.paths import ROOT

BENCH_STAGES = ("小学", "初中")
QUERY_PARAMS = {"year", "stage"}
BALANCE_GROUP = "义务教育优质均衡（资源配置）"  # ref_indicators.group_zh of the 7 resource indicators
GOALS = {
    "query_set_pandas_over_duckdb_ratio_min": 3.0,
    "page_warm_max_s": 1.0,
    "province_import_max_s": 60.0,
    "server_peak_rss_max_mib": 1024.0,
}
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
# Measures of v_measures: every count and amount of a school segment, plus the class counts.
MEASURES = tuple(
    c.key
    for c in schema.SCHOOL_YEARS.columns
    if c.kind in ("int", "num") and c.key not in {k for k, *_ in schema.CLASS_BANDS}
) + ("over_standard_classes", "big_classes", "super_big_classes")
BAND_KEYS = tuple(k for k, *_ in schema.CLASS_BANDS)


# ---------------------------------------------------------------------------------------------
# The base tables, as pandas sees them
def load_base(db: Path) -> dict[str, pd.DataFrame]:
    """The tables the views read, as DataFrames (ref_indicators keeps its file order)."""
    con = dbmod.connect(db)
    try:
        base = {
            t: con.execute(f"SELECT * FROM {t}").df()
            for t in (
                "school_years",
                "schools",
                "towns",
                "ref_standards",
                "ref_ur_codes",
                "ref_areas",
                "ref_class_bands",
            )
        }
        base["ref_indicators"] = con.execute("SELECT * FROM ref_indicators ORDER BY rowid").df()
    finally:
        con.close()
    for c in MEASURES[:-3] + BAND_KEYS:
        base["school_years"][c] = base["school_years"][c].astype("float64")
    return base


def _standard(base: dict, key: str, comparator: str | None = None) -> dict[str, float]:
    """{scope: value} of one registry threshold."""
    st = base["ref_standards"]
    hit = st[st["indicator_key"] == key]
    if comparator is not None:
        hit = hit[hit["comparator"] == comparator]
    return dict(zip(hit["scope"], hit["value"].astype(float)))


def _bool(s: pd.Series) -> pd.Series:
    """A nullable boolean column as plain bool, NULL counting as false (SQL FILTER semantics)."""
    return s.astype("boolean").fillna(False).astype(bool)


# ---------------------------------------------------------------------------------------------
# pandas twins of the views (one school year at a time, as the queries filter it)
def pd_segments(base: dict, year: int) -> pd.DataFrame:
    """v_segments for one school year: school_years × schools × towns, area, class counts, in_cv."""
    sy = base["school_years"]
    seg = sy[sy["year"] == year]
    seg = seg.merge(base["schools"], on="school_id", how="inner", suffixes=("", "_school"))
    towns = base["towns"][["town_code", "town_name", "town_kind"]]
    seg = seg.merge(towns, on="town_code", how="inner")
    ur = base["ref_ur_codes"]
    seg["area"] = seg["ur_code"].map(dict(zip(ur["ur_code"], ur["area"])))

    lower = dict(zip(base["ref_class_bands"]["band"], base["ref_class_bands"]["lower_bound"].astype(float)))
    bands = seg[list(BAND_KEYS)].to_numpy(dtype=float)
    banded = ~np.isnan(bands).all(axis=1)
    filled = np.nan_to_num(bands, nan=0.0)
    lows = np.array([lower[k] for k in BAND_KEYS])
    for col, key, strict in (
        ("over_standard_classes", "class_size_standard", True),
        ("big_classes", "big_class_min", False),
        ("super_big_classes", "super_big_class_min", False),
    ):
        limit = seg["stage"].map(_standard(base, key)).to_numpy(dtype=float)
        hit = lows[None, :] > limit[:, None] if strict else lows[None, :] >= limit[:, None]
        seg[col] = np.where(banded, (filled * hit).sum(axis=1), np.nan)

    floor = _standard(base, "cv_exclude_teaching_point_below").get("教学点", 0.0)
    tp = seg["school_type"]
    seg["in_cv"] = (
        seg["stage"].isin(BENCH_STAGES)
        & (tp != "特殊教育学校")
        & (seg["students"] > 0)
        & ~((tp == "教学点") & (seg["students"] < floor))
    )
    return seg


def pd_indicator_values(base: dict, seg: pd.DataFrame) -> pd.DataFrame:
    """v_indicator_values for the given segments: one row per segment and school-level indicator."""
    ind = base["ref_indicators"]
    ind = ind[ind["level"] == "school"]
    keep = ["year", "school_id", "stage", "town_code", "area", "in_cv"]
    parts = []
    for r in ind.itertuples(index=False):
        if r.numerator not in MEASURES or r.denominator not in MEASURES:
            continue
        stages = r.stages.split(";")
        num, den = seg[r.numerator].astype(float), seg[r.denominator].astype(float)
        m = seg["stage"].isin(stages) & num.notna() & den.notna()
        if not m.any():
            continue
        part = seg.loc[m, keep].copy()
        n, d = num[m].to_numpy(), den[m].to_numpy()
        k = float(r.scale)
        part["indicator"] = r.key
        part["indicator_name"] = r.name_zh
        part["unit"] = r.unit
        part["group_zh"] = r.group_zh
        part["direction"] = r.direction
        part["scale"] = k
        part["numerator"] = n
        part["denominator"] = d
        with np.errstate(divide="ignore", invalid="ignore"):
            part["value"] = np.where(d > 0, k * n / np.where(d > 0, d, 1.0), np.nan)
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def pd_balance_values(base: dict, seg: pd.DataFrame) -> pd.DataFrame:
    """v_balance_values: the 7 resource indicators of assessed segments with their standard."""
    iv = pd_indicator_values(base, seg[seg["in_cv"]])
    iv = iv[iv["group_zh"] == BALANCE_GROUP]
    st = base["ref_standards"]
    st = st.loc[st["comparator"] == ">=", ["indicator_key", "scope", "value"]]
    st = st.rename(columns={"indicator_key": "indicator", "scope": "stage", "value": "standard"})
    return iv.merge(st, on=["indicator", "stage"], how="inner")


def _ordered(df: pd.DataFrame, base: dict, col: str = "indicator") -> pd.Series:
    return df[col].map({k: i for i, k in enumerate(base["ref_indicators"]["key"])})


# ---------------------------------------------------------------------------------------------
# pandas twins of the named queries
def pd_balance_cv(base: dict, year: int) -> pd.DataFrame:
    v = pd_balance_values(base, pd_segments(base, year))
    v = v[v["value"].notna()]
    keys = ["year", "stage", "indicator"]
    agg = v.groupby(keys, sort=False).agg(
        indicator_name=("indicator_name", "first"),
        unit=("unit", "first"),
        k=("scale", "first"),
        r=("numerator", "sum"),
        p=("denominator", "sum"),
        schools=("value", "size"),
    )
    agg["mean"] = agg["k"] * agg["r"] / agg["p"]
    w = v.join(agg[["p", "mean"]], on=keys)
    w["dev"] = w["denominator"] / w["p"] * (w["value"] - w["mean"]) ** 2
    agg["sd"] = np.sqrt(w.groupby(keys, sort=False)["dev"].sum())
    out = agg.reset_index()
    out["cv"] = out["sd"] / out["mean"]
    out["threshold"] = out["stage"].map(_standard(base, "balance_cv"))
    passed = (out["cv"] <= out["threshold"]).astype("boolean")
    out["passed"] = passed.where(out["threshold"].notna() & out["cv"].notna(), pd.NA)
    out["students"] = np.rint(out["p"]).astype("int64")
    out = out.assign(_o=_ordered(out, base)).sort_values(["stage", "_o"], ascending=[False, True])
    cols = ["year", "stage", "indicator", "indicator_name", "unit", "mean", "sd", "cv", "threshold", "passed"]
    return out[cols + ["schools", "students"]].reset_index(drop=True)


def pd_school_compliance(base: dict, year: int) -> pd.DataFrame:
    seg = pd_segments(base, year)
    v = pd_balance_values(base, seg)
    v["ratio_to_standard"] = v["value"] / v["standard"]
    met = (v["value"] >= v["standard"]).astype("boolean")
    v["met"] = met.where(v["value"].notna(), pd.NA)
    keys = ["year", "school_id", "stage"]
    v["_met"] = v["met"].fillna(False).astype(bool)
    v["_ratio"] = v["ratio_to_standard"].fillna(0.0)
    ps = v.groupby(keys, sort=False).agg(met_count=("_met", "sum"), min_ratio=("_ratio", "min"))
    v = v.join(ps, on=keys)
    attrs = seg[keys + ["school_name", "school_type", "town_code", "town_name", "area", "students"]]
    v = v.drop(columns=["town_code", "area"]).merge(attrs, on=keys, how="inner")
    mm = v["stage"].map(_standard(base, "school_pass_min_met"))
    fl = v["stage"].map(_standard(base, "school_pass_floor_ratio"))
    passes = ((v["met_count"] >= mm) & (v["min_ratio"] >= fl)).astype("boolean")
    v["passes_6_of_7"] = passes.where(mm.notna() & fl.notna(), pd.NA)
    v["met"] = v["met"].fillna(False).astype(bool)
    v = v.assign(_o=_ordered(v, base)).sort_values(["town_code", "school_id", "stage", "_o"])
    cols = ["year", "school_id", "school_name", "school_type", "town_code", "town_name", "area", "stage", "students"]
    cols += ["indicator", "indicator_name", "unit", "value", "standard", "ratio_to_standard", "met", "met_count"]
    return v[cols + ["min_ratio", "passes_6_of_7"]].reset_index(drop=True)


def _weighted(v: pd.DataFrame, keys: list[str], value: str) -> pd.DataFrame:
    """k·ΣR/ΣP per group (NULL when ΣP is 0), with the indicator's descriptive columns."""
    g = v.groupby(keys, sort=False, dropna=False).agg(
        indicator_name=("indicator_name", "first"),
        unit=("unit", "first"),
        direction=("direction", "first"),
        k=("scale", "first"),
        r=("numerator", "sum"),
        p=("denominator", "sum"),
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        g[value] = np.where(g["p"] > 0, g["k"] * g["r"] / g["p"].where(g["p"] > 0, 1.0), np.nan)
    return g.reset_index()


def _stage_standards(base: dict, stage: str) -> pd.DataFrame:
    st = base["ref_standards"]
    st = st.loc[st["scope"] == stage, ["indicator_key", "value"]]
    return st.rename(columns={"indicator_key": "indicator", "value": "standard"})


def pd_town_gaps(base: dict, year: int, stage: str) -> pd.DataFrame:
    seg = pd_segments(base, year)
    seg = seg[seg["stage"] == stage]
    v = pd_indicator_values(base, seg)
    town = _weighted(v, ["town_code", "indicator"], "town_value")
    city = _weighted(v, ["indicator"], "city_value")[["indicator", "city_value"]]
    out = town.merge(city, on="indicator", how="inner")
    out = out.merge(base["towns"][["town_code", "town_name", "town_kind"]], on="town_code", how="inner")
    pupils = seg.groupby("town_code", sort=False)["students"].sum().rename("students").reset_index()
    out = out.merge(pupils, on="town_code", how="left")
    out = out.merge(_stage_standards(base, stage), on="indicator", how="left")
    out["gap"] = out["town_value"] - out["city_value"]
    city_ok = out["city_value"].notna() & (out["city_value"] != 0)
    out["ratio_to_city"] = (out["town_value"] / out["city_value"].where(city_ok)).where(city_ok)
    out = out.assign(_o=_ordered(out, base)).sort_values(["_o", "town_code"])
    cols = ["town_code", "town_name", "town_kind", "indicator", "indicator_name", "unit", "direction"]
    cols += ["town_value", "city_value", "gap", "ratio_to_city", "standard", "students"]
    return out[cols].reset_index(drop=True)


def pd_urban_rural(base: dict, year: int, stage: str) -> pd.DataFrame:
    seg = pd_segments(base, year)
    seg = seg[seg["stage"] == stage]
    v = pd_indicator_values(base, seg)
    areas = _weighted(v, ["area", "indicator"], "value")
    urban = areas.loc[areas["area"] == "城区", ["indicator", "value"]].rename(columns={"value": "urban"})
    out = areas.merge(urban, on="indicator", how="left")
    ok = out["urban"].notna() & (out["urban"] != 0)
    out["parity_to_urban"] = (out["value"] / out["urban"].where(ok)).where(ok)
    pupils = seg.groupby("area", sort=False)["students"].sum().rename("students").reset_index()
    out = out.merge(pupils, on="area", how="left")
    out = out.merge(_stage_standards(base, stage), on="indicator", how="left")
    order = dict(zip(base["ref_areas"]["area"], base["ref_areas"]["sort_order"]))
    out = out[out["area"].isin(order)]
    out = out.assign(_o=_ordered(out, base), _a=out["area"].map(order)).sort_values(["_o", "_a"])
    cols = ["area", "indicator", "indicator_name", "unit", "direction", "value", "parity_to_urban", "standard"]
    return out[cols + ["students"]].reset_index(drop=True)


def pd_class_size_summary(base: dict, year: int) -> pd.DataFrame:
    seg = pd_segments(base, year)
    std = _standard(base, "class_size_standard")
    seg = seg[seg["stage"].isin(std)].copy()
    seg["standard"] = seg["stage"].map(std)
    seg["banded"] = seg["classes"].where(seg["big_classes"].notna())
    g = seg.groupby("stage", sort=False)
    out = pd.DataFrame(
        {
            "classes": g["classes"].sum(min_count=1),
            "banded_classes": g["banded"].sum(min_count=1),
            "over_standard_classes": g["over_standard_classes"].sum(min_count=1),
            "big_classes": g["big_classes"].sum(min_count=1),
            "super_big_classes": g["super_big_classes"].sum(min_count=1),
            "standard": g["standard"].first(),
        }
    )
    banded = out["banded_classes"].where(out["banded_classes"] != 0)
    out["over_standard_share"] = out["over_standard_classes"] / banded
    out["big_share"] = out["big_classes"] / banded
    out["super_big_share"] = out["super_big_classes"] / banded
    out = out.reset_index()
    out = out.assign(_o=out["stage"].map({"小学": 1, "初中": 2}).fillna(3)).sort_values("_o", kind="stable")
    cols = ["stage", "classes", "banded_classes", "over_standard_classes", "big_classes", "super_big_classes"]
    return out[cols + ["over_standard_share", "big_share", "super_big_share", "standard"]].reset_index(drop=True)


def pd_town_coverage(base: dict, year: int) -> pd.DataFrame:
    seg = pd_segments(base, year)
    seg = seg[seg["closed_year"].isna() | (seg["closed_year"] > year)]
    op = seg.groupby("school_id", sort=False).agg(
        town_code=("town_code", "first"),
        school_type=("school_type", "first"),
        ownership=("ownership", "first"),
        is_boarding=("is_boarding", "first"),
        is_central=("is_central", "first"),
        is_standardized=("is_standardized", "first"),
        students=("students", "sum"),
    )
    op = op[op["students"] > 0]
    public = op["ownership"] == "公办"
    op["_boarding"] = public & _bool(op["is_boarding"]) & (op["school_type"] != "幼儿园")
    kg = (op["school_type"] == "幼儿园") & public
    op["_kg"] = kg & _bool(op["is_central"]) & _bool(op["is_standardized"])
    per_town = op.groupby("town_code", sort=False).agg(
        public_boarding_schools=("_boarding", "sum"),
        standard_central_kindergartens=("_kg", "sum"),
        schools=("students", "size"),
        students=("students", "sum"),
    )
    out = base["towns"][["town_code", "town_name", "town_kind"]].merge(
        per_town, left_on="town_code", right_index=True, how="left"
    )
    for c in ("public_boarding_schools", "standard_central_kindergartens", "schools", "students"):
        out[c] = out[c].fillna(0).astype("int64")
    out["required"] = out["town_kind"] == "镇"
    out["has_boarding"] = out["public_boarding_schools"] > 0
    out["has_central_kg"] = out["standard_central_kindergartens"] > 0
    cols = ["town_code", "town_name", "town_kind", "required", "public_boarding_schools"]
    cols += ["standard_central_kindergartens", "has_boarding", "has_central_kg", "schools", "students"]
    return out.sort_values("town_code")[cols].reset_index(drop=True)


def pd_oversized_schools(base: dict, year: int) -> pd.DataFrame:
    seg = pd_segments(base, year)
    seg = seg[seg["stage"] != "学前"].copy()
    counts = ~seg["school_type"].isin(["九年一贯制学校", "十二年一贯制学校"]) | seg["stage"].isin(BENCH_STAGES)
    seg["_counted"] = seg["students"].where(counts)
    e = seg.groupby("school_id", sort=False).agg(
        school_name=("school_name", "first"),
        school_type=("school_type", "first"),
        town_code=("town_code", "first"),
        town_name=("town_name", "first"),
        area=("area", "first"),
    )
    e["students"] = seg.groupby("school_id", sort=False)["_counted"].sum(min_count=1)
    e = e.reset_index()
    e["cap"] = e["school_type"].map(_standard(base, "school_size"))
    e = e[e["cap"].notna() & e["students"].notna() & (e["students"] > e["cap"])].copy()
    e["students"] = e["students"].astype("int64")
    e["over_by"] = np.rint(e["students"] - e["cap"]).astype("int64")
    e = e.sort_values("over_by", ascending=False, kind="stable")
    cols = ["school_id", "school_name", "school_type", "town_code", "town_name", "area", "students", "cap", "over_by"]
    return e[cols].reset_index(drop=True)


def pd_school_list(base: dict, year: int) -> pd.DataFrame:
    seg = pd_segments(base, year)
    cols = ["school_id", "school_name", "school_type", "ownership", "town_code", "town_name", "area", "ur_code"]
    cols += ["stage", "students", "classes", "teachers", "boarders", "lon", "lat", "is_central", "is_boarding"]
    cols += ["is_standardized", "in_cv"]
    return seg.sort_values(["town_code", "school_id", "stage"])[cols].reset_index(drop=True)


# name -> (function, key columns that identify a row for the comparison)
PANDAS_TWINS: dict[str, tuple[Callable[..., pd.DataFrame], tuple[str, ...]]] = {
    "balance_cv": (pd_balance_cv, ("stage", "indicator")),
    "school_compliance": (pd_school_compliance, ("school_id", "stage", "indicator")),
    "town_gaps": (pd_town_gaps, ("town_code", "indicator")),
    "urban_rural": (pd_urban_rural, ("area", "indicator")),
    "class_size_summary": (pd_class_size_summary, ("stage",)),
    "town_coverage": (pd_town_coverage, ("town_code",)),
    "oversized_schools": (pd_oversized_schools, ("school_id",)),
    "school_list": (pd_school_list, ("school_id", "stage")),
}


# ---------------------------------------------------------------------------------------------
# The query set and the equality check
def latest_year(db: Path) -> int:
    return int(dbmod.run("school_years_available", db=db)["year"].max())


def query_set(year: int, names: list[str] | None = None) -> list[tuple[str, dict]]:
    """(name, params) for every named query whose parameters are only year and/or stage."""
    out = []
    for name in names or dbmod.list_queries():
        declared = [p[0] for p in dbmod.load_query(name).params]
        if not set(declared) <= QUERY_PARAMS:
            continue
        combos = [{}]
        if "year" in declared:
            combos = [{"year": year}]
        if "stage" in declared:
            combos = [dict(c, stage=s) for c in combos for s in BENCH_STAGES]
        out += [(name, c) for c in combos]
    return out


def label(name: str, params: dict) -> str:
    return name + ("(" + ",".join(f"{k}={v}" for k, v in sorted(params.items())) + ")" if params else "")


class NotEqual(AssertionError):
    pass


def _numeric(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)


def assert_frames_equal(sql: pd.DataFrame, pdf: pd.DataFrame, keys: tuple[str, ...], what: str, rtol=1e-9) -> None:
    """Same columns, same rows (matched on `keys`), numbers equal within `rtol` (relative)."""
    if list(sql.columns) != list(pdf.columns):
        raise NotEqual(f"{what}: columns differ\n  SQL:    {list(sql.columns)}\n  pandas: {list(pdf.columns)}")
    if len(sql) != len(pdf):
        raise NotEqual(f"{what}: {len(sql)} rows from SQL, {len(pdf)} from pandas")
    a = sql.sort_values(list(keys), kind="stable").reset_index(drop=True)
    b = pdf.sort_values(list(keys), kind="stable").reset_index(drop=True)
    for col in a.columns:
        x, y = a[col], b[col]
        if _numeric(x) or _numeric(y):
            xf = pd.to_numeric(x, errors="coerce").astype("float64").to_numpy()
            yf = pd.to_numeric(y, errors="coerce").astype("float64").to_numpy()
            same = (np.isnan(xf) & np.isnan(yf)) | np.isclose(xf, yf, rtol=rtol, atol=1e-12, equal_nan=False)
            same |= xf == yf  # equal infinities
        else:
            xo = x.astype(object).where(x.notna(), None).to_numpy()
            yo = y.astype(object).where(y.notna(), None).to_numpy()
            same = np.array(
                [bool(u == v) if u is not None and v is not None else (u is None and v is None) for u, v in zip(xo, yo)]
            )
        if not same.all():
            i = int(np.flatnonzero(~same)[0])
            key = {k: a.at[i, k] for k in keys}
            raise NotEqual(
                f"{what}: column {col} differs in {int((~same).sum())} rows; first at {key}: "
                f"SQL {x.iloc[i]!r}, pandas {y.iloc[i]!r}"
            )


def check_equivalence(db: Path, base: dict | None = None, year: int | None = None) -> list[str]:
    """Run every query of the set that has a pandas twin both ways and assert the results equal."""
    base = base if base is not None else load_base(db)
    year = year if year is not None else latest_year(db)
    checked = []
    con = dbmod.connect(db)
    try:
        for name, params in query_set(year, [n for n in dbmod.list_queries() if n in PANDAS_TWINS]):
            fn, keys = PANDAS_TWINS[name]
            sql = dbmod.run(name, params, con=con)
            assert_frames_equal(sql, fn(base, **params), keys, label(name, params))
            checked.append(label(name, params))
    finally:
        con.close()
    return checked


def time_query_set(db: Path, base: dict, year: int, runs: int = 5, *, everything: bool = True) -> dict:
    """Medians of `runs` timed runs: the compared set both ways, and (with `everything`) every
    other query of the set in DuckDB too."""
    full = query_set(year)
    compared = [(n, p) for n, p in full if n in PANDAS_TWINS]
    if not everything:
        full = compared
    con = dbmod.connect(db)
    try:
        for n, p in full:  # warm-up: parse, plan and page the file in once, as a running app has
            dbmod.run(n, p, con=con)
        per_duck: dict[str, list[float]] = {label(n, p): [] for n, p in full}
        per_pd: dict[str, list[float]] = {label(n, p): [] for n, p in compared}
        set_duck, set_pd, all_duck = [], [], []
        for _ in range(runs):
            total = total_cmp = 0.0
            for n, p in full:
                t0 = time.perf_counter()
                dbmod.run(n, p, con=con)
                dt = time.perf_counter() - t0
                per_duck[label(n, p)].append(dt)
                total += dt
                if n in PANDAS_TWINS:
                    total_cmp += dt
            all_duck.append(total)
            set_duck.append(total_cmp)
            total_pd = 0.0
            for n, p in compared:
                t0 = time.perf_counter()
                PANDAS_TWINS[n][0](base, **p)
                dt = time.perf_counter() - t0
                per_pd[label(n, p)].append(dt)
                total_pd += dt
            set_pd.append(total_pd)
    finally:
        con.close()
    med = statistics.median
    duck_s, pd_s = med(set_duck), med(set_pd)
    per_query = {}
    for key, times in per_duck.items():
        row = {"duckdb_median_s": med(times)}
        if key in per_pd:
            row["pandas_median_s"] = med(per_pd[key])
            row["pandas_over_duckdb_ratio"] = row["pandas_median_s"] / row["duckdb_median_s"]
        per_query[key] = row
    return {
        "query_set": [label(n, p) for n, p in compared],
        "query_set_runs": runs,
        "query_set_duckdb_median_s": duck_s,
        "query_set_pandas_median_s": pd_s,
        "query_set_pandas_over_duckdb_ratio": pd_s / duck_s,
        "all_queries_duckdb_median_s": med(all_duck),
        "per_query": per_query,
    }


# ---------------------------------------------------------------------------------------------
# Pages under AppTest
def registered_pages() -> list:
    from edubalance.ui.navigation import PAGES

    return list(PAGES)


def time_pages(db: Path, repeats: int = 3) -> dict:
    """Every registered page rendered with AppTest: one warm-up run, then the median of `repeats`."""
    from streamlit.testing.v1 import AppTest

    previous = os.environ.get("EDUBALANCE_DB")
    os.environ["EDUBALANCE_DB"] = str(db)
    warm, errors = {}, {}
    try:
        for spec in registered_pages():
            at = AppTest.from_file(str(ROOT / spec.path), default_timeout=120)
            at.run()
            times = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                at.run()
                times.append(time.perf_counter() - t0)
            warm[spec.url_path] = statistics.median(times)
            if at.exception:
                errors[spec.url_path] = [e.message for e in at.exception][:3]
    finally:
        if previous is None:
            os.environ.pop("EDUBALANCE_DB", None)
        else:
            os.environ["EDUBALANCE_DB"] = previous
    return {"page_warm_median_s": warm, "page_warm_max_s": max(warm.values()), "page_exceptions": errors}


# ---------------------------------------------------------------------------------------------
# The real server (shared with tests/browser_support.py)
def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(db: Path, port: int, log: Path | None = None, env: dict | None = None) -> subprocess.Popen:
    """`streamlit run app.py` on `port`, headless, on database `db`; stdout/stderr to `log`;
    `env` adds to the environment (e.g. an admin password hash for tests)."""
    env = dict(os.environ, **(env or {}), EDUBALANCE_DB=str(db), PYTHONUNBUFFERED="1")
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port)]
    cmd += ["--server.headless", "true", "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"]
    out = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115 - closed by the caller's process end
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def wait_healthy(port: int, proc: subprocess.Popen, timeout: float = 120.0) -> None:
    url = f"http://127.0.0.1:{port}/_stcore/health"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {proc.returncode} before it was healthy")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"streamlit not healthy on port {port} after {timeout:.0f} s")


def stop_server(proc: subprocess.Popen) -> None:
    """Stop the server process group we started (and only it)."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, 15)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, 9)
        proc.wait(timeout=5)


@contextlib.contextmanager
def running_server(
    db: Path, log: Path | None = None, timeout: float = 120.0, env: dict | None = None
) -> Iterator[tuple[subprocess.Popen, str]]:
    port = free_port()
    proc = start_server(db, port, log, env)
    try:
        wait_healthy(port, proc, timeout)
        yield proc, f"http://127.0.0.1:{port}"
    finally:
        stop_server(proc)


def peak_rss_mib(pid: int) -> float:
    """VmHWM (peak resident set) of a live process, in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("VmHWM not found")


APP_IDLE = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    return !!app
        && app.getAttribute('data-test-connection-state') === 'CONNECTED'
        && app.getAttribute('data-test-script-state') === 'notRunning'
        && !document.querySelector('[data-stale="true"], [data-testid="stSkeleton"]');
}"""


def wait_rendered(page, timeout_ms: float = 120_000) -> None:
    """Wait until the Streamlit script run has finished: the app is connected, its script state
    is ``notRunning``, no element is stale or still a loading skeleton, on two looks 300 ms apart (a rerun can start a
    moment after a click)."""
    deadline = time.monotonic() + timeout_ms / 1000
    calm = 0
    while calm < 2:
        remaining = max(deadline - time.monotonic(), 0.1) * 1000
        page.wait_for_function(APP_IDLE, timeout=remaining, polling=100)
        page.wait_for_timeout(300)
        calm = calm + 1 if page.evaluate(APP_IDLE) else 0


def server_memory(db: Path, page_timeout_s: float = 300.0) -> dict:
    """Peak memory of the real server after loading every viewer page once in headless Chromium."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    if sync_playwright is None or not Path(CHROMIUM).exists():
        return _apptest_child_memory(db)
    loads = {}
    with tempfile.TemporaryDirectory() as tmp, running_server(db, Path(tmp) / "server.log") as (proc, url):
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1440, "height": 1000})
                for spec in registered_pages():
                    if spec.admin_only:
                        continue
                    t0 = time.perf_counter()
                    page.goto(f"{url}/{spec.url_path}", wait_until="domcontentloaded")
                    wait_rendered(page, page_timeout_s * 1000)
                    loads[spec.url_path] = time.perf_counter() - t0
            finally:
                browser.close()
        peak = peak_rss_mib(proc.pid)
    return {
        "server_peak_rss_mib": peak,
        "server_peak_rss_method": "streamlit server, every viewer page loaded once in Chromium; VmHWM of the server",
        "server_page_load_s": loads,
    }


def _apptest_child_memory(db: Path) -> dict:
    code = (
        "import json, os, resource, sys\n"
        "from streamlit.testing.v1 import AppTest\n"
        "from edubalance.ui.navigation import PAGES\n"
        "from edubalance.store.paths import ROOT\n"
        "for spec in PAGES:\n"
        "    AppTest.from_file(str(ROOT / spec.path), default_timeout=600).run()\n"
        "print(json.dumps(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))\n"
    )
    env = dict(os.environ, EDUBALANCE_DB=str(db))
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    kib = json.loads(out.stdout.strip().splitlines()[-1])
    return {
        "server_peak_rss_mib": kib / 1024,
        "server_peak_rss_method": "every page rendered with AppTest in a child process; its ru_maxrss",
    }


# ---------------------------------------------------------------------------------------------
# Building the databases
def build_kaiping(db: Path) -> float:
    from edubalance.ingest.build import build_database

    t0 = time.perf_counter()
    result = build_database(db)
    if not result.ok:
        raise RuntimeError("demo build failed: " + "; ".join(p.line() for p in result.problems.errors[:5]))
    return time.perf_counter() - t0


def build_province(db: Path, counties: int = 120) -> dict:
    """Generate the province workbook, read it into raw tables and import it (each step timed)."""
    from edubalance.devtools.province import build_province_tables
    from edubalance.ingest.importer import import_tables
    from edubalance.ingest.reading import tables_from_frames

    t0 = time.perf_counter()
    frames = build_province_tables(counties)
    t1 = time.perf_counter()
    tables = tables_from_frames(frames, "省级基准数据")
    t2 = time.perf_counter()
    result = import_tables(tables, db, fresh=True, user="bench", file_name="省级基准数据", meta={"demo": "1"})
    t3 = time.perf_counter()
    if not result.ok:
        raise RuntimeError("province import failed: " + "; ".join(p.line() for p in result.problems.errors[:5]))
    return {
        "counties": counties,
        "towns": result.rows.get("towns"),
        "schools": result.rows.get("schools"),
        "school_year_rows": result.rows.get("school_years"),
        "province_generate_s": t1 - t0,
        "province_read_s": t2 - t1,
        "province_import_s": t3 - t2,
        "province_db_mib": db.stat().st_size / 2**20,
    }


# ---------------------------------------------------------------------------------------------
# The run
def run(
    scale: str = "province",
    *,
    counties: int = 120,
    runs: int = 5,
    pages: bool = True,
    memory: bool = True,
    workdir: Path | None = None,
    log: Callable[[str], None] = lambda s: None,
) -> dict:
    res: dict = {"scale": scale}
    with tempfile.TemporaryDirectory(prefix="edubalance-bench-") as tmp:
        work = Path(workdir or tmp)
        kaiping = work / "kaiping.duckdb"
        log("构建开平演示数据库……")
        res["kaiping_build_s"] = build_kaiping(kaiping)
        if pages:
            log("用 AppTest 逐页计时（开平数据）……")
            res.update(time_pages(kaiping))
        target = kaiping
        if scale == "province":
            target = work / "province.duckdb"
            log(f"生成并导入省级数据（{counties} 个县规模）……")
            res.update(build_province(target, counties))
        log("DuckDB 与 pandas 结果比对……")
        base = load_base(target)
        year = latest_year(target)
        res["year"] = year
        res["equality_checked"] = check_equivalence(target, base, year)
        res["equality_ok"] = True
        log(f"查询集计时（{runs} 次取中位数）……")
        res.update(time_query_set(target, base, year, runs))
        if memory:
            log("启动服务器并加载每一页，测量峰值内存……")
            res.update(server_memory(target))
    res["goals"] = _goals(res)
    res["own_peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return res


def _goals(res: dict) -> dict:
    g = {}
    if "query_set_pandas_over_duckdb_ratio" in res:
        g["query_set_ratio_ge_3"] = (
            res["query_set_pandas_over_duckdb_ratio"] >= GOALS["query_set_pandas_over_duckdb_ratio_min"]
        )
    if "page_warm_max_s" in res:
        g["every_page_under_1s_warm"] = res["page_warm_max_s"] < GOALS["page_warm_max_s"]
    if "province_import_s" in res:
        g["province_import_under_60s"] = res["province_import_s"] < GOALS["province_import_max_s"]
    if "server_peak_rss_mib" in res:
        g["server_peak_under_1gib"] = res["server_peak_rss_mib"] < GOALS["server_peak_rss_max_mib"]
    return g


def _fmt(s: float) -> str:
    return f"{s * 1000:.0f} ms" if s < 10 else f"{s:.1f} s"


def report(res: dict) -> str:
    lines = [f"基准测试（规模：{res['scale']}，学年 {res.get('year')}）"]
    if "schools" in res:
        lines.append(
            f"省级数据：{res['counties']} 个县规模，{res['towns']} 个镇街，{res['schools']} 所学校，"
            f"{res['school_year_rows']} 行学校年度；生成 {_fmt(res['province_generate_s'])}，"
            f"读入 {_fmt(res['province_read_s'])}，导入 {_fmt(res['province_import_s'])}（目标 < 60 s）"
        )
    if "query_set_pandas_over_duckdb_ratio" in res:
        lines.append(
            f"查询集（{len(res['query_set'])} 个，{res['query_set_runs']} 次中位数）：DuckDB {_fmt(res['query_set_duckdb_median_s'])}，"
            f"pandas {_fmt(res['query_set_pandas_median_s'])}，pandas/DuckDB = {res['query_set_pandas_over_duckdb_ratio']:.2f}（目标 ≥ 3）"
        )
        lines.append(f"  结果一致：{', '.join(res['equality_checked'])}")
        for key, row in res["per_query"].items():
            extra = ""
            if "pandas_median_s" in row:
                extra = f"  pandas {_fmt(row['pandas_median_s'])}  比值 {row['pandas_over_duckdb_ratio']:.2f}"
            lines.append(f"  {key:45s} DuckDB {_fmt(row['duckdb_median_s']):>8s}{extra}")
        lines.append(f"  全部 {len(res['per_query'])} 个查询（DuckDB）合计 {_fmt(res['all_queries_duckdb_median_s'])}")
    if "page_warm_median_s" in res:
        lines.append(f"页面（AppTest，开平数据，预热后 3 次中位数；目标 < 1 s）：最慢 {_fmt(res['page_warm_max_s'])}")
        for k, v in res["page_warm_median_s"].items():
            lines.append(f"  {k:20s} {_fmt(v)}")
        for k, v in res.get("page_exceptions", {}).items():
            lines.append(f"  {k}：页面异常 {v}")
    if "server_peak_rss_mib" in res:
        lines.append(
            f"服务器峰值内存：{res['server_peak_rss_mib']:.0f} MiB（目标 < 1024 MiB；{res['server_peak_rss_method']}）"
        )
        for k, v in res.get("server_page_load_s", {}).items():
            lines.append(f"  {k:20s} 浏览器加载 {_fmt(v)}")
    lines.append("目标：" + "，".join(f"{k} {'达到' if v else '未达到'}" for k, v in res["goals"].items()))
    return "\n".join(lines)


def main(args: argparse.Namespace) -> int:
    log = (lambda s: print(s, file=sys.stderr, flush=True)) if not args.json else (lambda s: None)
    res = run(
        args.scale,
        counties=args.counties,
        runs=args.runs,
        pages=not args.no_pages,
        memory=not args.no_memory,
        log=log,
    )
    if args.json:
        print(json.dumps(_jsonable(res), ensure_ascii=False, indent=2))
    else:
        print(report(res))
    return 0


def _jsonable(x):
    if isinstance(x, dict):
        return {k: _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, float):
        return None if math.isnan(x) else round(x, 6)
    if isinstance(x, np.generic):
        return _jsonable(x.item())
    return x
