"""错误 versus 疑点: a workbook is refused only for what cannot be right under any counting rule;
relations that depend on a county's 报送口径 are imported and listed with sheet, row, column."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from edubalance.ingest.importer import import_file, import_tables, open_snapshot
from edubalance.ingest.problems import ERROR, MAX_PER_RULE, WARNING
from edubalance.ingest.reading import tables_from_frames
from edubalance.ingest.rules import PART_OF_WHOLE_RULES, markdown_table, rules
from edubalance.model.schema import PART_OF_WHOLE, SCHOOL_YEARS
from edubalance.store import db as dbmod
from tests.support.workbooks import TOWN_B, frame, oracle_frames, school_id, write_xlsx


def test_every_part_of_whole_pair_is_classified_with_a_reason():
    assert set(PART_OF_WHOLE) == set(PART_OF_WHOLE_RULES)
    table = rules()
    for part, whole in PART_OF_WHOLE:
        row = [
            r for r in table if r.rule.startswith(f"{SCHOOL_YEARS.column(part).zh} ≤ {SCHOOL_YEARS.column(whole).zh}")
        ]
        assert len(row) == 1 and row[0].why
    # The two the plan's definitions make impossible stay errors; the 口径 ones are 疑点.
    assert PART_OF_WHOLE_RULES[("boarders", "students")][0] == ERROR
    assert PART_OF_WHOLE_RULES[("exchanged_backbone", "exchanged_teachers")][0] == ERROR
    assert PART_OF_WHOLE_RULES[("exchanged_backbone", "backbone_teachers")][0] == WARNING
    assert PART_OF_WHOLE_RULES[("exchanged_teachers", "teachers")][0] == WARNING
    assert markdown_table().count("\n") == len(table) + 1


def _backbone(exchanged_backbone: int) -> dict[str, pd.DataFrame]:
    """School 1 sent its only 县级以上骨干教师 away this year: 0 on the roster, 1 exchanged."""
    frames = oracle_frames(year=2025)
    df = frames["学校年度"]
    df.loc[0, "县级以上骨干教师数"] = "0"
    df.loc[0, "交流轮岗教师数"] = "1"
    df.loc[0, "交流轮岗骨干教师数"] = str(exchanged_backbone)
    return frames


def test_exchanged_out_backbone_teacher_imports_with_exactly_one_more_warning(tmp_path):
    results, cvs = {}, {}
    for n in (0, 1):
        path, db = tmp_path / f"b{n}.xlsx", tmp_path / f"b{n}.duckdb"
        write_xlsx(_backbone(n), path)
        results[n] = import_file(path, db)
        assert results[n].ok, [p.line() for p in results[n].problems.errors]
        con = open_snapshot(db)
        cvs[n] = dbmod.run("balance_cv", {"year": 2025}, con=con)
        con.close()
    assert len(results[1].problems.warnings) == len(results[0].problems.warnings) + 1
    extra = set(results[1].problems.warnings) - set(results[0].problems.warnings)
    (warning,) = extra
    assert (warning.sheet, warning.row, warning.column, warning.value) == ("学校年度", 2, "交流轮岗骨干教师数", "1")
    assert "县级以上骨干教师数" in warning.reason and "已导入" in warning.reason
    pd.testing.assert_frame_equal(cvs[0], cvs[1])
    assert len(cvs[1]) == 7 and cvs[1]["cv"].notna().all()


def test_a_part_larger_than_its_whole_by_definition_is_still_refused(tmp_path):
    frames = _backbone(1)
    frames["学校年度"].loc[0, "交流轮岗骨干教师数"] = "2"  # more exchanged backbone than exchanged teachers
    frames["学校年度"].loc[1, "寄宿生数"] = "999"
    path, db = tmp_path / "bad.xlsx", tmp_path / "bad.duckdb"
    write_xlsx(frames, path)
    result = import_file(path, db)
    assert not result.ok and not db.exists()
    found = {(p.sheet, p.row, p.column) for p in result.problems.errors}
    assert {("学校年度", 2, "交流轮岗骨干教师数"), ("学校年度", 3, "寄宿生数")} <= found


def _set(sheet, row, column, value):
    def mutate(frames):
        frames[sheet].loc[row, column] = value

    return mutate


def _add_principal(frames):
    frames["校园长"] = frame(
        "principals", [{"year": 2025, "school_id": school_id("21", 1), "birth_year": 1940, "post_start_year": 2020}]
    )


def _extra_sheet(frames):
    frames["汇总"] = pd.DataFrame({"合计": ["1"]})


def _unknown_column(frames):
    frames["学校"]["联系电话"] = "123"


# (name, mutate, sheet, row, column): each is a 疑点 — imported, listed where it is.
WARNING_CASES = [
    (
        "exchanged_backbone_over_backbone",
        _set("学校年度", 0, "交流轮岗骨干教师数", "1"),
        "学校年度",
        2,
        "交流轮岗骨干教师数",
    ),
    ("exchanged_over_teachers", _set("学校年度", 1, "交流轮岗教师数", "12"), "学校年度", 3, "交流轮岗教师数"),
    ("eligible_over_teachers", _set("学校年度", 2, "符合交流条件教师数", "11"), "学校年度", 4, "符合交流条件教师数"),
    ("formula_like_school_name", _set("学校", 0, "学校名称", '=HYPERLINK("x")'), "学校", 2, "学校名称"),
    ("formula_like_town_name", _set("镇街", 1, "镇街名称", "@乙镇"), "镇街", 3, "镇街名称"),
    ("minus_group_name", _set("学校", 1, "教育集团", "-"), "学校", 3, "教育集团"),
    ("province_mismatch", _set("学校", 2, "学校标识码", "2198000003"), "学校", 4, "学校标识码"),
    ("nine_digit_town_code", _set("学校", 0, "区划代码", TOWN_B[:9]), "学校", 2, "区划代码"),
    ("inclusive_on_primary", _set("学校", 0, "普惠性", "是"), "学校", 2, "普惠性"),
    ("principal_aged_85", _add_principal, "校园长", 2, "出生年份"),
    ("unknown_column", _unknown_column, "学校", 1, "联系电话"),
    ("extra_sheet", _extra_sheet, "汇总", None, ""),
]


@pytest.mark.parametrize("case", WARNING_CASES, ids=[c[0] for c in WARNING_CASES])
def test_each_warning_rule_still_imports(case, tmp_path):
    name, mutate, sheet, row, column = case
    frames = _backbone(0)
    for col in ("交流轮岗教师数", "交流轮岗骨干教师数", "符合交流条件教师数", "普惠性", "教育集团"):
        for sheet_name in ("学校年度", "学校"):
            if col in frames[sheet_name].columns:
                frames[sheet_name][col] = frames[sheet_name][col].astype(object)
    mutate(frames)
    if name == "province_mismatch":  # the school's rows follow its new code
        frames["学校年度"].loc[2, "学校标识码"] = "2198000003"
    path, db = tmp_path / "w.xlsx", tmp_path / "w.duckdb"
    write_xlsx(frames, path)
    result = import_file(path, db)
    assert result.ok, [p.line() for p in result.problems.errors]
    hits = [p for p in result.problems.warnings if (p.sheet, p.row, p.column) == (sheet, row, column)]
    assert hits, [p.line() for p in result.problems.items]
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM school_years").fetchone()[0] == 5
    con.close()


def test_a_big_jump_from_last_year_is_a_warning_and_imports(tmp_path):
    db = tmp_path / "j.duckdb"
    assert import_tables(tables_from_frames(oracle_frames(2024)), db).ok
    frames = oracle_frames(2025)
    frames["学校年度"].loc[0, "在校生数"] = "90"  # 45 -> 90: +100%
    path = tmp_path / "j.xlsx"
    write_xlsx(frames, path)
    result = import_file(path, db)
    assert result.ok
    from edubalance.ingest import quality

    found = quality.findings(db, geometry=False)
    jumps = found[(found["category"] == "年度突变") & (found["object_id"] == school_id("21", 1))]
    assert jumps["value"].tolist() == ["90"]


def test_at_most_200_problems_per_rule_with_the_total(tmp_path):
    frames = oracle_frames(2025)
    base = frames["学校年度"]
    rows = pd.concat([base] * 250, ignore_index=True)  # 1250 rows, every one with negative pupils
    rows["在校生数"] = "-1"
    frames["学校年度"] = rows
    result = import_tables(tables_from_frames(frames), tmp_path / "cap.duckdb")
    assert not result.ok
    negatives = [p for p in result.problems.items if p.column == "在校生数" and "不能为负数" in p.reason]
    assert len(negatives) == MAX_PER_RULE + 1  # 200 listed and one line with the total
    assert negatives[-1].row is None and "同类问题共 1250 个，只列出前 200 个" in negatives[-1].reason
    duplicates = [p for p in result.problems.items if "重复" in p.reason]
    assert len(duplicates) == MAX_PER_RULE + 1 and "共 1245 个" in duplicates[-1].reason
    assert result.problems.total(ERROR) >= 1250 + 1245


def test_the_rule_table_in_the_docs_is_current():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "DATA.md").read_text(encoding="utf-8")
    missing = [line for line in markdown_table().splitlines() if line not in text]
    assert not missing, "docs/DATA.md: regenerate the rule table with python -m edubalance.ingest.rules\n" + "\n".join(
        missing
    )
