"""The targets measured as the plan words them (issue 12): a worked example per corrected
target on small hand-made workbooks, the final verdict at a deadline (未按期达标, met_year,
overdue_since), the task words, the per-town tasks, the registry's plan columns, the demo's
story and the acceptance test through the command line."""

from __future__ import annotations

import csv
import io
from contextlib import redirect_stdout
from pathlib import Path

import duckdb
import pytest

from edubalance.cli import main
from edubalance.ingest.importer import import_tables
from edubalance.ingest.reading import tables_from_frames
from edubalance.metrics import progress
from edubalance.model import registry
from edubalance.store import db
from tests.support.workbooks import frame

MET, LATE, ON, ACC, OFF, NO = (
    progress.MET,
    progress.LATE,
    progress.ON_TRACK,
    progress.ACCELERATE,
    progress.OFF_TRACK,
    progress.NO_DATA,
)
# Kaiping's code: these workbooks exercise Kaiping's plan (data/plans/440783/targets.csv); a
# county without a plan of its own is held to the common targets G1–G7 only.
COUNTY = "440783"
ZHEN = {k: COUNTY + c for k, c in dict(B="101000", C="102000", D="103000", E="104000").items()}
NAMES = {"B": "乙镇", "C": "丙镇", "D": "丁镇", "E": "戊镇"}


def towns() -> list[dict]:
    return [{"town_code": ZHEN[k], "town_name": NAMES[k], "town_kind": "镇"} for k in ZHEN]


def school(sid, name, town="B", kind="小学", ur="220", **kw) -> dict:
    return {"school_id": sid, "school_name": name, "town_code": ZHEN[town], "school_type": kind, "ownership": "公办",
            "ur_code": ur, **kw}  # fmt: skip


