"""Importing a second county (恩平 440785) into the Kaiping (440783) demo database: per-county
years, replacement that never touches another county, the 县级区划代码 column, problems
per county."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from edubalance.ingest import importer
from edubalance.ingest.county_checks import NEEDS_COUNTY, NEEDS_COUNTY_DB
from edubalance.ingest.importer import import_tables, update_task
from edubalance.ingest.problems import COUNTY_HEADER, NO_COUNTY
from edubalance.ingest.reading import tables_from_frames
from edubalance.store.history import sha256_of
from tests.support import two_counties
from tests.support.two_counties import DEGREE_CV, ENPING, EQUIPMENT_CV, KAIPING, enping_frames, import_enping
from tests.support.workbooks import frame, oracle_frames, write_xlsx

two_county_db = two_counties.two_county_db  # the module-scoped fixture, made visible here

ROOT = Path(__file__).resolve().parents[2]
TAISHAN = "440781"


def _rows(db: Path, sql: str, params=()) -> pd.DataFrame:
    con = duckdb.connect(str(db), read_only=True)
    try:
        df = con.execute(sql, list(params)).df()
    finally:
        con.close()
    return df.sort_values(list(df.columns)).reset_index(drop=True)


def _kaiping(db: Path) -> dict[str, pd.DataFrame]:
    """Every row of Kaiping's data and derived segments."""
    k = [KAIPING]
    join = "JOIN schools AS s USING (school_id) WHERE substr(s.town_code, 1, 6) = ?"
    return {
        "school_years": _rows(db, f"SELECT t.* FROM school_years AS t {join}", k),
        "principals": _rows(db, f"SELECT t.* FROM principals AS t {join}", k),
        "city_facts": _rows(db, "SELECT * FROM city_facts WHERE county = ?", k),
        "researchers": _rows(db, "SELECT * FROM researchers WHERE county = ?", k),
        "task_progress": _rows(db, "SELECT * FROM task_progress WHERE county = ?", k),
        "d_segments": _rows(db, "SELECT * FROM d_segments WHERE substr(town_code, 1, 6) = ?", k),
    }


def _copy(db: Path, tmp_path: Path) -> Path:
    out = tmp_path / "db.duckdb"
    shutil.copy2(db, out)
    return out


def _cv(db, indicator: str, year: int) -> float:
    """The 差异系数 of 恩平's 小学 from the per-school values: √(Σ P/ΣP (x − x̄)²) / x̄."""
    rows = _rows(
        db,
        "SELECT numerator, denominator, value FROM d_indicator_values "
        "WHERE year = ? AND stage = '小学' AND in_cv AND indicator = ? AND substr(town_code, 1, 6) = ?",
        [year, indicator, ENPING],
    )
    total = rows["denominator"].sum()
    mean = rows["numerator"].sum() / total * (100 if indicator.startswith("degree") else 1)
    var = (rows["denominator"] / total * (rows["value"] - mean) ** 2).sum()
    return var**0.5 / mean


@pytest.mark.parametrize("year", [2025, 2026])
def test_two_counties_import_and_enping_cv_equals_the_oracle(two_county_db, year):
    assert _cv(two_county_db, "equipment_per_pupil", year) == pytest.approx(EQUIPMENT_CV, abs=1e-12)
    assert _cv(two_county_db, "degree_teachers_per100", year) == pytest.approx(DEGREE_CV, abs=1e-12)
    facts = _rows(two_county_db, "SELECT county, value FROM city_facts WHERE key = 'pop_age3_5' AND year = ?", [year])
    assert facts["county"].tolist() == [KAIPING, ENPING]
    log = _rows(two_county_db, "SELECT action, counties FROM import_log WHERE action = 'import'")
    assert log.values.tolist() == [["import", ENPING]]


