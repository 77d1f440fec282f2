"""Analytics beyond the standard: Theil decomposition, CV drivers, what-if, projection and the
small-school screening, against oracle values, hand-computed cases and the `inequality` package."""

import subprocess
import sys
from io import BytesIO, StringIO
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from inequality.theil import TheilD

from edubalance.geo import points as geo_points
from edubalance.ingest.importer import import_tables
from edubalance.ingest.reading import tables_from_frames
from edubalance.metrics import analytics
from edubalance.metrics.inequality import theil_t, weighted_cv
from edubalance.store import db as dbmod
from tests.support.standards import AT_STANDARD
from tests.support.workbooks import (
    ORACLE_P,
    ORACLE_R,
    ORACLE_UR,
    TOWN_A,
    TOWN_B,
    TOWN_C,
    frame,
    oracle_frames,
    school_id,
)

ROOT = Path(__file__).resolve().parents[2]
ORACLE_X = np.array(ORACLE_R, dtype=float) / np.array(ORACLE_P, dtype=float)
ORACLE_TOWNS = [TOWN_B, TOWN_B, TOWN_A, TOWN_C, TOWN_A]
AREA_OF = {"111": "城区", "112": "城区", "121": "镇区", "122": "镇区", "123": "镇区", "210": "乡村", "220": "乡村"}


def _import(tmp_path, frames, name="crafted.duckdb"):
    db = tmp_path / name
    result = import_tables(tables_from_frames(frames), db)
    assert result.ok, [p.line() for p in result.problems.errors]
    return db


def _theil(db, grouping, indicator="equipment_per_pupil", year=2025, stage="小学"):
    params = {"year": year, "stage": stage, "indicator": indicator, "grouping": grouping}
    return dbmod.run("theil", params, db=db)


# ---------------------------------------------------------------------------------------------
# Theil T
# ---------------------------------------------------------------------------------------------


def test_theil_matches_the_standards_oracle_to_six_decimals(tmp_path):
    # The Theil oracle (docs/METHODS.md, 泰尔指数) groups 城镇 = {3, 5} vs 乡村 = {1, 2, 4}: make 3 and 5 both 城区 so that
    # grouping=urban_rural forms exactly those two groups.
    frames = oracle_frames()
    frames["学校"]["城乡分类代码"] = ["220", "220", "111", "220", "111"]
    db = _import(tmp_path, frames)
    row = _theil(db, "urban_rural").iloc[0]
    assert round(row["total"], 6) == 0.143630
    assert round(row["between"], 6) == 0.100886
    assert round(row["within"], 6) == 0.042744
    assert round(row["mean"], 6) == 6.334437
    assert row["groups"] == 2 and row["schools"] == 5 and row["students"] == 302
    assert row["between"] + row["within"] == pytest.approx(row["total"], abs=1e-12)
    assert row["between_share"] == pytest.approx(0.100886 / 0.143630, abs=1e-5)


@pytest.mark.parametrize("grouping", ["urban_rural", "town"])
def test_theil_sql_matches_python_reference_and_is_exactly_additive(oracle_db, grouping):
    groups = [AREA_OF[u] for u in ORACLE_UR] if grouping == "urban_rural" else ORACLE_TOWNS
    ref = theil_t(ORACLE_X, ORACLE_P, groups)
    row = _theil(oracle_db, grouping).iloc[0]
    assert row["groups"] == 3
    assert round(row["total"], 6) == 0.143630  # the total does not depend on the grouping
    for part in ("total", "between", "within"):
        assert row[part] == pytest.approx(ref[part], abs=1e-12)
    assert row["between"] + row["within"] == pytest.approx(row["total"], abs=1e-12)


