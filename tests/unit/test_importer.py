"""The importer: every kind of bad input is rejected whole, named precisely, and the database
file stays byte-identical; a valid file is swapped in atomically and logged."""

import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from edubalance.ingest.importer import import_file
from edubalance.store.history import sha256_of
from tests.support.workbooks import TOWN_A, frame, oracle_frames, school_id, write_csv_folder, write_xlsx

ROOT = Path(__file__).resolve().parents[2]


def _set(sheet, row, col, value):
    def mutate(f):
        f[sheet].loc[row, col] = value

    return mutate


def _add_sheet(sheet_key, sheet_zh, rows):
    def mutate(f):
        f[sheet_zh] = frame(sheet_key, rows)

    return mutate


def _drop_col(sheet, col):
    def mutate(f):
        f[sheet] = f[sheet].drop(columns=[col])

    return mutate


def _dup_row(sheet, row):
    def mutate(f):
        f[sheet] = pd.concat([f[sheet], f[sheet].iloc[[row]]], ignore_index=True)

    return mutate


def _many(*mutations):
    def mutate(f):
        for m in mutations:
            m(f)

    return mutate


POINT = {
    "school_id": school_id("21", 9),
    "school_name": "教学点9",
    "town_code": TOWN_A,
    "school_type": "教学点",
    "ownership": "公办",
    "ur_code": "220",
}

