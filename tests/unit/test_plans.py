"""Plan registries per county (issue 16): the files under data/plans/, the upload of a county's
own registry (ingest/plans.py), and what an upload changes (that county only) or not (a
refused file leaves the database byte-identical)."""

from __future__ import annotations

import re
import shutil

import duckdb
import pandas as pd
import pytest

from edubalance.ingest import plans
from edubalance.ingest.problems import Problems
from edubalance.model import registry
from edubalance.store import db
from edubalance.store.history import sha256_of
from edubalance.store.paths import QUERIES_DIR
from tests.support import two_counties
from tests.support.two_counties import ENPING, KAIPING

two_county_db = two_counties.two_county_db  # the module-scoped fixture, made visible here

HEADER = "target_id,wording,indicator_key,scope,comparator,goal,deadline,kind,baseline_year,县级区划代码"
GOOD = (
    f"{HEADER}\n"
    "E1,到2027年，14项校际差异系数全部达标,cv_within_cap_count,city,>=,14,2027,count,2025,440785\n"
    "E2,每年教育经费只增不减,edu_spending,city,>=,0,每学年,ratio,,440785\n"
    "E3,2027年底前制定学前教育布局规划,,city,,,2027,qualitative,,440785\n"
    "E4,学前三年毛入园率达到85%,preschool_gross_enrolment,city,>=,0.85,2027,ratio,,440785\n"
)


@pytest.fixture
def db_copy(two_county_db, tmp_path):
    path = tmp_path / "two.duckdb"
    shutil.copy2(two_county_db, path)
    return path


def _status(path, county) -> pd.DataFrame:
    return db.run("targets_status", {"year": 2026, "county": county}, db=path)


def _lines(result) -> list[tuple]:
    return [(p.row, p.column, p.reason) for p in result.problems.errors]


def test_plan_files_are_kaiping_and_common():
    assert [p.relative_to(registry.PLANS_DIR).as_posix() for p in registry.plan_files()] == [
        "440783/targets.csv",
        "common/targets.csv",
    ]
    assert len(registry.targets(KAIPING)) == 57 and registry.targets() is not None
    assert registry.targets(ENPING)["target_id"].tolist() == [f"G{i}" for i in range(1, 8)]
    assert registry.plan_source(KAIPING) == "file" and registry.plan_source(ENPING) == "common"
    assert registry.plan_source(ENPING, uploaded=True) == "upload"


def test_common_goals_are_the_registry_standards():
    """G1–G7 hold the national standards the threshold registry holds (no second copy that
    could drift): 14 = 7 indicators × 2 stages, and 学前 85/80/50."""
    g = registry.common_targets().set_index("target_id")
    ind = registry.indicators()
    resource = ind[ind["group_zh"] == "义务教育优质均衡（资源配置）"]
    assert float(g.loc["G1", "goal"]) == 2 * len(resource) == 14
    for t, key in (("G5", "preschool_gross_enrolment"), ("G6", "preschool_inclusive_coverage"),
                   ("G7", "preschool_public_share")):  # fmt: skip
        assert float(g.loc[t, "goal"]) == registry.standard(key, "全市")
        assert g.loc[t, "comparator"] == ">="
    assert set(g["deadline"]) == {"持续"} and set(g["owner"]) == {"县级教育行政部门 [D]"}
    assert g["plan_clause"].str.contains("督导评估办法").all()


def test_every_measured_key_is_computed_by_targets_status():
    sql = (QUERIES_DIR / "targets_status.sql").read_text(encoding="utf-8")
    for key in (*plans.MEASURED_KEYS, *plans.COMMON_KEYS):
        assert re.search(rf"'{re.escape(key)}'", sql), key


@pytest.mark.parametrize("county", [KAIPING, "common"])
def test_the_shipped_registries_pass_the_upload_checks(county):
    path = registry.PLANS_DIR / county / "targets.csv"
    df, problems = plans.read_plan_file(path)
    chosen, rows = plans.validate_plan(df, ENPING, problems)
    assert problems.errors == [] and len(rows) == len(registry.targets(county))


def test_upload_replaces_one_countys_plan_only(db_copy, tmp_path):
    kaiping_before = _status(db_copy, KAIPING).to_csv(index=False)
    assert _status(db_copy, ENPING)["target_id"].drop_duplicates().tolist()[0] == "G1"
    f = tmp_path / "enping_plan.csv"
    f.write_text(GOOD, encoding="utf-8")
    result = plans.import_plan(f, db_copy, user="测试管理员")
    assert result.ok, _lines(result)
    assert (result.county, result.rows) == (ENPING, 4)
    after = _status(db_copy, ENPING)
    assert after["target_id"].tolist() == ["E1", "E2", "E3", "E4"]
    e = after.set_index("target_id")
    assert e.loc["E1", "value"] == 10  # 恩平's 10 CVs within cap (test_targets_county)
    assert e.loc["E2", "value"] == pytest.approx(51_000 / 50_000 - 1)  # 教育经费 2025 → 2026
    assert e.loc["E4", "value"] == pytest.approx(120 / 210, abs=1e-12)  # a G-only measure in an own plan
    assert e.loc["E3", "status_2027"] == "数据不足"  # no 任务进展 row yet, not yet past due
    assert _status(db_copy, KAIPING).to_csv(index=False) == kaiping_before
    con = duckdb.connect(str(db_copy), read_only=True)
    try:
        log = con.execute("SELECT action, user_name, file_name FROM import_log ORDER BY id DESC LIMIT 1").fetchone()
        stored = con.execute("SELECT county, target_id, ord FROM plan_targets ORDER BY county, ord").fetchall()
    finally:
        con.close()
    assert log == ("plan", "测试管理员", "enping_plan.csv")
    assert stored == [(ENPING, "E1", 0), (ENPING, "E2", 1), (ENPING, "E3", 2), (ENPING, "E4", 3)]
    sources = {c: set(db.run("county_plan", {"county": c}, db=db_copy)["source"]) for c in (KAIPING, ENPING)}
    assert sources == {KAIPING: {"file"}, ENPING: {"upload"}}
    # a second upload replaces the first (never appends); the form's county wins over none
    f.write_text(f"{HEADER}\nE9,新目标,teacher_pay_ratio,city,>=,1,持续,ratio,,\n", encoding="utf-8")
    again = plans.import_plan(f, db_copy, county=ENPING, user="测试管理员")
    assert again.ok, _lines(again)
    assert _status(db_copy, ENPING)["target_id"].drop_duplicates().tolist() == ["E9"]
    assert _status(db_copy, KAIPING).to_csv(index=False) == kaiping_before


