"""The benchmark's correctness half, at a small scale: the province generator makes a valid,
deterministic workbook of real Guangdong counties, a county generated alone equals the same
county inside the province, a 3-county province imports (bulk, then one county by the normal
path, then its years replaced), and the pandas twins of the dashboard's queries give the same
results as the SQL, per county and province-wide (so the DuckDB-vs-pandas timing compares like
with like)."""

from __future__ import annotations

import hashlib
import re

import numpy as np
import pandas as pd
import pytest
import shapely

from edubalance.devtools import bench, twins
from edubalance.devtools.province import TOWNS_PER_COUNTY, build_province_tables, province_adcodes
from edubalance.geo.counties import province_counties
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


def test_the_province_is_guangdongs_122_county_level_units():
    codes = province_adcodes()
    assert len(codes) == 122 and len(set(codes)) == 122 and codes == sorted(codes)
    assert "441900" not in codes and "442000" not in codes  # 东莞, 中山: no county level
    assert {"440783", "440785", "440103"} <= set(codes)  # 开平, 恩平, 荔湾
    assert all(re.fullmatch(r"44\d{4}", c) for c in codes)


def test_generator_is_deterministic_and_shaped_like_a_workbook():
    a, b = build_province_tables(2), build_province_tables(2)
    assert _digest(a) == _digest(b)
    towns = a["镇街"]
    assert len(towns) == 2 * TOWNS_PER_COUNTY
    first, second = province_adcodes()[:2]
    expected = [f"{c}00{i}000" for c in (first, second) for i in (1, 2)]
    expected += [f"{c}1{i:02d}000" for c in (first, second) for i in range(1, 14)]
    assert sorted(towns["区划代码"]) == sorted(expected)
    assert (towns["类型"] == "街道").sum() == 4
    assert towns["镇街名称"].is_unique
    schools = a["学校"]
    assert schools["学校标识码"].str.fullmatch(r"\d{10}").all() and schools["学校标识码"].is_unique
    assert all(df.map(lambda v: isinstance(v, str)).all().all() for df in a.values())
    facts = a["市级年度"]
    ages = facts[facts["指标"] == "pop_age3_5"]
    assert len(ages) == 2 * 5  # per county and school year
    assert a["教研员"]["教研员编号"].str.fullmatch(r"JY\d{3}").all()


def test_a_county_generated_alone_equals_the_same_county_in_the_province():
    province = build_province_tables(COUNTIES)
    alone = build_province_tables(only=[COUNTIES - 1])
    code = province_adcodes()[COUNTIES - 1]
    towns = province["镇街"]
    assert towns[towns["区划代码"].str[:6] == code].reset_index(drop=True).equals(alone["镇街"])
    schools = province["学校"]
    mine = schools[schools["区划代码"].str[:6] == code].reset_index(drop=True)
    assert mine.equals(alone["学校"])
    years = province["学校年度"]
    years = years[years["学校标识码"].isin(mine["学校标识码"])].reset_index(drop=True)
    assert years.equals(alone["学校年度"])
    # the ids of two counties never meet
    others = set(schools["学校标识码"]) - set(mine["学校标识码"])
    assert not others & set(alone["学校"]["学校标识码"])


def test_seats_and_schools_lie_inside_the_real_county_outline():
    frames = build_province_tables(COUNTIES)
    outlines = dict(zip(*province_counties("44")[["adcode", "geometry"]].T.values))
    for sheet, lon, lat in (("镇街", "驻地经度", "驻地纬度"), ("学校", "经度", "纬度")):
        df = frames[sheet]
        for code, part in df.groupby(df["区划代码"].str[:6]):
            x, y = part[lon].astype(float).to_numpy(), part[lat].astype(float).to_numpy()
            inside = shapely.contains_xy(outlines[code], x, y)
            assert inside.all(), f"{sheet} {code}: {(~inside).sum()} points outside the county"
            if sheet == "镇街":  # 15 distinct seats, not one point
                assert len(set(zip(x, y))) == TOWNS_PER_COUNTY


def test_small_province_imports_cleanly(small_province):
    db, facts = small_province
    assert facts["counties"] == COUNTIES
    assert facts["towns"] == COUNTIES * TOWNS_PER_COUNTY
    assert 150 * COUNTIES <= facts["schools"] <= 250 * COUNTIES  # about 200 schools per county
    assert facts["school_year_rows"] > 4 * facts["schools"]
    assert facts["county_imported"] == province_adcodes()[COUNTIES - 1]
    assert facts["county_import_s"] > 0 and facts["county_replace_s"] > 0
    con = dbmod.connect(db)
    try:
        per_county = dict(con.execute("SELECT substr(town_code, 1, 6), count(*) FROM towns GROUP BY ALL").fetchall())
        years = con.execute("SELECT DISTINCT year FROM school_years ORDER BY year").fetchall()
        ages = con.execute(
            "SELECT county, count(*) FROM city_facts WHERE key = 'pop_age3_5' GROUP BY ALL ORDER BY county"
        ).fetchall()
        researchers = con.execute("SELECT count(DISTINCT county) FROM researchers").fetchone()[0]
        log = con.execute("SELECT counties, replaced_years FROM import_log ORDER BY rowid").fetchall()
    finally:
        con.close()
    codes = province_adcodes()[:COUNTIES]
    assert per_county == {c: TOWNS_PER_COUNTY for c in codes}
    assert [y for (y,) in years] == [2022, 2023, 2024, 2025, 2026]
    assert ages == [(c, 5) for c in codes]  # 适龄人口 per county and school year, in its own column
    assert researchers == COUNTIES
    # one bulk entry for the first two, the last county alone, then its years replaced
    assert log == [(",".join(codes[:-1]), ""), (codes[-1], ""), (codes[-1], "2022,2023,2024,2025,2026")]