def test_a_clashing_year_of_the_same_county_is_refused_and_the_file_is_unchanged(two_county_db, tmp_path):
    db = _copy(two_county_db, tmp_path)
    before = sha256_of(db)
    result = import_enping(db, frames=enping_frames(years=(2026,)))
    assert not result.ok
    clash = [p for p in result.problems.errors if "学年的数据" in p.reason]
    assert [(p.sheet, p.value, p.county) for p in clash] == [("学校年度", "2026", ENPING), ("市级年度", "2026", ENPING)]
    assert clash[0].reason.startswith("数据库中 440785 恩平市已有 2026 学年的数据")
    assert sha256_of(db) == before


def test_replace_years_of_enping_leaves_kaiping_rows_untouched(two_county_db, tmp_path):
    db = _copy(two_county_db, tmp_path)
    kaiping_before = _kaiping(db)
    frames = enping_frames(years=(2025,))
    frames["市级年度"].loc[frames["市级年度"]["指标"] == "pop_age3_5", "数值"] = "321"
    result = import_enping(db, frames=frames, replace_years=True)
    assert result.ok, [p.line() for p in result.problems.errors]
    after = _kaiping(db)
    for key, df in kaiping_before.items():
        pd.testing.assert_frame_equal(after[key], df, obj=key)
    facts = _rows(db, "SELECT year, value FROM city_facts WHERE county = ? AND key = 'pop_age3_5'", [ENPING])
    assert facts.values.tolist() == [[2025, 321.0], [2026, 210.0]]  # 2026 was not in the workbook
    log = _rows(db, "SELECT replaced_years, counties FROM import_log ORDER BY id DESC LIMIT 1")
    assert log.values.tolist() == [["2025", ENPING]]


def _taishan_frames() -> dict[str, pd.DataFrame]:
    """恩平 plus one 台山 town and school in one workbook; 市级年度 rows with a blank county."""
    frames = enping_frames(years=(2025,))
    town = TAISHAN + "001000"
    frames["镇街"] = pd.concat(
        [frames["镇街"], frame("towns", [{"town_code": town, "town_name": "台城街道", "town_kind": "街道"}])],
        ignore_index=True,
    )
    school = {
        "school_id": "2144781001",
        "school_name": "台城小学",
        "town_code": town,
        "school_type": "小学",
        "ownership": "公办",
        "ur_code": "111",
    }
    frames["学校"] = pd.concat([frames["学校"], frame("schools", [school])], ignore_index=True)
    row = {"year": 2025, "school_id": "2144781001", "stage": "小学", "students": 90, "classes": 2, "teachers": 5}
    frames["学校年度"] = pd.concat([frames["学校年度"], frame("school_years", [row])], ignore_index=True)
    return frames


def test_a_multi_county_workbook_needs_the_county_on_each_city_row(tmp_path):
    frames = _taishan_frames()
    frames["学校"].loc[0, "城乡分类代码"] = "999"  # an error in 恩平 (学校 row 2)
    frames["学校"].loc[len(frames["学校"]) - 1, "举办者"] = "私立"  # and one in 台山
    db = tmp_path / "multi.duckdb"
    result = import_tables(tables_from_frames(frames), db)
    assert not result.ok and not db.exists()
    blank = [p for p in result.problems.errors if p.reason == NEEDS_COUNTY]
    n = len(frames["市级年度"])
    assert [(p.sheet, p.row, p.column) for p in blank] == [("市级年度", r, "县级区划代码") for r in range(2, n + 2)]
    by = {(p.sheet, p.row): p.county for p in result.problems.errors}
    assert by[("学校", 2)] == ENPING and by[("学校", len(frames["学校"]) + 1)] == TAISHAN
    table = result.problems.frame()
    assert table.columns[0] == COUNTY_HEADER
    assert table[COUNTY_HEADER].tolist()[:n] == [NO_COUNTY] * n  # the county-less rows first
    assert set(table[COUNTY_HEADER]) == {NO_COUNTY, "440785 恩平市", "440781 台山市"}
    lines = result.problems.report_lines()
    assert "== 440785 恩平市：1 个错误、0 个疑点 ==" in lines and "== 440781 台山市：1 个错误、0 个疑点 ==" in lines


