"""A corpus of broken workbooks of OTHER counties: the demo recipe re-coded to three counties
outside Guangdong, one broken thing per file. Each file is refused with its sheet and column
named, and the county's database (its earlier school years) stays byte-identical."""

from __future__ import annotations

from functools import cache

import pandas as pd
import pytest

from edubalance.demo.recipe import build_demo_tables
from edubalance.ingest.importer import import_file, import_tables
from edubalance.ingest.reading import tables_from_frames
from edubalance.store.history import sha256_of
from tests.support.workbooks import write_xlsx

KAIPING = "440783"
COUNTIES = ("330681", "520402", "150102")  # 诸暨市, 西秀区, 新城区 (codes only; the facts stay simulated)
CODE_COLUMNS = ("区划代码", "学校标识码", "所属学校标识码", "对象学校标识码")
LAST = "2026"


@cache
def _demo() -> dict[str, pd.DataFrame]:
    return build_demo_tables()


def recoded(county: str) -> dict[str, pd.DataFrame]:
    """The demo county under another county's codes: town codes take its 6 digits, school
    codes its province digits (positions 3—4)."""
    out = {}
    for name, df in _demo().items():
        df = df.copy()
        for col in CODE_COLUMNS:
            if col not in df.columns:
                continue
            v = df[col].astype(str)
            if col == "区划代码":
                df[col] = v.where(~v.str.startswith(KAIPING), county + v.str[6:])
            else:
                df[col] = v.where(v.str.len() != 10, v.str[:2] + county[:2] + v.str[4:])
        out[name] = df
    # Kaiping's qualitative tasks are Kaiping's own: a county without a plan of its own is held
    # to the common targets G1—G7, so its progress sheet can only name one of those.
    tasks = out["任务进展"].head(1).copy()
    tasks["任务编号"] = "G1"
    out["任务进展"] = tasks
    return out


def _split(frames):
    """(earlier years, the last year's workbook with the master sheets)."""
    early, last = {}, {}
    for name, df in frames.items():
        if "学年" in df.columns:
            early[name] = df[df["学年"] != LAST].reset_index(drop=True)
            last[name] = df[df["学年"] == LAST].reset_index(drop=True)
        else:
            early[name] = df
            last[name] = df.copy()
    return early, last


def _cell(sheet, column, value, row=0):
    def mutate(frames):
        frames[sheet].loc[row, column] = value
        return frames[sheet].index[row] + 2  # Excel row: header on row 1

    return mutate


def _first(sheet, column, value, where):
    def mutate(frames):
        df = frames[sheet]
        i = df.index[where(df)][0]
        df.loc[i, column] = value
        return i + 2

    return mutate


def _boarders(frames):
    df = frames["学校年度"]
    df.loc[0, "寄宿生数"] = str(int(df.loc[0, "在校生数"]) + 1)
    return 2


def _exchanged_backbone(frames):
    df = frames["学校年度"]
    df.loc[0, "交流轮岗教师数"] = "1"
    df.loc[0, "交流轮岗骨干教师数"] = "2"
    return 2


def _duplicate(frames):
    df = frames["学校年度"]
    frames["学校年度"] = pd.concat([df, df.iloc[[3]]], ignore_index=True)
    return len(df) + 2


def _drop_stage(frames):
    frames["学校年度"] = frames["学校年度"].drop(columns=["学段"])
    return 1


def _band_sum(frames):
    df = frames["学校年度"]
    i = df.index[df["班级数"].astype(str).str.isdigit() & (df["班级数"].astype(str) != "0")][0]
    df.loc[i, "班级数"] = str(int(df.loc[i, "班级数"]) + 1)
    return i + 2


def _unknown_school(frames):
    frames["学校年度"].loc[0, "学校标识码"] = frames["学校年度"].loc[0, "学校标识码"][:-4] + "9999"
    return 2


def _late_post(frames):
    frames["校园长"].loc[0, "任现职年份"] = "2030"
    return 2


# (name, mutate -> Excel row, sheet, column, reason fragment)
BROKEN = [
    ("town_code_scientific", _cell("镇街", "区划代码", "4.40783E+11"), "镇街", "区划代码", "科学计数法"),
    ("town_kind_unknown", _cell("镇街", "类型", "乡"), "镇街", "类型", "不在允许的取值中"),
    ("school_type_unknown", _cell("学校", "办学类型", "职业高中"), "学校", "办学类型", "不在允许的取值中"),
    ("ur_code_unknown", _cell("学校", "城乡分类代码", "999"), "学校", "城乡分类代码", "不在允许的取值中"),
    ("lon_negative", _first("学校", "经度", "-112.5", lambda d: d["经度"] != ""), "学校", "经度", "不能为负数"),
    ("students_words", _cell("学校年度", "在校生数", "一百二"), "学校年度", "在校生数", "不是有效的数字"),
    ("boarders_over_students", _boarders, "学校年度", "寄宿生数", "不能大于“在校生数”"),
    ("exchanged_backbone_over_exchanged", _exchanged_backbone, "学校年度", "交流轮岗骨干教师数", "不能大于"),
    ("duplicate_row", _duplicate, "学校年度", "学段", "重复"),
    ("stage_column_missing", _drop_stage, "学校年度", "学段", "缺少必填列"),
    ("band_sum_mismatch", _band_sum, "学校年度", "班级数", "各班额段班级数之和"),
    ("school_unknown", _unknown_school, "学校年度", "学校标识码", "找不到该编码"),
    ("post_after_year", _late_post, "校园长", "任现职年份", "晚于学年"),
    ("city_key_unknown", _cell("市级年度", "指标", "gdp_per_capita"), "市级年度", "指标", "没有这个市级指标代码"),
    ("task_date_bad", _cell("任务进展", "更新日期", "2026/13/45"), "任务进展", "更新日期", "日期格式"),
]
CASES = [(COUNTIES[i % len(COUNTIES)], *case) for i, case in enumerate(BROKEN)]


@pytest.fixture(scope="module")
def county_dbs(tmp_path_factory):
    """Each county's database with its school years before the last one."""
    dbs = {}
    for county in COUNTIES:
        early, _ = _split(recoded(county))
        db = tmp_path_factory.mktemp(county) / "county.duckdb"
        result = import_tables(tables_from_frames(early), db)
        assert result.ok, [p.line() for p in result.problems.errors[:5]]
        dbs[county] = db
    return dbs


def test_the_recoded_last_year_imports_cleanly(county_dbs, tmp_path):
    county = COUNTIES[0]
    _, last = _split(recoded(county))
    write_xlsx(last, tmp_path / "clean.xlsx")
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(county_dbs[county].read_bytes())
    result = import_file(tmp_path / "clean.xlsx", copy)
    assert result.ok, [p.line() for p in result.problems.errors[:5]]


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_broken_workbook_of_another_county_is_refused(case, county_dbs, tmp_path):
    county, _, mutate, sheet, column, fragment = case
    _, frames = _split(recoded(county))
    row = mutate(frames)
    path = tmp_path / f"{county}.xlsx"
    write_xlsx(frames, path)
    db = county_dbs[county]
    before = sha256_of(db)
    result = import_file(path, db)
    assert not result.ok
    hits = [p for p in result.problems.errors if (p.sheet, p.column) == (sheet, column) and fragment in p.reason]
    assert hits, "\n".join(p.line() for p in result.problems.items[:20])
    assert any(p.row == row for p in hits), [(p.row, p.reason) for p in hits]
    assert sha256_of(db) == before