def test_upload_as_xlsx(db_copy, tmp_path):
    frame = pd.read_csv(pd.io.common.StringIO(GOOD), dtype=str, keep_default_na=False)
    path = tmp_path / "plan.xlsx"
    frame.to_excel(path, index=False, sheet_name="方案目标登记表")
    result = plans.import_plan(path, db_copy, user="测试管理员")
    assert result.ok, _lines(result)
    assert _status(db_copy, ENPING)["target_id"].tolist() == ["E1", "E2", "E3", "E4"]


def test_a_bad_upload_lists_its_problems_and_changes_nothing(db_copy, tmp_path):
    sha = sha256_of(db_copy)
    f = tmp_path / "bad.csv"
    f.write_text(
        f"{HEADER}\n"
        "E1,差异系数,cv_within_cap_count,city,>=,十四,2027,count,,440785\n"  # row 2: goal not numeric
        "E1,重复编号,no_such_measure,county,=,1,2027年,ratio,22,440785\n"  # row 3: five problems
        ",,edu_spending,city,>=,0,持续,percent,,440783\n",  # row 4: empty id/wording, kind, other county
        encoding="utf-8",
    )
    result = plans.import_plan(f, db_copy, county=ENPING, user="测试管理员")
    assert not result.ok
    got = _lines(result)
    assert (2, "goal", "目标值应为数字（定性任务除外）") in got
    assert (3, "target_id", "目标编号重复（第2行已有）") in got
    assert (3, "scope", "范围应为 city、zhen、school、urban_kindergarten、quality_high_school 之一") in got
    assert (3, "comparator", "比较符应为 >= 或 <=") in got
    assert (3, "indicator_key", "看板没有这个计量指标（见方法说明的目标计量口径）") in got
    assert (3, "deadline", "期限应为年份（如 2027）或“持续”“每学年”") in got
    assert (3, "baseline_year", "基线学年应为年份或留空") in got
    assert (4, "target_id", "目标编号不能为空") in got and (4, "wording", "原文措辞不能为空") in got
    assert (4, "kind", "类型应为 bool、count、coverage、ratio、qualitative 之一") in got
    assert (4, "县级区划代码", "与所选县 440785 不一致") in got
    assert sha256_of(db_copy) == sha


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", (None, "", "文件是空的：第1行应为表头（target_id、wording、indicator_key……）")),
        ("target_id,wording\nE1,x\n", (1, "indicator_key", "缺少必填列“indicator_key”（表头应与 targets.csv 相同）")),
        (GOOD.replace("440785\n", "440785\n", 1).replace(",440785\n", ",440783\n", 1),
         (None, "县级区划代码", "文件含多个县级区划代码，一次只能上传一个县的方案")),
        (GOOD.replace(",440785", ""), (None, "县级区划代码", "请选择县（市、区）或在文件中填写“县级区划代码”")),
    ],
    ids=["empty", "missing-column", "two-counties", "no-county"],
)  # fmt: skip
def test_file_level_problems(db_copy, tmp_path, text, problem):
    sha = sha256_of(db_copy)
    f = tmp_path / "p.csv"
    f.write_text(text, encoding="utf-8")
    result = plans.import_plan(f, db_copy, user="测试管理员")
    assert not result.ok and problem in _lines(result)
    assert sha256_of(db_copy) == sha


def test_a_county_without_data_gets_a_warning_not_an_error():
    df = plans.grid_frame([row.split(",") for row in GOOD.strip().splitlines()], "p.csv", Problems())
    problems = Problems()
    chosen, rows = plans.validate_plan(df, None, problems, {KAIPING})
    assert chosen == ENPING and problems.errors == [] and len(rows) == 4
    assert [p.reason for p in problems.warnings] == ["数据库中还没有该县的数据；方案在导入该县数据后生效"]


def test_command_line_plan_import(db_copy, tmp_path, capsys):
    from edubalance.cli import main

    bad = tmp_path / "bad.csv"
    bad.write_text(f"{HEADER}\nE1,x,cv_within_cap_count,city,>=,abc,2027,count,,\n", encoding="utf-8")
    sha = sha256_of(db_copy)
    assert main(["plan", "import", str(bad), "--county", ENPING, "--db", str(db_copy)]) == 1
    assert "第2行 列“goal”：目标值应为数字" in capsys.readouterr().err
    assert sha256_of(db_copy) == sha
    good = tmp_path / "good.csv"
    good.write_text(GOOD, encoding="utf-8")
    assert main(["plan", "import", str(good), "--db", str(db_copy)]) == 0
    assert "已替换 440785 的方案目标登记表：4 项" in capsys.readouterr().out
    assert _status(db_copy, ENPING)["target_id"].tolist() == ["E1", "E2", "E3", "E4"]