def test_a_multi_county_workbook_with_the_county_filled_imports_both(tmp_path):
    frames = _taishan_frames()
    frames["市级年度"]["县级区划代码"] = ENPING
    frames["市级年度"] = pd.concat(
        [
            frames["市级年度"],
            frame("city_facts", [{"year": 2025, "key": "pop_age3_5", "value": 99, "county": TAISHAN}]),
        ],
        ignore_index=True,
    )
    db = tmp_path / "multi.duckdb"
    result = import_tables(tables_from_frames(frames), db)
    assert result.ok, [p.line() for p in result.problems.errors]
    facts = _rows(db, "SELECT county, value FROM city_facts WHERE key = 'pop_age3_5'")
    assert facts.values.tolist() == [[TAISHAN, 99.0], [ENPING, 200.0]]
    assert _rows(db, "SELECT counties FROM import_log")["counties"].tolist() == [f"{TAISHAN},{ENPING}"]


def test_cli_check_groups_problems_by_county(tmp_path):
    frames = _taishan_frames()
    frames["学校"].loc[0, "城乡分类代码"] = "999"
    frames["学校"].loc[len(frames["学校"]) - 1, "举办者"] = "私立"
    book = tmp_path / "multi.xlsx"
    write_xlsx(frames, book)
    out = subprocess.run(
        [sys.executable, "-m", "edubalance", "check", str(book)], cwd=ROOT, capture_output=True, text=True
    )
    assert out.returncode == 1
    lines = out.stdout.splitlines()
    enping = lines.index("== 440785 恩平市：1 个错误、0 个疑点 ==")
    assert lines[enping + 1].startswith("[错误] 表“学校” 第2行 列“城乡分类代码”")
    assert "== 440781 台山市：1 个错误、0 个疑点 ==" in lines


def test_a_school_cannot_change_county(two_county_db, tmp_path):
    db = _copy(two_county_db, tmp_path)
    before = sha256_of(db)
    frames = {k: v for k, v in enping_frames(years=(2027,)).items() if k in ("镇街", "学校")}
    frames["学校"].loc[1, "区划代码"] = KAIPING + "001000"  # 恩平乙小学 into a Kaiping town
    result = import_enping(db, frames=frames)
    assert not result.ok
    (moved,) = result.problems.errors
    assert (moved.sheet, moved.row, moved.column, moved.county) == ("学校", 3, "区划代码", KAIPING)
    assert moved.reason == f"学校标识码已属于 {ENPING}，不能改到 {KAIPING}"
    assert sha256_of(db) == before


def test_a_county_value_without_towns_is_an_error(two_county_db, tmp_path):
    db = _copy(two_county_db, tmp_path)
    facts = frame("city_facts", [{"year": 2027, "key": "pop_age3_5", "value": 5, "county": "440799"}])
    result = import_tables(tables_from_frames({"市级年度": facts}), db)
    assert [(p.row, p.column, p.value) for p in result.problems.errors] == [(2, "县级区划代码", "440799")]
    assert "没有该县（市、区）的镇街" in result.problems.errors[0].reason


def test_county_codes_are_parsed_like_other_codes(two_county_db, tmp_path):
    """Full-width digits fold to ASCII, a float cell loses its .0, a short code is an error."""
    db = _copy(two_county_db, tmp_path)
    rows = [
        {"year": 2027, "key": "pop_age3_5", "value": 5, "county": "４４０７８５"},
        {"year": 2027, "key": "edu_spending_10k", "value": 5, "county": "440783.0"},
        {"year": 2027, "key": "teacher_avg_pay", "value": 5, "county": "44078"},
    ]
    result = import_tables(tables_from_frames({"市级年度": frame("city_facts", rows)}), db)
    assert [(p.row, p.reason) for p in result.problems.errors] == [
        (4, "应为6位数字编码（位数不足；编码不以0开头，无法补齐，请核对）")
    ]
    result = import_tables(tables_from_frames({"市级年度": frame("city_facts", rows[:2])}), db)
    assert result.ok, [p.line() for p in result.problems.errors]
    facts = _rows(db, "SELECT county, key FROM city_facts WHERE year = 2027")
    assert facts.values.tolist() == [[KAIPING, "edu_spending_10k"], [ENPING, "pop_age3_5"]]


