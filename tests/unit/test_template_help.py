"""The template explains itself: every column's 口径, unit, allowed values and an example, one
example row per sheet that imports as it is, and the rule table (错误 versus 疑点)."""

import io

import openpyxl
import pandas as pd

from edubalance.ingest.importer import import_tables
from edubalance.ingest.reading import tables_from_frames
from edubalance.ingest.rules import rules
from edubalance.ingest.template import example_rows, template_bytes
from edubalance.model.column_docs import describe
from edubalance.model.schema import SCHOOL_YEARS, SHEETS, Column


def _help_rows():
    wb = openpyxl.load_workbook(io.BytesIO(template_bytes()))
    return [[c.value for c in r] for r in wb["填表说明"].iter_rows()]


def test_every_column_has_a_definition_unit_and_example_line():
    rows = _help_rows()
    head = next(i for i, r in enumerate(rows) if r[0] == "工作表")
    assert rows[head][:10] == [
        "工作表",
        "列名",
        "英文键",
        "类型",
        "必填",
        "允许取值",
        "口径（定义）",
        "单位",
        "示例",
        "说明",
    ]
    end = next(i for i, r in enumerate(rows) if r[0] and str(r[0]).startswith("示例行"))
    by_column = {(r[0], r[1]): r for r in rows[head + 1 : end] if r[2]}
    assert len(by_column) == sum(len(s.columns) for s in SHEETS)
    for sheet in SHEETS:
        for col in sheet.columns:
            row = by_column[(sheet.zh, col.zh)]
            assert row[6] and row[6] != col.zh, (sheet.zh, col.zh)  # a real definition, not the header again
    assert by_column[("学校年度", "教学及辅助用房面积")][7] == "平方米"
    assert by_column[("学校年度", "交流轮岗教师数")][6].startswith("本学年交流轮岗的教师；派出学校口径")
    assert by_column[("学校", "办学类型")][5].startswith("幼儿园、小学")


def test_a_column_without_docs_still_gets_a_line():
    new = Column("sample_new_column", "新增可选列", "int", note="由其他变更加入")
    assert describe(SCHOOL_YEARS, new) == ("由其他变更加入", "", "")
    own = Column("x", "自带说明列", "num", unit="元", example="12.5", definition="自带口径")
    assert describe(SCHOOL_YEARS, own) == ("自带口径", "元", "12.5")


def test_the_example_rows_import_as_they_are(tmp_path):
    frames = {
        sheet.zh: pd.DataFrame([example_rows()[sheet.zh]], columns=[c.zh for c in sheet.columns], dtype=object)
        for sheet in SHEETS
    }
    result = import_tables(tables_from_frames(frames, "示例行"), tmp_path / "example.duckdb")
    assert result.ok, [p.line() for p in result.problems.errors]
    assert result.rows["school_years"] == 1 and not result.problems.warnings


def test_the_rule_table_is_in_the_template():
    rows = _help_rows()
    start = next(i for i, r in enumerate(rows) if r[0] and str(r[0]).startswith("校验规则"))
    table = [r[:4] for r in rows[start + 2 :] if r[0]]
    assert len(table) == len(rules())
    assert ["学校年度", "交流轮岗骨干教师数 ≤ 县级以上骨干教师数（同一行）", "疑点（导入并列出）"] == table[
        [r[1] for r in table].index("交流轮岗骨干教师数 ≤ 县级以上骨干教师数（同一行）")
    ][:3]
    assert any(r[1] == "寄宿生数 ≤ 在校生数（同一行）" and r[2] == "错误（拒绝导入）" for r in table)