@pytest.mark.parametrize("grouping", ["urban_rural", "town"])
def test_theil_sql_matches_the_inequality_package(oracle_db, grouping):
    # inequality.theil.TheilD is unweighted: one observation per pupil carrying the school's
    # per-pupil value gives the pupil-weighted index.
    groups = [AREA_OF[u] for u in ORACLE_UR] if grouping == "urban_rural" else ORACLE_TOWNS
    y = np.repeat(ORACLE_X, ORACLE_P)
    part = np.repeat(np.array(groups), ORACLE_P)
    pkg = TheilD(y, part)
    row = _theil(oracle_db, grouping).iloc[0]
    assert row["total"] == pytest.approx(float(np.ravel(pkg.T)[0]), abs=1e-9)
    assert row["between"] == pytest.approx(float(np.ravel(pkg.bg)[0]), abs=1e-9)
    assert row["within"] == pytest.approx(float(np.ravel(pkg.wg)[0]), abs=1e-9)


def test_theil_parameters_chinese_name_and_invalid_grouping(oracle_db):
    by_key = _theil(oracle_db, "town")
    by_name = _theil(oracle_db, "town", indicator="生均教学仪器设备值")
    pd.testing.assert_frame_equal(by_key, by_name)
    assert _theil(oracle_db, "county").empty
    assert _theil(oracle_db, "town", indicator="no_such_indicator").empty


def test_theil_zero_value_contributes_zero(tmp_path):
    frames = oracle_frames()
    values = frames["学校年度"]["教学仪器设备值"].tolist()
    values[1] = "0"  # school 2 has no equipment at all
    frames["学校年度"]["教学仪器设备值"] = values
    db = _import(tmp_path, frames)
    r = np.array(ORACLE_R, dtype=float)
    r[1] = 0
    x = r / np.array(ORACLE_P)
    ref = theil_t(x, ORACLE_P, ORACLE_TOWNS)
    row = _theil(db, "town").iloc[0]
    assert np.isfinite(row["total"])
    for part in ("total", "between", "within"):
        assert row[part] == pytest.approx(ref[part], abs=1e-12)
    # the same as the inequality package (which nudges zeros to the smallest float)
    pkg = TheilD(np.repeat(x, ORACLE_P), np.repeat(np.array(ORACLE_TOWNS), ORACLE_P))
    assert row["total"] == pytest.approx(float(np.ravel(pkg.T)[0]), abs=1e-9)


@pytest.mark.parametrize("grouping", ["town", "urban_rural"])
def test_theil_trend_and_groups_agree_with_theil_on_demo(demo_db, grouping):
    trend = dbmod.run("theil_trend", {"stage": "小学", "grouping": grouping}, db=demo_db)
    assert len(trend) > 0
    ok = trend.dropna(subset=["total"])
    assert np.allclose(ok["between"] + ok["within"], ok["total"], atol=1e-12)
    assert (ok["between"] >= -1e-12).all() and (ok["within"] >= -1e-12).all()
    for ind in ("equipment_per_pupil", "backbone_per100"):
        one = _theil(demo_db, grouping, indicator=ind).iloc[0]
        t = trend[(trend["year"] == 2025) & (trend["indicator"] == ind)].iloc[0]
        for c in ("total", "between", "within", "schools", "students", "groups"):
            assert t[c] == pytest.approx(one[c], abs=1e-12)
        params = {"year": 2025, "stage": "小学", "indicator": ind, "grouping": grouping}
        g = dbmod.run("theil_groups", params, db=demo_db)
        assert len(g) == one["groups"]
        assert g["between_term"].sum() == pytest.approx(one["between"], abs=1e-12)
        assert g["within_term"].sum() == pytest.approx(one["within"], abs=1e-12)
        assert g["resource_share"].sum() == pytest.approx(1.0)
        assert g["students"].sum() == one["students"]


def test_theil_demo_units_are_the_balance_cv_segments(demo_db):
    cv = dbmod.run("balance_cv", {"year": 2025}, db=demo_db).set_index(["stage", "indicator"])
    for stage in ("小学", "初中"):
        row = _theil(demo_db, "town", stage=stage).iloc[0]
        ref = cv.loc[(stage, "equipment_per_pupil")]
        assert row["schools"] == ref["schools"] and row["students"] == ref["students"]
        assert row["mean"] == pytest.approx(ref["mean"])


