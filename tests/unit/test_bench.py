"""The benchmark's correctness half, at a small scale: the province generator makes a valid,
deterministic workbook, and the pandas twins of the dashboard's queries give the same results
as the SQL (so the DuckDB-vs-pandas timing compares like with like)."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest

from edubalance.devtools import bench, twins
from edubalance.devtools.province import COUNTY_CODE, TOWNS_PER_COUNTY, build_province_tables
from edubalance.store import db as dbmod

COUNTIES = 3


@pytest.fixture(scope="module")
def small_province(tmp_path_factory):
    db = tmp_path_factory.mktemp("bench") / "province.duckdb"
    facts = bench.build_province(db, COUNTIES)
    return db, facts


def _digest(frames: dict[str, pd.DataFrame]) -> str:
    h = hashlib.sha256()
    for name, df in frames.items():
        h.update(name.encode())
        h.update(df.to_csv(index=False).encode())
    return h.hexdigest()


def test_generator_is_deterministic_and_shaped_like_a_workbook():
    a, b = build_province_tables(2), build_province_tables(2)
    assert _digest(a) == _digest(b)
    towns = a["镇街"]
    assert len(towns) == 2 * TOWNS_PER_COUNTY
    assert towns["区划代码"].str.fullmatch(COUNTY_CODE + r"\d{6}").all()
    assert towns["镇街名称"].is_unique
    schools = a["学校"]
    assert schools["学校标识码"].str.fullmatch(r"\d{10}").all() and schools["学校标识码"].is_unique
    assert all(df.map(lambda v: isinstance(v, str)).all().all() for df in a.values())


def test_small_province_imports_cleanly(small_province):
    _db, facts = small_province
    assert facts["towns"] == COUNTIES * TOWNS_PER_COUNTY
    assert 150 * COUNTIES <= facts["schools"] <= 250 * COUNTIES  # about 200 schools per county
    assert facts["school_year_rows"] > 4 * facts["schools"]


def test_required_queries_have_pandas_twins():
    required = {"balance_cv", "school_compliance", "town_gaps", "urban_rural", "class_size_summary", "town_coverage"}
    assert required <= set(twins.PANDAS_TWINS)
    assert required <= set(dbmod.list_queries())


def test_pandas_twins_equal_the_sql_on_the_small_province(small_province):
    db, _ = small_province
    checked = bench.check_equivalence(db)
    names = {c.split("(")[0] for c in checked}
    assert names == set(twins.PANDAS_TWINS)
    assert any("stage=初中" in c for c in checked) and any("stage=小学" in c for c in checked)


def test_pandas_twins_equal_the_sql_on_the_demo_data(demo_db):
    base = twins.load_base(demo_db)
    years = sorted(base["school_years"]["year"].unique().tolist())
    bench.check_equivalence(demo_db, base, int(years[0]))  # the latest year: the small province


def test_the_comparison_notices_a_difference(small_province):
    db, _ = small_province
    base = twins.load_base(db)
    year = bench.latest_year(db)
    sql = dbmod.run("balance_cv", {"year": year}, db=db)
    twin = twins.pd_balance_cv(base, year)
    twins.assert_frames_equal(sql, twin, ("stage", "indicator"), "balance_cv")
    nudged = twin.copy()
    nudged.loc[0, "cv"] = nudged.loc[0, "cv"] * (1 + 1e-7)
    with pytest.raises(AssertionError, match="cv"):
        twins.assert_frames_equal(sql, nudged, ("stage", "indicator"), "balance_cv")
    with pytest.raises(AssertionError, match="rows"):
        twins.assert_frames_equal(sql, twin.iloc[1:], ("stage", "indicator"), "balance_cv")


def test_query_set_timing_reports_a_ratio(small_province):
    db, _ = small_province
    base = twins.load_base(db)
    res = bench.time_query_set(db, base, bench.latest_year(db), runs=1, everything=False)
    assert res["query_set_duckdb_median_s"] > 0 and res["query_set_pandas_median_s"] > 0
    assert np.isfinite(res["query_set_pandas_over_duckdb_ratio"])
    assert set(res["query_set"]) <= set(res["per_query"])