def test_task_form_in_a_two_county_database_needs_the_county(two_county_db, tmp_path):
    db = _copy(two_county_db, tmp_path)
    refused = update_task(db, "Q1", "推进中", user="测试")
    assert [p.reason for p in refused.problems.errors] == [NEEDS_COUNTY_DB]
    # Q1 is a task of Kaiping's plan; 恩平 has no plan of its own, so only G1—G7
    unknown = update_task(db, "Q1", "推进中", user="测试", county=ENPING)
    assert [p.reason[:14] for p in unknown.problems.errors] == ["目标登记表中没有这个任务编号"]
    assert "尚无本县方案目标登记表" in unknown.problems.errors[0].reason
    assert update_task(db, "Q1", "推进中", user="测试", county=KAIPING).ok
    town = update_task(db, "Q1", "已完成", user="测试", town_code=KAIPING + "001000")  # the town says which
    assert town.ok
    rows = _rows(
        db, "SELECT county, town_code, status FROM task_progress WHERE target_id = 'Q1' AND updated_on = current_date"
    )
    assert rows.astype(object).where(rows.notna(), None).values.tolist() == [
        [KAIPING, KAIPING + "001000", "已完成"],
        [KAIPING, None, "推进中"],
    ]


def test_an_unknown_adcode_is_a_warning_once_per_county(tmp_path):
    result = import_tables(tables_from_frames(oracle_frames()), tmp_path / "o.duckdb")
    assert result.ok
    unknown = [p for p in result.problems.warnings if "不在县界数据" in p.reason]
    assert [(p.sheet, p.row, p.county) for p in unknown] == [("镇街", 2, "990101")]


def test_a_database_from_before_the_county_column_is_migrated(demo_db, tmp_path):
    db = _copy(demo_db, tmp_path)
    con = duckdb.connect(str(db))
    for table in ("city_facts", "task_progress", "researchers"):
        con.execute(f"ALTER TABLE {table} DROP COLUMN county")
    con.execute("ALTER TABLE import_log DROP COLUMN counties")
    con.close()
    assert importer.read_existing(db).years["city_facts"] == {KAIPING: {2022, 2023, 2024, 2025, 2026}}
    result = import_enping(db)
    assert result.ok, [p.line() for p in result.problems.errors]
    counts = _rows(db, "SELECT county, count(*) AS n FROM city_facts GROUP BY county")
    assert counts.values.tolist() == [[KAIPING, 73], [ENPING, 4]]
    assert _rows(db, "SELECT count(*) AS n FROM researchers WHERE county IS NULL")["n"].tolist() == [0]


def test_the_importer_rebuilds_derived_rows_of_the_touched_counties_only(two_county_db, tmp_path, monkeypatch):
    calls = []
    real = importer.derive

    def spy(con, counties=None):
        calls.append(counties)
        real(con, counties=counties)

    monkeypatch.setattr(importer, "derive", spy)
    db = _copy(two_county_db, tmp_path)
    assert import_enping(db, replace_years=True).ok
    assert update_task(db, "Q1", "推进中", user="测试", town_code=KAIPING + "001000").ok
    assert import_tables(tables_from_frames(oracle_frames()), tmp_path / "fresh.duckdb", fresh=True).ok
    assert calls == [[ENPING], [KAIPING], None]