def test_cli_theil_csv(demo_db):
    cmd = [sys.executable, "-m", "edubalance", "query", "theil", "--db", str(demo_db)]
    cmd += ["--param", "year=2025", "--param", "stage=小学", "--param", "indicator=equipment_per_pupil"]
    cmd += ["--param", "grouping=town", "--format", "csv"]
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, encoding="utf-8")
    assert out.returncode == 0, out.stderr
    df = pd.read_csv(StringIO(out.stdout))
    assert {"total", "between", "within", "between_share", "year", "stage", "indicator", "grouping"} <= set(df)
    assert len(df) == 1 and df["between"].iloc[0] + df["within"].iloc[0] == pytest.approx(df["total"].iloc[0])
    bad = subprocess.run(cmd[:-4] + ["--format", "csv"], cwd=ROOT, capture_output=True, text=True)
    assert bad.returncode == 2  # grouping missing


def test_cli_query_on_a_missing_or_foreign_file_says_why_with_exit_2(tmp_path, capsys):
    from edubalance import cli

    args = ["query", "balance_cv", "--param", "year=2025", "--db"]
    assert cli.main([*args, str(tmp_path / "none.duckdb")]) == 2
    assert "数据库文件不存在" in capsys.readouterr().err
    foreign = tmp_path / "foreign.duckdb"
    foreign.write_bytes(b"not a database")
    assert cli.main([*args, str(foreign)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and ("不是" in err or "未能运行" in err), err


# ---------------------------------------------------------------------------------------------
# A crafted county: 3 primary schools, six indicators at standard, equipment apart
# ---------------------------------------------------------------------------------------------


def _school(n, town=TOWN_B, school_type="小学", ur="220", **kw):
    return {
        "school_id": school_id("21", n),
        "school_name": f"学校{n}",
        "town_code": town,
        "school_type": school_type,
        "ownership": "公办",
        "ur_code": ur,
        **kw,
    }


def _year(n, students, overrides=None, stage="小学", year=2025):
    per = students / 1000
    row = {k: v * per for k, v in AT_STANDARD.items()}
    row = {
        k: (int(round(v)) if k not in ("teaching_area_m2", "sports_area_m2", "equipment_yuan") else v)
        for k, v in row.items()
    }
    row.update(overrides or {})
    classes = max(students // 40, 1)
    return {
        "year": year,
        "school_id": school_id("21", n),
        "stage": stage,
        "students": students,
        "classes": classes,
        "band_36_40": classes,
        "teachers": max(students // 15, 1),
        **row,
    }


def _crafted(tmp_path, schools, years, name="crafted.duckdb"):
    frames = oracle_frames()
    frames["学校"] = frame("schools", schools)
    frames["学校年度"] = frame("school_years", years)
    return _import(tmp_path, frames, name)


@pytest.fixture
def three_schools(tmp_path):
    # Equipment per pupil: A 1000, B 3000, C 3000 元 (weights 0.2, 0.6, 0.2): X̄ = 2600,
    # S² = 0.2·1600² + 0.6·400² + 0.2·400² = 640000, S = 800, CV = 800/2600.
    # A also has 41 teachers above the degree (4.1 per 100 pupils, standard 4.2).
    schools = [_school(1, school_name="甲校"), _school(2, school_name="乙校"), _school(3, school_name="丙校")]
    years = [
        _year(1, 1000, {"equipment_yuan": 1_000_000, "teachers_above_degree": 41}),
        _year(2, 3000, {"equipment_yuan": 9_000_000}),
        _year(3, 1000, {"equipment_yuan": 3_000_000}),
    ]
    return _crafted(tmp_path, schools, years)


def test_cv_contributions_leave_one_out_on_a_crafted_case(three_schools):
    params = {"year": 2025, "stage": "小学", "indicator": "equipment_per_pupil", "town": ""}
    c = dbmod.run("cv_contributions", params, db=three_schools).set_index("school_name")
    assert c["cv"].iloc[0] == pytest.approx(800 / 2600)
    assert c.loc["甲校", "contribution"] == pytest.approx(0.2 * 1600**2)
    assert c.loc["甲校", "contribution_share"] == pytest.approx(0.8)
    assert c.loc["乙校", "contribution_share"] == pytest.approx(0.15)
    assert c.loc["丙校", "contribution_share"] == pytest.approx(0.05)
    assert c["contribution_share"].sum() == pytest.approx(1.0)
    # Without 甲: 乙 and 丙 both 3000 → CV 0. Without 乙: 1000 and 3000, equal weights →
    # X̄ 2000, S 1000, CV 0.5. Without 丙: weights 0.25/0.75 → X̄ 2500, S² 750000.
    assert c.loc["甲校", "cv_without"] == pytest.approx(0.0, abs=1e-9)
    assert c.loc["乙校", "cv_without"] == pytest.approx(0.5)
    assert c.loc["丙校", "cv_without"] == pytest.approx(np.sqrt(750000) / 2500)
    assert list(c.sort_values("rank").index) == ["甲校", "乙校", "丙校"]
    assert c.loc["甲校", "side"] == "低于均值" and c.loc["乙校", "side"] == "高于均值"
    assert bool(c.loc["乙校", "passes_without"]) is True  # 0.5 ≤ the 小学 cap 0.50


def test_cv_contributions_match_brute_force_on_demo(demo_db):
    params = {"year": 2025, "stage": "初中", "indicator": "backbone_per100", "town": ""}
    c = dbmod.run("cv_contributions", params, db=demo_db)
    cv = dbmod.run("balance_cv", {"year": 2025}, db=demo_db).set_index(["stage", "indicator"])
    assert c["cv"].iloc[0] == pytest.approx(cv.loc[("初中", "backbone_per100"), "cv"], abs=1e-12)
    assert len(c) == cv.loc[("初中", "backbone_per100"), "schools"]
    r = (c["value"] * c["students"] / 100).to_numpy()
    p = c["students"].to_numpy(float)
    for i in range(len(c)):
        keep = np.arange(len(c)) != i
        assert c["cv_without"].iloc[i] == pytest.approx(weighted_cv(r[keep], p[keep], 100), abs=1e-9)
    assert c["rank"].min() == 1 and c["contribution"].is_monotonic_decreasing
    # The town filter only filters rows: same values, the town's own schools.
    town = c["town_name"].iloc[0]
    t = dbmod.run("cv_contributions", {**params, "town": town}, db=demo_db)
    assert set(t["town_name"]) == {town}
    merged = t.merge(c, on="school_id", suffixes=("", "_all"))
    assert np.allclose(merged["cv_without"], merged["cv_without_all"]) and (merged["rank"] == merged["rank_all"]).all()
    every = dbmod.run("cv_contributions", {**params, "indicator": ""}, db=demo_db)
    assert every["indicator"].nunique() == 7


def test_what_if_on_a_crafted_case(three_schools):
    inputs = dbmod.run("balance_inputs", {"year": 2025}, db=three_schools)
    a = (school_id("21", 1), "小学")
    base = analytics.county_cvs(inputs).set_index("indicator")
    assert base.loc["equipment_per_pupil", "cv"] == pytest.approx(800 / 2600)
    # degree teachers: 4.1, 4.2, 4.2 with weights 0.2, 0.8 → X̄ 4.18, S = 0.04
    assert base.loc["degree_teachers_per100", "cv"] == pytest.approx(0.04 / 4.18)

    result = analytics.what_if(
        inputs, analytics.Scenario([a], ["equipment_per_pupil", "degree_teachers_per100"], "standard")
    )
    cv = result.cv.set_index("indicator")
    # 甲 to 2000 元: X̄ = 2800, S² = 0.2·800² + 0.8·200² = 160000, CV = 400/2800.
    assert cv.loc["equipment_per_pupil", "cv_after"] == pytest.approx(400 / 2800)
    assert cv.loc["degree_teachers_per100", "cv_after"] == pytest.approx(0.0, abs=1e-12)
    assert cv.loc["backbone_per100", "cv_after"] == pytest.approx(0.0, abs=1e-12)
    cost = result.cost.set_index("measure_name")
    assert cost.loc["教学仪器设备值", "amount"] == 1_000_000 and cost.loc["教学仪器设备值", "cost_unit"] == "元"
    assert cost.loc["高于规定学历教师", "amount"] == 1 and cost.loc["高于规定学历教师", "cost_unit"] == "人"
    # 甲 had 5 of 7 with equipment at 50%: fails; after, all 7 met.
    assert result.newly_passing["school_name"].tolist() == ["甲校"]
    assert result.newly_passing["met_count_before"].iloc[0] == 5
    assert result.newly_passing["met_count_after"].iloc[0] == 7

    # Adding 500 000 元 leaves 甲 at 1500 (75%): X̄ 2700, S² = 0.2·1200² + 0.8·300² = 360000.
    added = analytics.what_if(
        inputs, analytics.Scenario([a], ["equipment_per_pupil"], "add", {"equipment_per_pupil": 500_000})
    )
    assert added.cv.set_index("indicator").loc["equipment_per_pupil", "cv_after"] == pytest.approx(600 / 2700)
    assert added.newly_passing.empty
    assert added.cost["amount"].tolist() == [500_000]
    xlsx = pd.read_excel(BytesIO(added.workbook(inputs)), sheet_name=None, engine="openpyxl")
    assert {"场景设定", "差异系数", "新达标学校", "投入", "学校指标明细"} <= set(xlsx)
    assert "情景差异系数" in xlsx["差异系数"].columns


def test_python_cv_and_school_rule_equal_the_sql_on_demo(demo_db):
    inputs = dbmod.run("balance_inputs", {"year": 2025}, db=demo_db)
    sql = dbmod.run("balance_cv", {"year": 2025}, db=demo_db)
    py = analytics.county_cvs(inputs).merge(sql, on=["stage", "indicator"], suffixes=("", "_sql"))
    assert len(py) == 14
    assert np.allclose(py["cv"], py["cv_sql"], atol=1e-12) and (py["passed"] == py["passed_sql"]).all()
    comp = dbmod.run("school_compliance", {"year": 2025}, db=demo_db).drop_duplicates(["school_id", "stage"])
    rule = analytics.school_rule(inputs).merge(comp, on=["school_id", "stage"])
    assert len(rule) == len(comp)
    assert (rule["passes"] == rule["passes_6_of_7"]).all()
    assert (rule["met_count_x"] == rule["met_count_y"]).all()


def test_bringing_to_standard_asks_for_whole_units_without_rounding_up_too_far():
    inputs = pd.DataFrame(
        {
            "school_id": ["1", "2", "3"],
            "stage": ["小学"] * 3,
            "indicator": ["degree_teachers_per100", "teaching_area_per_pupil", "equipment_per_pupil"],
            "numerator": [0.0, 100.0, 2_000_000.0],
            "denominator": [1000.0, 37.0, 1000.0],
            "scale": [100.0, 1.0, 1.0],
            "standard": [4.2, 4.5, 2000.0],
        }
    )
    sc = analytics.Scenario([("1", "小学"), ("2", "小学"), ("3", "小学")], inputs["indicator"].tolist())
    add = analytics.additions(inputs, sc)
    assert add.tolist() == [42.0, 67.0, 0.0]  # 4.2 × 1000/100 = 42 exactly; 4.5 × 37 = 166.5 → 67 m²


# ---------------------------------------------------------------------------------------------
# Projection
# ---------------------------------------------------------------------------------------------


def test_town_projection_is_a_least_squares_line(demo_db):
    p = dbmod.run("town_projection", {"stage": "小学", "indicator": "equipment_per_pupil", "town": ""}, db=demo_db)
    town = p[p["scope"] == "town"]["town_code"].iloc[0]
    s = p[(p["scope"] == "town") & (p["town_code"] == town)].sort_values("year")
    obs = s.dropna(subset=["observed"])
    slope, intercept = np.polyfit(obs["year"], obs["observed"], 1)
    assert s["slope"].iloc[0] == pytest.approx(slope)
    assert s["projected_2027"].iloc[0] == pytest.approx(max(intercept + slope * 2027, 0))
    assert s["projected_2025"].iloc[0] == pytest.approx(max(intercept + slope * 2025, 0))
    assert set(s["year"]) >= {2025, 2027} and s["n_years"].iloc[0] == len(obs) >= 3
    assert s.loc[s["year"] == 2027, "is_projection"].all()
    assert (p["scope"] == "city").any()
    gaps = dbmod.run("town_gaps", {"year": 2025, "stage": "小学"}, db=demo_db)
    g = gaps[(gaps["indicator"] == "equipment_per_pupil") & (gaps["town_code"] == town)]["town_value"].iloc[0]
    assert s.loc[s["year"] == 2025, "observed"].iloc[0] == pytest.approx(g)
    only = dbmod.run("town_projection", {"stage": "小学", "indicator": "", "town": town}, db=demo_db)
    assert set(only["town_code"]) == {town, ""} and only["indicator"].nunique() > 7


def test_town_projection_needs_three_years(oracle_db):
    p = dbmod.run("town_projection", {"stage": "小学", "indicator": "equipment_per_pupil", "town": ""}, db=oracle_db)
    assert len(p) > 0 and p["trend"].isna().all() and p["projected_2027"].isna().all()
    assert set(p["outlook_2027"]) == {"数据不足"}


def test_town_projection_landing_on_the_standard_meets_it(tmp_path):
    # City 生均体育运动场馆面积 7.47, 7.48, 7.49 m² in 2022—2024: the line reaches the 小学
    # standard 7.5 exactly in 2025, but the float fit gives 7.499999999999998.
    frames = {}
    for i, v in enumerate([7.47, 7.48, 7.49]):
        f = oracle_frames(2022 + i)
        f["学校年度"]["体育运动场馆面积"] = [f"{p * v:.2f}" for p in ORACLE_P]
        frames = (
            f if not frames else {**f, "学校年度": pd.concat([frames["学校年度"], f["学校年度"]], ignore_index=True)}
        )
    db = _import(tmp_path, frames)
    p = dbmod.run("town_projection", {"stage": "小学", "indicator": "sports_area_per_pupil", "town": ""}, db=db)
    city = p[(p["scope"] == "city") & (p["year"] == 2025)].iloc[0]
    assert city["projected_2025"] == pytest.approx(7.5, abs=1e-9)
    assert city["outlook_2025"] == "趋势可达标"
    assert city["projected_2027"] == pytest.approx(7.52, abs=1e-9) and city["outlook_2027"] == "趋势可达标"


# ---------------------------------------------------------------------------------------------
# Small schools
# ---------------------------------------------------------------------------------------------


def test_haversine_between_two_known_points():
    # One degree of latitude along a meridian: 2πR/360 with the mean Earth radius 6371.0088 km.
    assert geo_points.haversine_km(112.0, 22.0, 112.0, 23.0) == pytest.approx(111.19508, abs=1e-4)
    # A quarter of the equator.
    assert geo_points.haversine_km(0.0, 0.0, 90.0, 0.0) == pytest.approx(6371.0088 * np.pi / 2, rel=1e-12)


def test_small_school_screening_and_nearest_central(tmp_path):
    schools = [
        _school(1, school_name="中心小学", is_central="是", lon=112.60, lat=22.40),
        _school(2, school_name="远中心小学", is_central="是", lon=112.90, lat=22.40),
        _school(3, school_name="村小", lon=112.60, lat=22.45),  # rural, 80 pupils: small
        _school(4, school_name="镇小", ur="121", lon=112.70, lat=22.40),  # 镇区, 80 pupils: not rural
        _school(
            5, school_name="大教学点", school_type="教学点", lon=112.61, lat=22.40, parent_school_id=school_id("21", 1)
        ),  # 120 pupils
        _school(
            6, school_name="空教学点", school_type="教学点", lon=112.85, lat=22.40, parent_school_id=school_id("21", 2)
        ),  # 0 pupils
        _school(7, school_name="带幼儿班村小", lon=112.62, lat=22.41),  # 200 小学 + 20 学前
    ]
    years = [
        _year(1, 1000),
        _year(2, 800),
        _year(3, 80),
        _year(4, 80),
        _year(5, 120),
        {**_year(6, 0), "classes": 0, "band_36_40": 0, "teachers": 0, **dict.fromkeys(AT_STANDARD, 0)},
        _year(7, 200),
        _year(7, 20, stage="学前"),
        _year(3, 95, year=2024),
        _year(3, 110, year=2023),
    ]
    db = _crafted(tmp_path, schools, years)
    small = dbmod.run("small_schools", {"year": 2025}, db=db)
    flags = dict(zip(small["school_name"], small["flag"]))
    assert flags == {"空教学点": "学生数为零", "村小": "小规模（不足100人）"}
    village = small.set_index("school_name").loc["村小"]
    assert village["enrolment_series"] == "2023：110 → 2024：95 → 2025：80"
    assert village["students_change"] == -30 and village["trend_per_year"] == pytest.approx(-15)

    listing = dbmod.run("school_list", {"year": 2025}, db=db)
    near = analytics.nearest_central(small, listing).set_index("school_name")
    assert near.loc["村小", "nearest_central_name"] == "中心小学"
    assert near.loc["村小", "distance_km"] == pytest.approx(geo_points.haversine_km(112.60, 22.45, 112.60, 22.40))
    assert near.loc["空教学点", "nearest_central_name"] == "远中心小学"


def test_merge_effect_moves_pupils_and_movable_resources(tmp_path):
    # Receiver: 1000 pupils at standard (teaching area 4500 m², equipment 2 000 000 元).
    # Candidate: 100 pupils, 1000 m² and 100 000 元. Equipment moves, premises stay.
    schools = [_school(1, school_name="中心小学", is_central="是"), _school(2, school_name="村小")]
    years = [_year(1, 1000), _year(2, 100, {"teaching_area_m2": 1000, "equipment_yuan": 100_000})]
    db = _crafted(tmp_path, schools, years)
    inputs = dbmod.run("balance_inputs", {"year": 2025}, db=db)
    eff = analytics.merge_effect(
        inputs, (school_id("21", 2), "小学"), school_id("21", 1), ["equipment_yuan"]
    ).set_index("indicator")
    area, eq = eff.loc["teaching_area_per_pupil"], eff.loc["equipment_per_pupil"]
    assert area["town_before"] == pytest.approx(5500 / 1100) and area["town_after"] == pytest.approx(4500 / 1100)
    assert area["receiver_before"] == pytest.approx(4.5) and area["receiver_after"] == pytest.approx(4500 / 1100)
    assert eq["town_before"] == pytest.approx(2_100_000 / 1100) and eq["town_after"] == pytest.approx(2_100_000 / 1100)
    assert eq["receiver_after"] == pytest.approx(2_100_000 / 1100)
    assert bool(eq["moved"]) and not bool(area["moved"])
    assert eff["cv_after"].fillna(0).abs().max() == pytest.approx(0.0, abs=1e-12)  # one school left
    assert analytics.merge_effect(inputs, (school_id("21", 2), "小学"), "nope").empty


@pytest.mark.parametrize("grouping", ["town", "urban_rural"])
def test_theil_for_every_balance_indicator_matches_python_on_demo(demo_db, grouping):
    # Independent recomputation from the per-segment inputs (the CV's unit set).
    inputs = dbmod.run("balance_inputs", {"year": 2024}, db=demo_db)
    inputs = inputs[inputs["in_cv"]]
    col = "town_code" if grouping == "town" else "area"
    checked = 0
    for stage in ("小学", "初中"):
        trend = dbmod.run("theil_trend", {"stage": stage, "grouping": grouping}, db=demo_db)
        trend = trend[trend["year"] == 2024].set_index("indicator")
        for ind, d in inputs[inputs["stage"] == stage].groupby("indicator"):
            ref = theil_t(d["value"], d["students"], d[col])
            for part in ("total", "between", "within"):
                assert trend.loc[ind, part] == pytest.approx(ref[part], abs=1e-10)
            checked += 1
    assert checked == 14