def test_required_queries_have_pandas_twins():
    required = {"balance_cv", "school_compliance", "town_gaps", "urban_rural", "class_size_summary", "town_coverage"}
    required |= {"county_balance_cv", "county_urban_rural"}
    assert required <= set(twins.PANDAS_TWINS)
    assert required <= set(dbmod.list_queries())


def test_pandas_twins_equal_the_sql_province_wide(small_province):
    db, _ = small_province
    checked = bench.check_equivalence(db, province=True)
    names = {c.split("(")[0] for c in checked}
    assert {"county_balance_cv", "county_urban_rural"} <= names
    assert all(n.startswith("county_") for n in names)


def test_pandas_twins_equal_the_sql_for_one_county(small_province):
    db, _ = small_province
    county = bench.mid_county(db)
    assert county in province_adcodes()[:COUNTIES]
    checked = bench.check_equivalence(db, county=county)
    names = {c.split("(")[0] for c in checked}
    assert names == {n for n in twins.PANDAS_TWINS if not n.startswith("county_")}
    assert all(f"county={county}" in c for c in checked)
    assert any("stage=初中" in c for c in checked) and any("stage=小学" in c for c in checked)


def test_pandas_twins_equal_the_sql_on_the_demo_data(demo_db):
    base = twins.load_base(demo_db)
    years = sorted(base["school_years"]["year"].unique().tolist())
    bench.check_equivalence(demo_db, base, int(years[0]))  # the latest year: the small province


def test_the_comparison_notices_a_difference(small_province):
    db, _ = small_province
    county = bench.mid_county(db)
    base = twins.load_base(db)
    year = bench.latest_year(db, county)
    sql = dbmod.run("balance_cv", {"year": year, "county": county}, db=db)
    twin = bench.run_twin("balance_cv", base, {"year": year, "county": county})
    twins.assert_frames_equal(sql, twin, ("stage", "indicator"), "balance_cv")
    nudged = twin.copy()
    nudged.loc[0, "cv"] = nudged.loc[0, "cv"] * (1 + 1e-7)
    with pytest.raises(AssertionError, match="cv"):
        twins.assert_frames_equal(sql, nudged, ("stage", "indicator"), "balance_cv")
    with pytest.raises(AssertionError, match="rows"):
        twins.assert_frames_equal(sql, twin.iloc[1:], ("stage", "indicator"), "balance_cv")
    # another county's twin is not this county's result
    other = next(c for c in province_adcodes()[:COUNTIES] if c != county)
    with pytest.raises(AssertionError):
        twins.assert_frames_equal(
            sql, bench.run_twin("balance_cv", base, {"year": year, "county": other}), ("stage", "indicator"), "x"
        )


def test_query_figures_in_a_child_process_report_both_ratios(small_province):
    db, _ = small_province
    county = bench.mid_county(db)
    res = bench.query_figures_in_child(db, county, runs=1)
    assert res["equality_ok"] and res["year"] == 2026
    assert res["query_set_duckdb_median_s"] > 0 and res["query_set_pandas_median_s"] > 0
    assert np.isfinite(res["query_set_pandas_over_duckdb_ratio"]) and np.isfinite(res["county_query_set_ratio"])
    assert set(res["query_set"]) <= set(res["per_query"])
    assert all(q.startswith("county_") for q in res["query_set"])
    assert all(f"county={county}" in q for q in res["county_query_set"])


def test_goals_follow_the_issue_bars():
    res = {
        "query_set_pandas_over_duckdb_ratio": 6.0,
        "server_page_load_s": {"overview?county=440783": 0.8, "counties": 2.5},
        "county_import_s": 2.5,
        "server_peak_rss_mib": 1100.0,
    }
    g = bench._goals(res)
    assert g["query_set_ratio_ge_5"] and not g["query_set_ratio_ge_10_goal"]
    assert g["every_page_first_load_under_3s"] and not g["every_page_first_load_under_1s_goal"]
    assert g["county_import_under_5s"] and not g["county_import_under_2s_goal"]
    assert not g["server_peak_under_1gib"]


def test_page_urls_put_one_county_on_every_page_but_the_comparison():
    from edubalance.devtools.page_timing import page_urls

    urls = page_urls("http://127.0.0.1:1", "440785")
    assert urls["overview?county=440785"] == "http://127.0.0.1:1/?county=440785"
    assert urls["map?county=440785"] == "http://127.0.0.1:1/map?county=440785"
    assert not any("admin" in k for k in urls)
    if "counties" in urls:  # 县域对比 (helper C's page) at province scope
        assert urls["counties"] == "http://127.0.0.1:1/counties"


def test_bench_refuses_a_county_it_will_not_build_before_building(capsys):
    from edubalance import cli

    assert cli.main(["bench", "--counties", "3", "--county", "440785", "--no-pages", "--no-memory"]) == 2
    assert "440785" in capsys.readouterr().err  # 恩平 is the 52nd of the 122, not among the first 3
    assert cli.main(["bench", "--counties", "1", "--no-pages", "--no-memory"]) == 2