def test_the_preview_of_a_new_county_adds_its_years_and_replaces_none(demo_db, tmp_path):
    from edubalance.ingest.preview import preview_tables, summary_lines

    db = _copy(demo_db, tmp_path)
    before = sha256_of(db)
    pv = preview_tables(tables_from_frames(enping_frames()), db)
    assert pv.ok, [p.line() for p in pv.problems.errors]
    assert pv.years_added == {"学校年度": [2025, 2026], "市级年度": [2025, 2026]} and pv.years_replaced == {}
    assert sorted(pv.schools_added["school_id"]) == sorted(enping_frames()["学校"]["学校标识码"])
    assert set(pv.schools_added["county"]) == {ENPING} and pv.counties == [ENPING]
    assert "新增学校 6 所" in "\n".join(summary_lines(pv))
    assert sha256_of(db) == before


def test_quality_findings_run_per_county(two_county_db):
    from edubalance.ingest import quality

    found = quality.findings(two_county_db, geometry=False)
    assert list(found.columns)[-1] == "county" and set(found["county"]) <= {KAIPING, ENPING}
    assert KAIPING in set(found["county"])
    one = quality.findings(two_county_db, geometry=False, county=KAIPING)
    assert "county" not in one.columns and len(one) == (found["county"] == KAIPING).sum()


def test_the_template_documents_the_county_column_last_in_its_three_sheets():
    import io

    import openpyxl

    from edubalance.ingest.template import HELP_SHEET, template_bytes

    wb = openpyxl.load_workbook(io.BytesIO(template_bytes()), read_only=True)
    for sheet in ("市级年度", "任务进展", "教研员"):
        header = [c.value for c in next(wb[sheet].iter_rows(max_row=1))]
        assert header[-1] == "县级区划代码", sheet
    rows = [r for r in wb[HELP_SHEET].iter_rows(values_only=True) if r[1] == "县级区划代码"]
    assert [(r[0], r[2], r[3], r[4]) for r in rows] == [
        (s, "county", "6位县级区划代码（文本）", None) for s in ("市级年度", "任务进展", "教研员")
    ]
    assert all("含多个县时必填" in r[6] for r in rows)


def test_a_pairing_across_counties_is_a_warning_of_the_first_school_county(two_county_db, tmp_path):
    db = _copy(two_county_db, tmp_path)
    kaiping_school = _rows(
        db, "SELECT min(school_id) AS s FROM schools WHERE school_type = '幼儿园' AND town_code LIKE '440783%'"
    )["s"][0]
    pair = {
        "kind": "幼儿园结对帮扶",
        "school_id": kaiping_school,
        "partner_school_id": "1144785001",
        "since_year": 2025,
    }
    result = import_tables(tables_from_frames({"认定与结对": frame("designations", [pair])}), db)
    assert result.ok, [p.line() for p in result.problems.errors]
    (warning,) = [p for p in result.problems.warnings if "分属不同的县" in p.reason]
    assert (warning.row, warning.value, warning.county) == (2, "1144785001", KAIPING)
    assert warning.reason == f"结对双方分属不同的县（{KAIPING}、{ENPING}）；已导入，请核对"


