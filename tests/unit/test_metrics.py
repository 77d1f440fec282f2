"""The official balance metrics against worked examples and crafted schools."""

import numpy as np
import pytest

from edubalance.ingest.importer import import_tables
from edubalance.ingest.reading import tables_from_frames
from edubalance.metrics.inequality import theil_t, weighted_cv
from edubalance.store import db as dbmod
from tests.support.standards import AT_STANDARD
from tests.support.workbooks import ORACLE_P, ORACLE_R, TOWN_A, TOWN_B, frame, oracle_frames, school_id


def test_python_cv_matches_official_worked_example():
    assert weighted_cv(ORACLE_R, ORACLE_P) == pytest.approx(0.515257, abs=1e-6)


def test_sql_cv_is_the_pupil_weighted_one_not_the_textbook_cv(oracle_db):
    cv = dbmod.run("balance_cv", {"year": 2025}, db=oracle_db)
    row = cv[(cv["stage"] == "小学") & (cv["indicator"] == "equipment_per_pupil")].iloc[0]
    assert round(row["cv"], 6) == 0.515257
    assert round(row["mean"], 6) == 6.334437
    assert round(row["sd"], 6) == 3.263861
    x = np.array(ORACLE_R) / np.array(ORACLE_P)
    assert abs(row["cv"] - x.std() / x.mean()) > 0.02  # unweighted population CV 0.4888
    assert abs(row["cv"] - x.std(ddof=1) / x.mean()) > 0.02  # unweighted sample CV 0.5465
    assert row["threshold"] == 0.5 and not row["passed"]
    assert row["schools"] == 5 and row["students"] == 302
    assert len(cv[cv["stage"] == "小学"]) == 7


def test_theil_reference_matches_standards_oracle():
    x = np.array(ORACLE_R) / np.array(ORACLE_P)
    t = theil_t(x, ORACLE_P, ["乡村", "乡村", "城镇", "乡村", "城镇"])
    assert round(t["total"], 6) == 0.143630
    assert round(t["between"], 6) == 0.100886
    assert round(t["within"], 6) == 0.042744


def _school_rows(n, overrides, *, stage="小学", students=1000, year=2025):
    row = {"year": year, "school_id": school_id("21", n), "stage": stage, "students": students}
    row.update({"classes": 25, "band_36_40": 25, "teachers": 60, **AT_STANDARD, **overrides})
    return row


def _import(tmp_path, schools, years):
    frames = oracle_frames()
    frames["学校"] = frame("schools", schools)
    frames["学校年度"] = frame("school_years", years)
    db = tmp_path / "crafted.duckdb"
    result = import_tables(tables_from_frames(frames), db)
    assert result.ok, [p.line() for p in result.problems.errors]
    return db


def _primary(n, school_type="小学", town=TOWN_B, **kw):
    base = {
        "school_id": school_id("21", n),
        "school_name": f"学校{n}",
        "town_code": town,
        "school_type": school_type,
        "ownership": "公办",
        "ur_code": "220",
    }
    base.update(kw)
    return base


def test_six_of_seven_rule_with_the_85_percent_floor(tmp_path):
    cases = {
        1: {},  # all 7 at standard
        2: {"equipment_yuan": 1_800_000},  # 6 met, 7th at 90% -> pass
        3: {"equipment_yuan": 1_600_000},  # 6 met, 7th at 80% -> fail
        4: {"teaching_area_m2": 4275, "sports_area_m2": 7125},  # 5 met, two at 95% -> fail
        5: {"multimedia_rooms": 22},  # 6 met, 7th at 95.7% -> pass
    }
    db = _import(tmp_path, [_primary(n) for n in cases], [_school_rows(n, o) for n, o in cases.items()])
    comp = dbmod.run("school_compliance", {"year": 2025}, db=db)
    per = comp.drop_duplicates("school_id").set_index("school_id")
    got = {n: bool(per.loc[school_id("21", n), "passes_6_of_7"]) for n in cases}
    assert got == {1: True, 2: True, 3: False, 4: False, 5: True}
    assert per.loc[school_id("21", 4), "met_count"] == 5
    assert per.loc[school_id("21", 3), "min_ratio"] == pytest.approx(0.8)