def seg(year, sid, stage="小学", students=300, classes=10, **kw) -> dict:
    return {"year": year, "school_id": sid, "stage": stage, "students": students, "classes": classes,
            "band_36_40": classes if students else 0, "teachers": max(1, students // 15), **kw}  # fmt: skip


def build(tmp_path: Path, name: str = "w", **sheets) -> Path:
    """Import a workbook given as {sheet key: rows} (towns default to the four 镇)."""
    sheets.setdefault("towns", towns())
    zh = {"towns": "镇街", "schools": "学校", "school_years": "学校年度", "principals": "校园长",
          "city_facts": "市级年度", "designations": "认定与结对", "task_progress": "任务进展",
          "researchers": "教研员"}  # fmt: skip
    path = tmp_path / f"{name}.duckdb"
    result = import_tables(tables_from_frames({zh[k]: frame(k, rows) for k, rows in sheets.items()}), path)
    assert result.ok, [p.line() for p in result.problems.errors]
    return path


def status(path: Path, year: int):
    return db.run("targets_status", {"year": year}, db=path)


def one(st, target_id: str, scope_name: str | None = None) -> dict:
    rows = st[st["target_id"] == target_id]
    if scope_name is not None:
        rows = rows[rows["scope_name"] == scope_name]
    assert len(rows) == 1, (target_id, scope_name, len(rows))
    return rows.iloc[0].to_dict()


# ---------------------------------------------------------------------------------------------
# The registry carries the plan


def test_every_registry_row_carries_the_plans_section_deadline_and_owners():
    t = registry.targets()
    for col in ("plan_clause", "wording", "deadline", "deadline_note", "owner", "owner_note", "measure_note"):
        assert (t[col] != "").all(), col
    for r in t.itertuples():
        # the plan's own deadline, or the note that it gives none, tagged [D]
        assert "方案原文" in r.deadline_note or "方案未明示（按规划期末2027年评估）[D]" in r.deadline_note, r.target_id
        # owners from the annex, or our reading tagged [D]
        assert r.owner_note.endswith("所列责任单位") or "[D]" in r.owner_note, r.target_id
    by_id = t.set_index("target_id")
    for tid in ("T22", "Q4", "Q5", "Q14", "Q15", "Q16", "Q28"):
        assert "[D]" in by_id.loc[tid, "owner_note"], tid
    assert "市财政局" in by_id.loc["T22", "owner"]
    # the plan gives no deadline for these: assumed 2027, and said so
    for tid in ("T17", "T19", "T20", "T23"):
        assert by_id.loc[tid, "deadline"] == "2027" and "[D]" in by_id.loc[tid, "deadline_note"]
    # T1 has no 2023 deadline (that is Q1's); T17/T23 are 2 each
    assert by_id.loc["T1", "deadline"] != "2023" and by_id.loc["Q1", "deadline"] == "2023"
    assert (by_id.loc["T17", "goal"], by_id.loc["T23", "goal"]) == ("2", "2")
    assert "部分可测" in by_id.loc["T6", "measure_note"] and "96" in by_id.loc["T6", "measure_note"]
    assert "只测一半" in by_id.loc["T11", "measure_note"]
    assert "平均" in by_id.loc["T12", "measure_note"] and by_id.loc["T12", "goal"] == "6"
    kinds = set(registry.designation_kinds()["kind"])
    assert {"融合教育示范区", "融合教育示范校", "学区教师走教"} <= kinds
    # the new inputs are city keys a workbook may carry (市级年度 rejects unknown keys)
    for tid in ("T21", "T24", "T25"):
        assert by_id.loc[tid, "indicator_key"] in registry.city_keys(), tid


def test_registry_ids_keep_their_meaning():
    t = registry.targets().set_index("target_id")
    assert t.loc["T6", "indicator_key"] == "plan_four_items"  # the plan's four items, not 6 of 7
    assert t.loc["T17", "indicator_key"] == "designation:示范引领初中培育"
    assert t.loc["T23", "indicator_key"] == "designation:示范引领高中培育"
    assert t.loc["T21", "round_ends"] == "是"


# ---------------------------------------------------------------------------------------------
# Worked examples


def test_t10_a_principal_aged_exactly_45_counts(tmp_path):
    # 2025 − 1980 = 45 → counts (“45岁以下” includes 45); 2025 − 1979 = 46 → does not
    schools = [school("2199000001", "甲小学"), school("2199000002", "乙小学"), school("2199000003", "丙小学")]
    years = [seg(2025, s["school_id"]) for s in schools]
    principals = [
        {"year": 2025, "school_id": "2199000001", "birth_year": 1980, "post_start_year": 2020},
        {"year": 2025, "school_id": "2199000002", "birth_year": 1979, "post_start_year": 2020},
        {"year": 2025, "school_id": "2199000003", "birth_year": 1990, "post_start_year": 2024},
    ]
    path = build(tmp_path, schools=schools, school_years=years, principals=principals)
    t10 = one(status(path, 2025), "T10")
    assert t10["value"] == pytest.approx(2 / 3)
    listed = db.run("principals_list", {"year": 2025}, db=path).set_index("school_id")
    assert listed.loc["2199000001", "under_age"] and not listed.loc["2199000002", "under_age"]


def test_t9_counts_only_unexplained_tenures_and_lists_everyone_over_10_years(tmp_path):
    schools = [school(f"219900000{i}", f"小学{i}") for i in (1, 2, 3)]
    years = [seg(y, s["school_id"]) for y in (2024, 2025) for s in schools]
    principals = []
    for y in (2024, 2025):
        principals += [
            # 14 years in post, explained from 2025
            {"year": y, "school_id": "2199000001", "birth_year": 1970, "post_start_year": 2011,
             "principal_name": "关志强", "note": "已列入交流计划" if y == 2025 else None},
            # 12 years in 2025, never explained
            {"year": y, "school_id": "2199000002", "birth_year": 1972, "post_start_year": 2013, "principal_name": "谢丽萍"},
            # exactly 10 years in 2025: not over the limit
            {"year": y, "school_id": "2199000003", "birth_year": 1975, "post_start_year": 2015},
        ]  # fmt: skip
    path = build(tmp_path, schools=schools, school_years=years, principals=principals)
    t9 = one(status(path, 2025), "T9")
    assert list(t9["series_values"]) == [2.0, 1.0]
    assert t9["value"] == 1 and t9["status_2025"] == LATE  # one over 10 years without a note
    over = db.run("principals_list", {"year": 2025}, db=path)
    over = over[over["over_tenure"]].set_index("school_id")
    assert set(over.index) == {"2199000001", "2199000002"}
    assert over.loc["2199000001", "note"] == "已列入交流计划" and over.loc["2199000002", "principal_name"] == "谢丽萍"


def test_t17_and_t23_four_junior_and_no_senior_schools(tmp_path):
    schools = [school(f"319900000{i}", f"初中{i}", kind="初级中学", ur="121") for i in (1, 2, 3, 4)]
    years = [seg(2025, s["school_id"], "初中") for s in schools]
    designations = [{"kind": "示范引领初中培育", "school_id": s["school_id"], "since_year": 2024} for s in schools]
    path = build(tmp_path, schools=schools, school_years=years, designations=designations)
    st = status(path, 2025)
    t17, t23 = one(st, "T17"), one(st, "T23")
    assert (t17["value"], t17["goal"], t17["status_2025"]) == (4, 2, MET)
    assert (t23["value"], t23["goal"]) == (0, 2) and t23["status_2025"] != MET


def test_t21_48_active_studios_of_50(tmp_path):
    facts = [
        {"year": 2023, "key": "sanming_studios_active", "value": 46},
        {"year": 2025, "key": "sanming_studios_active", "value": 48},
        *[{"year": y, "key": "sanming_studios", "value": 50} for y in (2023, 2025)],
    ]
    schools = [school("2199000001", "甲小学")]
    years = [seg(y, "2199000001") for y in (2023, 2025, 2026)]
    path = build(tmp_path, schools=schools, school_years=years, city_facts=facts)
    t21 = one(status(path, 2025), "T21")
    assert (t21["value"], t21["goal"]) == (48, 50)
    assert t21["status_2025"] == LATE and t21["overdue_since"] == 2025
    # the round ends in 2025: with 2026 data the 2027 column repeats the 2025 verdict
    t21 = one(status(path, 2026), "T21")
    assert (t21["status_2025"], t21["status_2027"], t21["deadline_2027"]) == (LATE, LATE, 2025)


def test_t6_the_plans_four_items_per_school(tmp_path):
    # 小学 standards: 4.5 m² teaching and 7.5 m² sports space per pupil; music and art rooms
    # each ≥ ceil(classes / 12)
    schools = [school(f"219900000{i}", f"小学{i}") for i in (1, 2, 3, 4)]
    base = dict(students=240, teaching_area_m2=1200, sports_area_m2=2000)  # 5.0 and 8.33 m²
    years = [
        seg(2025, "2199000001", classes=13, music_rooms=2, art_rooms=2, **base),  # all four
        seg(2025, "2199000002", classes=13, music_rooms=2, art_rooms=1, **base),  # 13 classes need 2 art rooms
        seg(2025, "2199000003", classes=12, music_rooms=1, art_rooms=1,
            students=240, teaching_area_m2=1000, sports_area_m2=2000),  # 4.17 m² < 4.5
        seg(2025, "2199000004", classes=12, **base),  # rooms not reported: no verdict
    ]  # fmt: skip
    path = build(tmp_path, schools=schools, school_years=years)
    st = status(path, 2025)
    got = {r["scope_code"]: r["value"] for r in st[st["target_id"] == "T6"].to_dict("records")}
    assert got == {"2199000001": 1.0, "2199000002": 0.0, "2199000003": 0.0}


def test_t1_zero_pupil_rural_schools_with_a_recorded_decision(tmp_path):
    schools = [
        school("2199000001", "甲教学点", kind="教学点", parent_school_id="2199000009",
               zero_pupil_decision="撤并", decision_year=2025, decision_note="并入中心小学"),
        school("2199000002", "乙教学点", kind="教学点", parent_school_id="2199000009"),
        school("2199000009", "中心小学", ur="121"),
        school("2199000003", "城区空校", ur="111"),  # not rural: not T1's concern
    ]  # fmt: skip
    years = [seg(y, sid, students=0, classes=0) for y in (2024, 2025) for sid in ("2199000001", "2199000002")]
    years += [seg(y, sid) for y in (2024, 2025) for sid in ("2199000009",)]
    years += [seg(2025, "2199000003", students=0, classes=0)]
    path = build(tmp_path, schools=schools, school_years=years)
    st = status(path, 2025)
    t1 = {r["scope_name"]: (list(r["series_values"]), r["status_2025"]) for r in st[st["target_id"] == "T1"].to_dict("records")}  # fmt: skip
    assert t1 == {"甲教学点": ([0.0, 1.0], MET), "乙教学点": ([0.0, 0.0], LATE)}
    listed = db.run("zero_pupil_schools", {"year": 2025}, db=path).set_index("school_name")
    assert list(listed.index) == ["乙教学点", "甲教学点"]  # undecided first
    assert listed.loc["甲教学点", "decision"] == "撤并" and not listed.loc["乙教学点", "decided"]
    assert listed.loc["甲教学点", "zero_since"] == 2024


# ---------------------------------------------------------------------------------------------
# Final verdicts at a deadline


def boarding_frames(opens: int | None) -> dict:
    """乙镇 has a public boarding school from the start; 丙镇 gets one in `opens` (or never)."""
    schools = [school("2199000001", "乙镇中心小学", "B", ur="121", is_boarding="是"),
               school("2199000002", "丙镇中心小学", "C", ur="121")]  # fmt: skip
    if opens:
        schools.append(school("2199000003", "丙镇寄宿制小学", "C", ur="121", is_boarding="是", opened_year=opens))
    years = [seg(y, s["school_id"]) for y in (2023, 2024, 2025, 2026) for s in schools
             if y >= int(s.get("opened_year") or 0)]  # fmt: skip
    towns_bc = [t for t in towns() if t["town_code"] in (ZHEN["B"], ZHEN["C"])]
    return dict(towns=towns_bc, schools=schools, school_years=years)


def test_a_2025_town_target_unmet_in_2025_is_late_and_stays_late_when_met_in_2026(tmp_path):
    path = build(tmp_path, **boarding_frames(opens=2026))
    t2 = one(status(path, 2025), "T2", "丙镇")
    assert (t2["status_2025"], t2["final_2025"], t2["overdue_since"]) == (LATE, True, 2025)
    assert t2["status_2027"] == ACC and not t2["final_2027"]  # 0 → 0: no progress yet
    t2 = one(status(path, 2026), "T2", "丙镇")
    assert (t2["status_2025"], t2["status_2027"]) == (LATE, MET)  # met late: the 2025 verdict stays
    assert (t2["met_year"], t2["overdue_since"]) == (2026, 2025)
    b = one(status(path, 2026), "T2", "乙镇")
    assert (b["status_2025"], b["met_year"], b["overdue_since"]) == (MET, 2023, None)


def test_before_the_deadline_the_word_is_a_projection(tmp_path):
    path = build(tmp_path, **boarding_frames(opens=None))
    t2 = one(status(path, 2024), "T2", "丙镇")
    assert t2["status_2025"] == ACC and not t2["final_2025"]


def test_tasks_past_their_deadline_and_not_started(tmp_path):
    tasks = [
        {"target_id": "Q2", "updated_on": "2025-05-01", "status": "未启动"},
        {"target_id": "Q3", "updated_on": "2025-05-01", "status": "推进中"},
    ]
    path = build(tmp_path, schools=[school("2199000001", "甲小学")], school_years=[seg(2025, "2199000001")],
                 task_progress=tasks)  # fmt: skip
    st = status(path, 2025).set_index("target_id")
    # Q1 is due by the end of 2023 and has no report at all → 逾期, since 2023
    assert (st.loc["Q1", "status_2025"], st.loc["Q1", "overdue_since"]) == (progress.OVERDUE, 2023)
    assert st.loc["Q2", "status_2025"] == progress.NOT_STARTED
    assert st.loc["Q3", "status_2025"] == progress.IN_PROGRESS
    assert st.loc["Q4", "status_2025"] == NO  # no report, due 2027


def test_town_tasks_use_the_towns_own_report_else_the_citys(tmp_path):
    tasks = [
        {"target_id": "Q2", "updated_on": "2025-03-01", "status": "推进中", "note": "全市推进"},
        {"target_id": "Q2", "updated_on": "2025-05-01", "status": "滞后", "note": "丙镇<b>滞后</b>",
         "town_code": ZHEN["C"]},
        {"target_id": "Q3", "updated_on": "2025-05-01", "status": "已完成", "town_code": ZHEN["B"]},
    ]  # fmt: skip
    path = build(tmp_path, schools=[school("2199000001", "甲小学")], school_years=[seg(2025, "2199000001")],
                 task_progress=tasks)  # fmt: skip
    c = db.run("town_tasks", {"year": 2025, "town": ZHEN["C"]}, db=path).set_index("target_id")
    b = db.run("town_tasks", {"year": 2025, "town": ZHEN["B"]}, db=path).set_index("target_id")
    assert (c.loc["Q2", "status"], c.loc["Q2", "source"], c.loc["Q2", "note"]) == (ACC, "本镇街", "丙镇<b>滞后</b>")
    assert (b.loc["Q2", "status"], b.loc["Q2", "source"]) == (progress.IN_PROGRESS, "全市")
    assert b.loc["Q3", "status"] == progress.DONE and c.loc["Q3", "status"] == NO
    assert c.loc["Q1", "status"] == progress.OVERDUE
    # the city's row in targets_status ignores the towns' rows
    st = status(path, 2025).set_index("target_id")
    assert st.loc["Q2", "status_2025"] == progress.IN_PROGRESS and st.loc["Q3", "status_2025"] == NO


def test_a_town_row_for_an_unknown_town_is_rejected(tmp_path):
    tasks = [{"target_id": "Q2", "updated_on": "2025-03-01", "status": "推进中", "town_code": COUNTY + "999000"}]
    zh = {"镇街": frame("towns", towns()), "任务进展": frame("task_progress", tasks)}
    result = import_tables(tables_from_frames(zh), tmp_path / "x.duckdb")
    assert not result.ok and any("区划代码" in p.line() for p in result.problems.errors)


def test_a_database_made_before_the_new_columns_takes_them(tmp_path):
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute(
        "CREATE TABLE task_progress (target_id VARCHAR, updated_on DATE, status VARCHAR, note VARCHAR, owner VARCHAR)"
    )
    con.execute("INSERT INTO task_progress VALUES ('Q2', DATE '2024-01-01', '推进中', NULL, NULL)")
    con.close()
    tasks = [{"target_id": "Q3", "updated_on": "2025-05-01", "status": "推进中", "town_code": ZHEN["B"]}]
    zh = {"镇街": frame("towns", towns()), "任务进展": frame("task_progress", tasks)}
    assert import_tables(tables_from_frames(zh), path).ok
    rows = duckdb.connect(str(path), read_only=True).execute(
        "SELECT target_id, town_code FROM task_progress ORDER BY target_id").fetchall()  # fmt: skip
    assert rows == [("Q2", None), ("Q3", ZHEN["B"])]


# ---------------------------------------------------------------------------------------------
# The overall goals (T26, T27) read the same CVs as balance_cv


def test_overall_goals_count_the_14_cvs(demo_db):
    st = status(demo_db, 2026)
    now = db.run("balance_cv", {"year": 2026}, db=demo_db)
    base = db.run("balance_cv", {"year": 2022}, db=demo_db)
    assert len(now) == 14
    merged = now.merge(base, on=["stage", "indicator"], suffixes=("", "_base"))
    assert one(st, "T27")["value"] == int(now["passed"].sum())
    assert one(st, "T26")["value"] == int((merged["cv"] < merged["cv_base"]).sum())
    assert one(st, "T26")["goal"] == one(st, "T27")["goal"] == 14


# ---------------------------------------------------------------------------------------------
# The demo's story: every word is exercised


def test_demo_shows_every_status_word(demo_db):
    words = set()
    for year in (2025, 2026):
        st = status(demo_db, year)
        words |= set(st["status_2025"]) | set(st["status_2027"])
    assert words == set(progress.STATUS_ORDER)


def test_demo_story(demo_db):
    st = status(demo_db, 2026)
    t2 = one(st, "T2", "赤水镇")  # the boarding school that opens in 2026
    assert (t2["status_2025"], t2["status_2027"], t2["met_year"], t2["overdue_since"]) == (LATE, MET, 2026, 2025)
    t21 = one(st, "T21")
    assert (t21["value"], t21["status_2025"], t21["status_2027"]) == (48, LATE, LATE)
    assert one(st, "Q1")["status_2025"] == progress.OVERDUE
    assert one(st, "Q29")["status_2025"] == NO
    tasks = db.run("town_tasks", {"year": 2026, "town": one(st, "T2", "金鸡镇")["scope_code"]}, db=demo_db)
    assert "本镇街" in set(tasks["source"])


# ---------------------------------------------------------------------------------------------
# Acceptance: a county workbook with 2023—2025 data, four 镇, two lacking both


def test_acceptance_targets_status_through_the_command_line(tmp_path):
    schools, years = [], []
    for k in ZHEN:
        has = k in ("B", "C")  # 丁镇 and 戊镇 lack both
        primary = school(f"21990000{ord(k):02d}", f"{NAMES[k]}中心小学", k, ur="121",
                         is_boarding="是" if has else "否")  # fmt: skip
        kg = school(f"11990000{ord(k):02d}", f"{NAMES[k]}中心幼儿园", k, kind="幼儿园", ur="121", inclusive="是",
                    is_central="是", is_standardized="是" if has else "否")  # fmt: skip
        schools += [primary, kg]
        for y in (2023, 2024, 2025):
            years += [seg(y, primary["school_id"]), seg(y, kg["school_id"], "学前", 150, 5)]
    path = build(tmp_path, schools=schools, school_years=years)
    out = io.StringIO()
    with redirect_stdout(out):
        code = main(["query", "targets_status", "--db", str(path), "--param", "year=2025", "--format", "csv"])
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    got = {(r["target_id"], r["scope_name"]): r["status_2025"] for r in rows if r["target_id"] in ("T2", "T3")}
    assert got == {
        **{(t, NAMES[k]): "已达标" for t in ("T2", "T3") for k in ("B", "C")},
        **{(t, NAMES[k]): "未按期达标" for t in ("T2", "T3") for k in ("D", "E")},
    }


def test_researcher_rows_give_t12_t24_and_t28(tmp_path):
    def r(year, rid, hire, visits, months=0):
        return {"year": year, "researcher_id": rid, "hire_year": hire, "rural_visits": visits, "stay_months": months}

    rows = [
        # A, in post since 2018: 6 a year but only 2023—2025 reported → 18 < 6 × 5 (2021—2025)
        r(2023, "A", 2018, 6), r(2024, "A", 2018, 6), r(2025, "A", 2018, 6),
        # B, since 2024: 7 + 5 = 12 ≥ 6 × 2 → on the path
        r(2024, "B", 2024, 7), r(2025, "B", 2024, 5),
        # C, since 2023: 6 + 6 + 5 = 17 < 18; its third year ends in 2025 with 4 + 4 + 4 = 12 months of 蹲点
        r(2023, "C", 2023, 6, 4), r(2024, "C", 2023, 6, 4), r(2025, "C", 2023, 5, 4),
    ]  # fmt: skip
    path = build(tmp_path, schools=[school("2199000001", "甲小学")], school_years=[seg(2025, "2199000001")],
                 researchers=rows)  # fmt: skip
    st = status(path, 2025)
    assert one(st, "T28")["value"] == pytest.approx(1 / 3)
    assert one(st, "T24")["value"] == 1.0  # C, the only one whose three years end in 2025
    assert one(st, "T12")["value"] == pytest.approx((6 + 5 + 5) / 3)  # no city fact: the rows' average


def test_researcher_rows_are_checked(tmp_path):
    rows = [{"year": 2025, "researcher_id": "A", "hire_year": 2026, "rural_visits": 3, "stay_months": 13}]
    zh = {"镇街": frame("towns", towns()), "教研员": frame("researchers", rows)}
    result = import_tables(tables_from_frames(zh), tmp_path / "x.duckdb")
    reasons = {p.line() for p in result.problems.errors}
    assert any("入职年份晚于学年" in x for x in reasons) and any("0—12" in x for x in reasons)