def test_restoring_a_version_from_before_the_county_column(two_county_db, tmp_path):
    """A history file written before issue 16 (no county columns, no import_log.counties)
    restores: its rows take its single county, and the restore rolls 恩平 back."""
    from edubalance.ingest.restore import restore_backup

    db = _copy(two_county_db, tmp_path)
    old = tmp_path / "history" / "db-20250101T000000000000.duckdb"
    old.parent.mkdir()
    shutil.copy2(db, old)
    con = duckdb.connect(str(old))
    con.execute(
        "DELETE FROM school_years WHERE school_id IN (SELECT school_id FROM schools WHERE town_code LIKE ?)",
        [ENPING + "%"],
    )
    for table in ("schools", "towns"):
        con.execute(f"DELETE FROM {table} WHERE town_code LIKE ?", [ENPING + "%"])
    con.execute("DELETE FROM city_facts WHERE county = ?", [ENPING])
    for table in ("city_facts", "task_progress", "researchers"):
        con.execute(f"ALTER TABLE {table} DROP COLUMN county")
    con.execute("ALTER TABLE import_log DROP COLUMN counties")
    # an uploaded plan (the shape ingest/plans.py writes: county, the targets.csv columns, ord)
    columns = "target_id,group_zh,plan_clause,wording,indicator_key,scope,comparator,goal,unit,deadline,"
    columns += "baseline_year,kind,owner,deadline_note,owner_note,measure_note,round_ends"
    cells = ", ".join(f"'T1' AS {c}" if c == "target_id" else f"NULL::VARCHAR AS {c}" for c in columns.split(","))
    con.execute(f"CREATE OR REPLACE TABLE plan_targets AS SELECT '440783' AS county, {cells}, 0 AS ord")
    con.close()
    result = restore_backup(db, old, user="测试", allow_unverified=True)
    assert result.ok, [p.line() for p in result.problems.errors]
    assert _rows(db, "SELECT DISTINCT county FROM city_facts")["county"].tolist() == [KAIPING]
    assert _rows(db, "SELECT count(*) AS n FROM researchers WHERE county IS DISTINCT FROM ?", [KAIPING])["n"][0] == 0
    log = _rows(db, "SELECT action, counties FROM import_log ORDER BY id DESC LIMIT 1")
    assert log.values.tolist() == [["restore", KAIPING]]
    assert set(_rows(db, "SELECT DISTINCT substr(town_code, 1, 6) AS c FROM d_segments")["c"]) == {KAIPING}
    assert _rows(db, "SELECT county, target_id FROM plan_targets").values.tolist() == [[KAIPING, "T1"]]


def test_an_import_limited_to_one_county_refuses_a_workbook_touching_another(two_county_db, tmp_path):
    db = _copy(two_county_db, tmp_path)
    before = sha256_of(db)
    refused = import_enping(db, replace_years=True, allowed_counties={KAIPING})
    assert not refused.ok and refused.counties == [ENPING]
    assert [p.reason for p in refused.problems.errors] == [
        "工作簿涉及县级区划代码 440785，超出本账号可导入的范围（440783）"
    ]
    # 学校年度 rows name no county themselves: their schools do
    rows = enping_frames(years=(2025,))["学校年度"]
    refused = import_tables(tables_from_frames({"学校年度": rows}), db, replace_years=True, allowed_counties={KAIPING})
    assert not refused.ok and refused.counties == [ENPING]
    task = update_task(db, "Q1", "推进中", user="测试", county=ENPING, allowed_counties={KAIPING})
    assert not task.ok
    assert sha256_of(db) == before
    allowed = import_enping(db, replace_years=True, allowed_counties={ENPING})
    assert allowed.ok and allowed.counties == [ENPING]


def test_cli_import_refuses_a_clash_per_county_and_replaces_with_the_flag(two_county_db, tmp_path):
    db = _copy(two_county_db, tmp_path)
    book = tmp_path / "enping.xlsx"
    write_xlsx(enping_frames(years=(2026,)), book)
    cmd = [sys.executable, "-m", "edubalance", "import", str(book), "--db", str(db)]
    before = sha256_of(db)
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 1 and "数据库中 440785 恩平市已有 2026 学年的数据" in out.stdout
    assert sha256_of(db) == before
    out = subprocess.run([*cmd, "--replace-years"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"已导入 {db}（440785 恩平市）：" in out.stdout


def test_city_rows_without_any_town_cannot_tell_their_county(tmp_path):
    from edubalance.ingest.county_checks import NO_COUNTY_AT_ALL

    facts = frame("city_facts", [{"year": 2025, "key": "pop_age3_5", "value": 5}])
    result = import_tables(tables_from_frames({"市级年度": facts}), tmp_path / "empty.duckdb")
    assert [(p.row, p.column, p.reason) for p in result.problems.errors] == [(2, "县级区划代码", NO_COUNTY_AT_ALL)]