def test_segments_and_teaching_point_exclusion(tmp_path):
    schools = [
        _primary(1),
        _primary(2),
        {**_primary(3, "九年一贯制学校"), "school_id": school_id("31", 3)},
        {**_primary(4, "教学点"), "parent_school_id": school_id("21", 1)},  # 49 pupils: excluded
        {**_primary(5, "教学点"), "parent_school_id": school_id("21", 1)},  # 50 pupils: included
        {**_primary(6, "初级中学"), "school_id": school_id("31", 6)},
    ]
    years = [
        _school_rows(1, {}),
        _school_rows(2, {"classes": 0, "band_36_40": 0, "teachers": 0, **{k: 0 for k in AT_STANDARD}}, students=0),
        {**_school_rows(3, {}, students=600), "school_id": school_id("31", 3)},
        {**_school_rows(3, {}, stage="初中", students=300), "school_id": school_id("31", 3)},
        _school_rows(4, {"classes": 3, "band_36_40": 0, "band_le25": 3}, students=49),
        _school_rows(5, {"classes": 3, "band_36_40": 0, "band_le25": 3}, students=50),
        {**_school_rows(6, {}, stage="初中", students=900), "school_id": school_id("31", 6)},
    ]
    db = _import(tmp_path, schools, years)
    cv = dbmod.run("balance_cv", {"year": 2025}, db=db).set_index(["stage", "indicator"])
    assert cv.loc[("小学", "backbone_per100"), "schools"] == 3  # 1, the 一贯制 小学 segment, point 5
    assert cv.loc[("小学", "backbone_per100"), "students"] == 1000 + 600 + 50
    assert cv.loc[("初中", "backbone_per100"), "schools"] == 2  # the 一贯制 初中 segment and school 6
    assert cv.loc[("初中", "backbone_per100"), "students"] == 1200


def test_class_size_bands_by_stage(tmp_path):
    bands = {
        "classes": 6,
        "band_36_40": 0,
        "band_41_45": 1,
        "band_46_50": 2,
        "band_51_55": 1,
        "band_56_65": 1,
        "band_ge66": 1,
    }
    schools = [_primary(1), {**_primary(2, "初级中学"), "school_id": school_id("31", 2)}]
    years = [
        _school_rows(1, bands, students=300),
        {**_school_rows(2, bands, stage="初中", students=300), "school_id": school_id("31", 2)},
    ]
    db = _import(tmp_path, schools, years)
    cls = dbmod.run("class_size_summary", {"year": 2025}, db=db).set_index("stage")
    assert cls.loc["小学", "over_standard_classes"] == 5  # > 45
    assert cls.loc["初中", "over_standard_classes"] == 3  # > 50
    assert cls.loc["小学", "big_classes"] == 2 and cls.loc["小学", "super_big_classes"] == 1
    assert cls.loc["初中", "big_share"] == pytest.approx(2 / 6)


def test_town_and_area_values_are_pupil_weighted_ratios(oracle_db):
    gaps = dbmod.run("town_gaps", {"year": 2025, "stage": "小学"}, db=oracle_db)
    eq = gaps[gaps["indicator"] == "equipment_per_pupil"].set_index("town_code")
    # 甲街道 holds schools 3 and 5: (935 + 402) / (89 + 55), not the mean of 10.51 and 7.31.
    assert eq.loc[TOWN_A, "town_value"] == pytest.approx(1337 / 144)
    assert eq.loc[TOWN_A, "city_value"] == pytest.approx(1913 / 302)
    assert eq.loc[TOWN_A, "ratio_to_city"] == pytest.approx((1337 / 144) / (1913 / 302))
    ur = dbmod.run("urban_rural", {"year": 2025, "stage": "小学"}, db=oracle_db)
    e = ur[ur["indicator"] == "equipment_per_pupil"].set_index("area")
    assert list(e.index) == ["城区", "镇区", "乡村"]
    assert e.loc["乡村", "value"] == pytest.approx((279 + 137 + 160) / (45 + 37 + 76))
    assert e.loc["乡村", "parity_to_urban"] == pytest.approx(((279 + 137 + 160) / 158) / (935 / 89))