# (id, mutation, sheet, Excel row, column, message fragment)
BROKEN = [
    ("town_code_short", _set("镇街", 0, "区划代码", "99010100100"), "镇街", 2, "区划代码", "应为12位数字编码"),
    ("town_code_letters", _set("镇街", 1, "区划代码", "99010110100X"), "镇街", 3, "区划代码", "应为12位数字编码"),
    ("town_name_dup", _set("镇街", 1, "镇街名称", "甲街道"), "镇街", 3, "镇街名称", "重复（与第2行相同）"),
    ("town_kind_bad", _set("镇街", 2, "类型", "乡"), "镇街", 4, "类型", "不在允许的取值中"),
    ("seat_lon_out", _set("镇街", 0, "驻地经度", "23.1"), "镇街", 2, "驻地经度", "坐标超出中国范围"),
    ("school_id_length", _set("学校", 0, "学校标识码", "21990000"), "学校", 2, "学校标识码", "应为10位数字编码"),
    ("school_id_category", _set("学校", 1, "学校标识码", "8099000002"), "学校", 3, "学校标识码", "学校类别代码"),
    ("school_id_scientific", _set("学校", 2, "学校标识码", "2.199E+09"), "学校", 4, "学校标识码", "科学计数法"),
    ("school_town_missing", _set("学校", 3, "区划代码", "990101199000"), "学校", 5, "区划代码", "在“镇街”中找不到"),
    ("school_type_bad", _set("学校", 0, "办学类型", "大学"), "学校", 2, "办学类型", "不在允许的取值中"),
    ("ownership_bad", _set("学校", 0, "举办者", "私立"), "学校", 2, "举办者", "不在允许的取值中"),
    ("ur_code_bad", _set("学校", 4, "城乡分类代码", "130"), "学校", 6, "城乡分类代码", "不在允许的取值中"),
    ("bool_bad", _set("学校", 0, "寄宿制", "可能"), "学校", 2, "寄宿制", "应填“是”或“否”"),
    ("school_lat_alone", _set("学校", 0, "纬度", "22.3"), "学校", 2, "经度", "同时填写"),
    (
        "point_without_parent",
        lambda f: f.update(学校=pd.concat([f["学校"], frame("schools", [POINT])], ignore_index=True)),
        "学校",
        7,
        "所属学校标识码",
        "教学点必须填写所属学校",
    ),
    (
        "point_parent_unknown",
        lambda f: f.update(
            学校=pd.concat(
                [f["学校"], frame("schools", [{**POINT, "parent_school_id": "2199000077"}])], ignore_index=True
            )
        ),
        "学校",
        7,
        "所属学校标识码",
        "找不到所属学校",
    ),
    (
        "closed_before_open",
        _many(_set("学校", 0, "建校年份", "2000"), _set("学校", 0, "停办年份", "1999")),
        "学校",
        2,
        "停办年份",
        "早于建校年份",
    ),
    (
        "row_school_unknown",
        _set("学校年度", 0, "学校标识码", "2199000099"),
        "学校年度",
        2,
        "学校标识码",
        "在“学校”中找不到",
    ),
    ("row_duplicate", _dup_row("学校年度", 1), "学校年度", 7, "学段", "重复（与第3行相同）"),
    ("students_negative", _set("学校年度", 0, "在校生数", "-5"), "学校年度", 2, "在校生数", "不能为负数"),
    ("students_text", _set("学校年度", 1, "在校生数", "四十五"), "学校年度", 3, "在校生数", "不是有效的数字"),
    ("students_fraction", _set("学校年度", 2, "在校生数", "88.5"), "学校年度", 4, "在校生数", "应为整数"),
    ("students_empty", _set("学校年度", 3, "在校生数", ""), "学校年度", 5, "在校生数", "必填项为空"),
    ("bands_do_not_add_up", _set("学校年度", 0, "41-45人", "3"), "学校年度", 2, "班级数", "与班级数不一致"),
    (
        "backbone_over_teachers",
        _set("学校年度", 1, "县级以上骨干教师数", "11"),
        "学校年度",
        3,
        "县级以上骨干教师数",
        "不能大于“专任教师数”",
    ),
    ("boarders_over_students", _set("学校年度", 0, "寄宿生数", "46"), "学校年度", 2, "寄宿生数", "不能大于“在校生数”"),
    ("stage_not_for_type", _set("学校年度", 4, "学段", "初中"), "学校年度", 6, "学段", "小学不应有“初中”学段"),
    ("stage_unknown", _set("学校年度", 4, "学段", "大学"), "学校年度", 6, "学段", "不在允许的取值中"),
    (
        "classes_zero_with_pupils",
        _many(_set("学校年度", 0, "班级数", "0"), _set("学校年度", 0, "41-45人", "0")),
        "学校年度",
        2,
        "班级数",
        "班级数不能为0",
    ),
    ("year_out_of_range", _set("学校年度", 0, "学年", "1800"), "学校年度", 2, "学年", "年份应在"),
    ("missing_required_column", _drop_col("学校年度", "学段"), "学校年度", 1, "学段", "缺少必填列"),
    (
        "principal_start_after_year",
        _add_sheet(
            "principals",
            "校园长",
            [{"year": 2026, "school_id": school_id("21", 1), "birth_year": 1980, "post_start_year": 2027}],
        ),
        "校园长",
        2,
        "任现职年份",
        "晚于学年",
    ),
    (
        "city_key_unknown",
        _add_sheet("city_facts", "市级年度", [{"year": 2026, "key": "no_such_key", "value": 1}]),
        "市级年度",
        2,
        "指标",
        "没有这个市级指标代码",
    ),
    (
        "designation_kind_unknown",
        _add_sheet("designations", "认定与结对", [{"kind": "国家级名校", "school_id": school_id("21", 1)}]),
        "认定与结对",
        2,
        "类型",
        "不在认定类型登记表中",
    ),
    (
        "pair_without_partner",
        _add_sheet("designations", "认定与结对", [{"kind": "幼儿园结对帮扶", "school_id": school_id("21", 1)}]),
        "认定与结对",
        2,
        "对象学校标识码",
        "须填写对象学校标识码",
    ),
    (
        "task_unknown",
        _add_sheet("task_progress", "任务进展", [{"target_id": "X99", "updated_on": "2026-03-01", "status": "推进中"}]),
        "任务进展",
        2,
        "任务编号",
        "没有这个任务编号",
    ),
    (
        "task_date_bad",
        _add_sheet("task_progress", "任务进展", [{"target_id": "T7", "updated_on": "2026-13-45", "status": "推进中"}]),
        "任务进展",
        2,
        "更新日期",
        "日期格式",
    ),
]


MUTATION = {c[0]: c[1] for c in BROKEN}


@pytest.fixture
def base_db(oracle_db):
    return oracle_db  # holds school year 2025; the broken files bring 2026


@pytest.mark.parametrize("case", BROKEN, ids=[c[0] for c in BROKEN])
def test_broken_workbook_is_rejected_whole(case, base_db, tmp_path):
    _, mutate, sheet, row, column, fragment = case
    frames = oracle_frames(year=2026)
    mutate(frames)
    path = tmp_path / "broken.xlsx"
    write_xlsx(frames, path)
    before = sha256_of(base_db)
    result = import_file(path, base_db)
    assert not result.ok
    hits = [
        p
        for p in result.problems.errors
        if p.sheet == sheet and p.row == row and p.column == column and fragment in p.reason
    ]
    assert hits, "\n".join(p.line() for p in result.problems.items)
    assert sha256_of(base_db) == before


def test_every_problem_is_reported_not_just_the_first(base_db, tmp_path):
    frames = oracle_frames(year=2026)
    for name in ("town_code_short", "school_type_bad", "students_negative", "backbone_over_teachers"):
        MUTATION[name](frames)
    path = tmp_path / "many.xlsx"
    write_xlsx(frames, path)
    result = import_file(path, base_db)
    found = {(p.sheet, p.row, p.column) for p in result.problems.errors}
    assert {
        ("镇街", 2, "区划代码"),
        ("学校", 2, "办学类型"),
        ("学校年度", 2, "在校生数"),
        ("学校年度", 3, "县级以上骨干教师数"),
    } <= found


def test_existing_year_needs_replace_flag(base_db, tmp_path):
    path = tmp_path / "same_year.xlsx"
    write_xlsx(oracle_frames(year=2025), path)
    before = sha256_of(base_db)
    result = import_file(path, base_db)
    assert not result.ok
    assert any("已有 2025 学年" in p.reason for p in result.problems.errors)
    assert sha256_of(base_db) == before
    result = import_file(path, base_db, replace_years=True)
    assert result.ok
    con = duckdb.connect(str(base_db), read_only=True)
    assert con.execute("SELECT count(*) FROM school_years").fetchone()[0] == 5
    con.close()


def test_valid_import_swaps_file_keeps_previous_and_logs(base_db, tmp_path):
    path = tmp_path / "year2026.xlsx"
    write_xlsx(oracle_frames(year=2026), path, title_rows={"学校年度": "2026—2027学年 学校年度统计表"})
    before = sha256_of(base_db)
    result = import_file(path, base_db, user="测试员")
    assert result.ok, [p.line() for p in result.problems.errors]
    assert result.backup_path is not None and sha256_of(result.backup_path) == before
    con = duckdb.connect(str(base_db), read_only=True)
    years = [r[0] for r in con.execute("SELECT DISTINCT year FROM school_years ORDER BY 1").fetchall()]
    log = con.execute(
        "SELECT user_name, file_name, sha256, rows_json FROM import_log ORDER BY id DESC LIMIT 1"
    ).fetchone()
    con.close()
    assert years == [2025, 2026]
    assert log[0] == "测试员" and log[1] == "year2026.xlsx" and log[2] == sha256_of(path)
    assert '"school_years": 5' in log[3]


def test_codes_keep_leading_digits_and_gb18030_csv_imports_like_xlsx(tmp_path):
    frames = oracle_frames()
    xlsx, folder = tmp_path / "clean.xlsx", tmp_path / "csv"
    write_xlsx(frames, xlsx)
    write_csv_folder(frames, folder, encoding="gb18030")
    a, b = tmp_path / "a.duckdb", tmp_path / "b.duckdb"
    assert import_file(xlsx, a).ok
    assert import_file(folder, b).ok
    q = "SELECT * FROM school_years ORDER BY school_id"
    ca, cb = duckdb.connect(str(a), read_only=True), duckdb.connect(str(b), read_only=True)
    pd.testing.assert_frame_equal(ca.execute(q).df(), cb.execute(q).df())
    assert ca.execute("SELECT min(town_code) FROM towns").fetchone()[0] == "990101001000"
    ca.close()
    cb.close()


def test_cli_import_exit_codes_and_messages(base_db, tmp_path):
    frames = oracle_frames(year=2026)
    MUTATION["students_negative"](frames)
    path = tmp_path / "bad.xlsx"
    write_xlsx(frames, path)
    before = sha256_of(base_db)
    cmd = [sys.executable, "-m", "edubalance", "import", str(path), "--db", str(base_db)]
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 1
    assert "表“学校年度” 第2行 列“在校生数”：不能为负数" in out.stdout
    assert sha256_of(base_db) == before
    q = [
        sys.executable,
        "-m",
        "edubalance",
        "query",
        "balance_cv",
        "--db",
        str(base_db),
        "--param",
        "year=2025",
        "--format",
        "csv",
    ]
    out = subprocess.run(q, cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0
    lines = out.stdout.strip().splitlines()
    assert lines[0].startswith("year,stage,indicator,")
    assert len(lines) == 1 + 7
    bad = subprocess.run(q[:-4] + ["--param", "yr=2025"], cwd=ROOT, capture_output=True, text=True)
    assert bad.returncode == 2
    unknown = subprocess.run(
        [sys.executable, "-m", "edubalance", "query", "nope", "--db", str(base_db)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert unknown.returncode == 2
