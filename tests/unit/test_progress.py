"""Progress toward the plan's targets: the expected-path status (edubalance/progress.py) on
crafted series, the SQL of targets_status against it, the count targets on a crafted county
(a 街道, a private and a non-standardised kindergarten, a closed boarding school…), and the
command line the outside tests use."""

from __future__ import annotations

import csv
import datetime as dt
import io
import subprocess
import sys
from pathlib import Path

import pytest

from edubalance.ingest.importer import import_tables
from edubalance.ingest.reading import tables_from_frames
from edubalance.metrics import progress
from edubalance.model.format import format_target_value, is_missing
from edubalance.store import db
from tests.support.workbooks import frame, write_xlsx

ROOT = Path(__file__).resolve().parents[2]
MET, ON, ACC, OFF, NO, LATE = (
    progress.MET,
    progress.ON_TRACK,
    progress.ACCELERATE,
    progress.OFF_TRACK,
    progress.NO_DATA,
    progress.LATE,
)
DONE, DOING, NOT_STARTED, OVERDUE = progress.DONE, progress.IN_PROGRESS, progress.NOT_STARTED, progress.OVERDUE


# ---------------------------------------------------------------------------------------------
# The method on crafted series


def status(series, goal=0.5, comparator=">=", baseline=2022, deadline=2027):
    return progress.expected_path_status(series, goal, comparator, baseline, deadline, 0.95).status


def test_goal_already_met():
    assert status([(2022, 0.3), (2024, 0.52)]) == MET
    assert status([(2024, 0.6)]) == MET  # one year is enough when the goal is met
    assert status([(2022, 4), (2024, 0)], goal=0, comparator="<=") == MET


def test_on_track():
    # needed (0.5 − 0.3) / 5 = 0.04 a year; observed (0.39 − 0.3) / 2 = 0.045 → R = 1.125
    a = progress.expected_path_status([(2022, 0.3), (2024, 0.39)], 0.5, ">=", 2022, 2027, 0.95)
    assert a.status == ON
    assert a.ratio == pytest.approx(1.125)
    assert a.needed == pytest.approx((0.5 - 0.39) / 3)
    # R just above the registry factor is still on track
    assert status([(2022, 0.3), (2024, 0.3 + 2 * 0.04 * 0.951)]) == ON


def test_too_slow():
    assert status([(2022, 0.3), (2024, 0.33)]) == ACC  # R = 0.375
    assert status([(2022, 0.3), (2024, 0.3 + 2 * 0.04 * 0.94)]) == ACC
    assert status([(2022, 0.3), (2023, 0.3), (2024, 0.3)]) == ACC  # no change: R = 0


def test_wrong_way():
    assert status([(2022, 0.3), (2024, 0.25)]) == OFF
    # for a "≤" goal, rising is the wrong way
    assert status([(2022, 0.10), (2024, 0.12)], goal=0, comparator="<=") == OFF
    # the goal was met at the baseline and is lost now
    assert status([(2022, 0.6), (2024, 0.45)]) == OFF


def test_one_year_only_is_no_data():
    assert status([(2024, 0.3)]) == NO
    assert status([]) == NO
    assert status([(2022, None), (2024, float("nan")), (2025, 0.3)]) == NO


def test_deadline_passed_without_the_goal():
    # the data reached the deadline without the goal: a final 未按期达标, whatever R or the
    # direction is
    a = progress.expected_path_status([(2022, 0.3), (2025, 0.48)], 0.5, ">=", 2022, 2025)
    assert (a.status, a.final, a.needed) == (LATE, True, None)
    assert status([(2022, 0.3), (2025, 0.31), (2026, 0.28)], deadline=2025) == LATE
    # the final verdict judges the figure at the deadline, not a later one
    assert status([(2022, 0.3), (2025, 0.4), (2026, 0.6)], deadline=2025) == LATE
    assert status([(2022, 0.3), (2025, 0.6), (2026, 0.4)], deadline=2025) == MET
    # an annual figure missing in the deadline year: no verdict on another year's figure
    assert status([(2022, 0.3), (2024, 0.6), (2026, 0.6)], deadline=2025) == NO
    # before the deadline it is a projection
    assert not progress.expected_path_status([(2022, 0.3), (2024, 0.4)], 0.5, ">=", 2022, 2025).final


def test_baseline_point_is_first_year_from_the_baseline_year():
    # 2020 is before the baseline year and ignored as a baseline
    a = progress.expected_path_status([(2020, 0.0), (2022, 0.3), (2024, 0.39)], 0.5, ">=", 2022, 2027)
    assert a.ratio == pytest.approx(1.125)
    # data only before the baseline year: the first year serves
    assert progress.baseline_point([(2019, 1.0), (2020, 2.0)], 2022) == (2019, 1.0)


def test_horizon_deadlines():
    hd = progress.horizon_deadline
    assert (hd(2023, 2025), hd(2023, 2027)) == (2023, 2027)
    assert (hd(2025, 2025), hd(2025, 2027)) == (2025, 2027)
    assert (hd(2027, 2025), hd(2027, 2027)) == (2027, 2027)
    assert (hd(None, 2025), hd(None, 2027)) == (2025, 2027)  # 持续、每学年
    assert progress.parse_deadline("每学年") is None and progress.parse_deadline(" 2025") == 2025
    # a 2025 target missed on time is 未按期达标 for 2025 and may still be on track for 2027
    s = [(2022, 0.0), (2023, 0.2), (2024, 0.4), (2025, 0.6)]
    assert progress.status_for(s, 1.0, ">=", 2022, "2025", 2025).status == LATE
    assert progress.status_for(s, 1.0, ">=", 2022, "2025", 2027).status == ON
    # a round that ends at its deadline (T21): the 2027 column repeats the 2025 verdict…
    assert hd(2025, 2027, round_ends=True, last_year=2025) == 2025
    # …unless a next round's values (after 2025) are imported
    assert hd(2025, 2027, round_ends=True, last_year=2026) == 2027


def test_task_statuses():
    as_of = progress.school_year_end(2025)
    assert as_of == dt.date(2026, 8, 31)
    assert progress.task_status("已完成", "2023", as_of) == DONE
    assert progress.task_status("推进中", "2027", as_of) == DOING
    assert progress.task_status("推进中", "2025", as_of) == OVERDUE
    assert progress.task_status("滞后", "2027", as_of) == ACC
    assert progress.task_status("滞后", "2023", as_of) == OVERDUE
    assert progress.task_status("未启动", "2027", as_of) == NOT_STARTED
    assert progress.task_status("未启动", "2025", as_of) == OVERDUE
    # past its deadline with no report at all → 逾期; not yet due and no report → 数据不足
    assert progress.task_status(None, "2023", as_of) == OVERDUE
    assert progress.task_status(None, "2027", as_of) == NO
    assert progress.task_status("推进中", "每学年", as_of) == DOING
    # the due date is 31 December of the deadline year
    assert progress.task_status("推进中", "2025", dt.date(2025, 12, 31)) == DOING
    assert progress.task_status("推进中", "2025", dt.date(2026, 1, 1)) == OVERDUE


def test_on_track_factor_comes_from_the_registry():
    assert progress.on_track_ratio() == pytest.approx(0.95)


def test_formatting():
    assert format_target_value(0.4523, "比例") == "45.2%"
    assert format_target_value(3.0, "所") == "3 所"
    assert progress.format_goal(">=", 0.5, "比例") == "≥ 50.0%"
    assert progress.format_path(0.0476, 2027, "比例") == "每年 +4.8 个百分点，至2027年"
    assert progress.format_path(None, 2027, "比例") == ""
    assert progress.split_owner("市教育局、各镇（街）") == ["市教育局", "各镇（街）"]


# ---------------------------------------------------------------------------------------------
# A crafted county: one 街道 and five 镇 with known answers for the count targets

# Kaiping's code: the crafted workbooks exercise Kaiping's plan (data/plans/440783/targets.csv);
# a county without a plan of its own is held to the common targets G1–G7 only.
COUNTY = "440783"
TOWN = {k: COUNTY + c for k, c in dict(A="001000", B="101000", C="102000", D="103000", E="104000", F="105000").items()}
YEARS = (2024, 2025)


def _school(sid, name, town, kind, own="公办", ur="220", **kw):
    return {"school_id": sid, "school_name": name, "town_code": TOWN[town], "school_type": kind, "ownership": own,
            "ur_code": ur, **kw}  # fmt: skip


def _row(year, sid, stage, students, **kw):
    classes = 0 if students == 0 else max(1, students // 30)
    return {"year": year, "school_id": sid, "stage": stage, "students": students, "classes": classes,
            "band_26_30": classes, "teachers": max(1, students // 15), **kw}  # fmt: skip


def crafted_frames(extra_schools=()) -> dict:
    towns = [
        {"town_code": TOWN["A"], "town_name": "甲街道", "town_kind": "街道"},
        {"town_code": TOWN["B"], "town_name": "乙镇", "town_kind": "镇"},
        {"town_code": TOWN["C"], "town_name": "丙镇", "town_kind": "镇"},
        {"town_code": TOWN["D"], "town_name": "丁镇", "town_kind": "镇"},
        {"town_code": TOWN["E"], "town_name": "戊镇", "town_kind": "镇"},
        {"town_code": TOWN["F"], "town_name": "己镇", "town_kind": "镇"},
    ]
    yes, no = "是", "否"
    schools = [
        # 甲街道: urban schools, no boarding school (a 街道 is not required to have one)
        _school("2199000006", "甲街道小学", "A", "小学", ur="111", is_boarding=no),
        _school(
            "1199000006",
            "甲街道第一幼儿园",
            "A",
            "幼儿园",
            ur="111",
            inclusive=yes,
            is_central=yes,
            is_standardized=yes,
        ),
        _school("1199000007", "甲街道第二幼儿园", "A", "幼儿园", ur="111", inclusive=yes),
        _school("3499000008", "甲街道第一中学", "A", "高级中学", ur="111", is_boarding=yes),
        _school("3499000010", "甲街道第二中学", "A", "高级中学", ur="111"),
        # 乙镇: a public boarding school and a 规范化公办中心幼儿园 → both met
        _school("2199000001", "乙镇中心小学", "B", "小学", ur="121", is_boarding=yes, is_central=yes),
        _school(
            "1199000001", "乙镇中心幼儿园", "B", "幼儿园", ur="210", inclusive=yes, is_central=yes, is_standardized=yes
        ),
        _school("1199000011", "乙镇村幼儿园", "B", "幼儿园", ur="220", inclusive=yes),
        # 丙镇: the boarding school and the central kindergarten are private → neither counts
        _school("3199000002", "丙镇实验学校", "C", "初级中学", own="民办", ur="121", is_boarding=yes),
        _school(
            "1199000002",
            "丙镇童心幼儿园",
            "C",
            "幼儿园",
            own="民办",
            ur="210",
            inclusive=yes,
            is_central=yes,
            is_standardized=yes,
        ),
        _school("3499000009", "丙镇中学", "C", "高级中学", ur="121"),
        # 丁镇: the boarding school closed in 2025; the central kindergarten is not 规范化
        _school(
            "2199000003", "丁镇中心小学", "D", "小学", ur="121", is_boarding=yes, opened_year=1990, closed_year=2025
        ),
        _school(
            "1199000003", "丁镇中心幼儿园", "D", "幼儿园", ur="210", inclusive=yes, is_central=yes, is_standardized=no
        ),
        # 戊镇: a public boarding 九年一贯制; its 规范化 public kindergarten is not the central one
        _school("3199000004", "戊镇学校", "E", "九年一贯制学校", ur="121", is_boarding=yes),
        _school("1199000004", "戊镇幼儿园", "E", "幼儿园", ur="210", inclusive=yes, is_central=no, is_standardized=yes),
        # 己镇: the boarding school has no pupils any more; a 规范化公办中心幼儿园
        _school("2199000005", "己镇小学", "F", "小学", ur="220", is_boarding=yes),
        _school(
            "1199000005", "己镇中心幼儿园", "F", "幼儿园", ur="210", inclusive=yes, is_central=yes, is_standardized=yes
        ),
        *extra_schools,
    ]
    years = []
    for y in YEARS:
        years += [
            _row(y, "2199000006", "小学", 900),
            _row(y, "1199000006", "学前", 300),
            _row(y, "1199000007", "学前", 240),
            _row(y, "3499000008", "高中", 1500),
            _row(y, "3499000010", "高中", 1200),
            _row(y, "2199000001", "小学", 600, boarders=120),
            _row(y, "1199000001", "学前", 200),
            _row(y, "1199000011", "学前", 60),
            _row(y, "3199000002", "初中", 500, boarders=200),
            _row(y, "1199000002", "学前", 150),
            _row(y, "3499000009", "高中", 800),
            _row(y, "1199000003", "学前", 120),
            _row(y, "3199000004", "小学", 300, boarders=40),
            _row(y, "3199000004", "初中", 200, boarders=60),
            _row(y, "1199000004", "学前", 90),
            _row(y, "2199000005", "小学", 80 if y == 2024 else 0),
            _row(y, "1199000005", "学前", 100),
        ]
    years.append(_row(2024, "2199000003", "小学", 400, boarders=50))  # closed from 2025
    designations = [
        {"kind": "城区优质公办幼儿园", "school_id": "1199000006", "since_year": 2024},
        {"kind": "城区优质公办幼儿园", "school_id": "1199000007", "since_year": 2024},
        # 第一幼儿园: three partners outside 城区 → met
        *[
            {"kind": "幼儿园结对帮扶", "school_id": "1199000006", "partner_school_id": p, "since_year": 2024}
            for p in ("1199000001", "1199000003", "1199000004")
        ],  # fmt: skip
        # 第二幼儿园: two rural partners and an urban one (does not count) → not met
        *[
            {"kind": "幼儿园结对帮扶", "school_id": "1199000007", "partner_school_id": p, "since_year": 2024}
            for p in ("1199000011", "1199000005", "1199000006")
        ],  # fmt: skip
        {"kind": "优质高中", "school_id": "3499000008", "since_year": 2024},
        {"kind": "优质高中", "school_id": "3499000010", "since_year": 2024},
        {"kind": "高中托管帮扶", "school_id": "3499000008", "partner_school_id": "3499000009", "since_year": 2025},
        {"kind": "学区化管理", "town_code": TOWN["B"], "since_year": 2024},
        {"kind": "学区化管理", "town_code": TOWN["C"], "since_year": 2025},
        # T7 needs 走教 too: 乙镇 has both, 丙镇 学区化管理 only
        {"kind": "学区教师走教", "town_code": TOWN["B"], "since_year": 2024},
    ]
    facts = [
        # T21 三名工作室: all 50 of the round active in 2025 → met
        (2022, "sanming_studios_active", 45), (2025, "sanming_studios_active", 50),
        # T13 培训 (≥ 2, every year): flat at 1 → missed in 2025, too slow for 2027
        (2024, "rural_training_per_term", 1), (2025, "rural_training_per_term", 1),
        # T14 教研参与 (≥ 0.8, every year): falling → wrong way
        (2024, "small_school_research_share", 0.7), (2025, "small_school_research_share", 0.6),
        # T15 轮岗 (≥ 1, ongoing): one year below the goal → no data
        (2025, "new_rural_teacher_rotation_share", 0.5),
        # T11 工资 (≥ 1): one year, met
        (2025, "teacher_avg_pay", 110_000), (2025, "civil_servant_avg_pay", 100_000),
        # T12 教研员 5 年 30 次 = 6 a year (city average): 4, 5, 5.5 → missed in 2025; for 2027
        # observed +0.75 a year against +0.5 needed (6 − 4 over 2023→2027) → on track
        (2023, "researcher_rural_visits", 4), (2024, "researcher_rural_visits", 5), (2025, "researcher_rural_visits", 5.5),
    ]  # fmt: skip
    tasks = [
        {"target_id": "Q1", "updated_on": "2024-03-01", "status": "推进中"},  # due 2023 → 逾期
        {"target_id": "Q2", "updated_on": "2025-05-01", "status": "已完成"},
        {"target_id": "Q3", "updated_on": "2025-05-01", "status": "滞后"},
        {"target_id": "Q4", "updated_on": "2025-05-01", "status": "未启动"},
        {"target_id": "Q6", "updated_on": "2025-05-01", "status": "推进中"},
        {"target_id": "Q6", "updated_on": "2026-09-15", "status": "已完成"},  # after the school year: ignored
    ]
    return {
        "镇街": frame("towns", towns),
        "学校": frame("schools", schools),
        "学校年度": frame("school_years", years),
        "市级年度": frame("city_facts", [{"year": y, "key": k, "value": v} for y, k, v in facts]),
        "认定与结对": frame("designations", designations),
        "任务进展": frame("task_progress", tasks),
    }


@pytest.fixture(scope="module")
def crafted_db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("crafted") / "crafted.duckdb"
    result = import_tables(tables_from_frames(crafted_frames()), path)
    assert result.ok, [p.line() for p in result.problems.errors]
    return path


@pytest.fixture(scope="module")
def crafted_status(crafted_db):
    return db.run("targets_status", {"year": 2025}, db=crafted_db)


def rows(status, target_id):
    d = status[status["target_id"] == target_id]
    return dict(zip(d["scope_name"], zip(d["status_2025"], d["status_2027"])))


def test_boarding_school_in_every_zhen(crafted_status):
    got = rows(crafted_status, "T2")
    assert set(got) == {"乙镇", "丙镇", "丁镇", "戊镇", "己镇"}  # no row for 甲街道
    assert {k for k, (s25, _) in got.items() if s25 == MET} == {"乙镇", "戊镇"}
    # the 2025 deadline is reached: the 2025 column is final
    assert got["丁镇"] == (LATE, OFF)  # had one in 2024, closed in 2025
    assert got["己镇"] == (LATE, OFF)  # its boarding school has no pupils any more
    assert got["丙镇"] == (LATE, ACC)  # only a private one, in both years


def test_central_kindergarten_in_every_zhen(crafted_status):
    got = rows(crafted_status, "T3")
    assert set(got) == {"乙镇", "丙镇", "丁镇", "戊镇", "己镇"}
    assert {k for k, (s25, _) in got.items() if s25 == MET} == {"乙镇", "己镇"}


def test_pairing_targets(crafted_status):
    # 持续: the 2025 column judges the 2025 figure (final), 2027 is a projection
    assert rows(crafted_status, "T18") == {"甲街道第一幼儿园": (MET, MET), "甲街道第二幼儿园": (LATE, ACC)}
    d = crafted_status[crafted_status["target_id"] == "T18"].set_index("scope_code")
    assert d.loc["1199000007", "value"] == 2  # the urban partner does not count
    t20 = rows(crafted_status, "T20")
    assert t20["甲街道第一中学"] == (MET, MET)
    assert t20["甲街道第二中学"][0] != MET


def test_district_management_per_zhen(crafted_status):
    got = rows(crafted_status, "T7")
    # both 学区化管理 and 学区教师走教 are needed
    assert {k for k, (s, _) in got.items() if s == MET} == {"乙镇"}


def test_city_fact_targets(crafted_status):
    st = crafted_status.set_index("target_id")
    assert tuple(st.loc["T21", ["status_2025", "status_2027"]]) == (MET, MET)
    assert st.loc["T21", "value"] == 50
    # annual and 持续 targets: the 2025 column is the final verdict on the 2025 figure
    assert tuple(st.loc["T13", ["status_2025", "status_2027"]]) == (LATE, ACC)
    assert tuple(st.loc["T14", ["status_2025", "status_2027"]]) == (LATE, OFF)
    assert tuple(st.loc["T15", ["status_2025", "status_2027"]]) == (LATE, NO)
    assert st.loc["T13", "overdue_since"] == 2025 and st.loc["T13", "final_2025"] and not st.loc["T13", "final_2027"]
    assert tuple(st.loc["T11", ["status_2025", "status_2027"]]) == (MET, MET)
    assert st.loc["T11", "value"] == pytest.approx(1.1)
    assert tuple(st.loc["T12", ["status_2025", "status_2027"]]) == (LATE, ON)
    assert st.loc["T12", "value"] == pytest.approx(5.5)  # the city average, against 6 a year
    assert st.loc["T12", "goal"] == 6
    assert st.loc["T12", "ratio_2027"] == pytest.approx(0.75 / 0.5)
    # every county-level row has the county code
    assert st.loc["T21", "scope_code"] == COUNTY


def test_qualitative_tasks(crafted_status):
    st = crafted_status.set_index("target_id")
    assert st.loc["Q1", "status_2025"] == OVERDUE and st.loc["Q1", "overdue_since"] == 2023
    assert st.loc["Q2", "status_2025"] == DONE
    assert st.loc["Q3", "status_2025"] == ACC
    assert st.loc["Q4", "status_2025"] == NOT_STARTED
    assert st.loc["Q5", "status_2025"] == NO  # no progress row, not yet due
    assert st.loc["Q6", "status_2025"] == DOING and st.loc["Q6", "task_status"] == "推进中"
    as_of = progress.school_year_end(2025)
    for r in crafted_status[crafted_status["kind"] == "qualitative"].itertuples():
        latest = None if is_missing(r.task_status) else r.task_status
        assert progress.task_status(latest, r.deadline, as_of) == r.status_2025 == r.status_2027, r.target_id


def test_every_registry_target_has_a_row(crafted_status):
    from edubalance.model import registry

    assert set(registry.targets()["target_id"]) == set(crafted_status["target_id"])
    assert set(crafted_status["status_2025"]) <= set(progress.STATUS_ORDER)


def test_a_listed_school_without_yearly_rows_counts_while_open(tmp_path):
    # A school in 学校 with no 学校年度 rows at all is taken as operating while open (a workbook
    # may list its schools before their statistics arrive); one that reports pupils in some
    # years only does not operate in the others.
    extra = _school(
        "1199000099", "丙镇中心幼儿园", "C", "幼儿园", ur="210", inclusive="是", is_central="是", is_standardized="是"
    )
    path = tmp_path / "x.duckdb"
    assert import_tables(tables_from_frames(crafted_frames([extra])), path).ok
    assert rows(db.run("targets_status", {"year": 2025}, db=path), "T3")["丙镇"][0] == MET


# ---------------------------------------------------------------------------------------------
# SQL and Python agree


def _check_against_python(status):
    from edubalance.model import registry

    theta = progress.on_track_ratio()
    round_ends = dict(zip(registry.targets()["target_id"], registry.targets()["round_ends"] == "是"))
    checked = 0
    for r in status[status["kind"] != "qualitative"].itertuples():
        series = list(zip(progress._as_list(r.series_years), progress._as_list(r.series_values)))
        found = {}
        for h in progress.HORIZONS:
            a = progress.status_for(
                series, r.goal, r.comparator, r.baseline_year, r.deadline, h, theta, round_ends[r.target_id]
            )
            found[h] = a
            assert a.status == getattr(r, f"status_{h}"), (r.target_id, r.scope_code, h, series)
            assert a.final == bool(getattr(r, f"final_{h}")), (r.target_id, r.scope_code, h)
            sql_ratio = getattr(r, f"ratio_{h}")
            if a.ratio is None:
                assert is_missing(sql_ratio)
            else:
                assert sql_ratio == pytest.approx(a.ratio)
            checked += 1
        deadlines = {h: getattr(r, f"deadline_{h}") for h in progress.HORIZONS}
        since = progress.overdue_since(found, deadlines)
        assert (None if is_missing(r.overdue_since) else r.overdue_since) == since, r.target_id
        met = progress.met_year(series, r.goal, r.comparator) if series else None
        assert (None if is_missing(r.met_year) else r.met_year) == met, (r.target_id, r.scope_code)
    return checked


def test_sql_matches_python_on_crafted_data(crafted_status):
    assert _check_against_python(crafted_status) > 20


def test_sql_matches_python_on_demo_data(demo_db):
    for year in (2023, 2026):
        status = db.run("targets_status", {"year": year}, db=demo_db)
        assert _check_against_python(status) > 300
        assert set(status["status_2025"]) | set(status["status_2027"]) >= {MET, ON, ACC, OFF}


def test_rollup(crafted_status):
    s = progress.rollup(crafted_status).set_index("target_id")
    assert s.loc["T2", "units"] == 5 and s.loc["T2", "missing_2025"] == 3
    assert s.loc["T2", "status_2025"] == LATE  # the worst unit status speaks for the target
    assert progress.missing_units(crafted_status)["T3"] == ["丙镇", "丁镇", "戊镇"]
    counts = progress.status_counts(s.reset_index())
    assert int(counts["2025"].sum()) == len(s)


# ---------------------------------------------------------------------------------------------
# The command line the outside tests rely on


def test_cli_targets_status_marks_exactly_the_zhen_lacking(tmp_path):
    book = tmp_path / "other_county.xlsx"
    write_xlsx(crafted_frames(), book)
    dbfile = tmp_path / "cli.duckdb"
    run = [sys.executable, "-m", "edubalance"]
    built = subprocess.run([*run, "build", "--db", str(dbfile), "--from", str(book)], cwd=ROOT, capture_output=True)
    assert built.returncode == 0, built.stderr.decode()
    out = subprocess.run(
        [*run, "query", "targets_status", "--db", str(dbfile), "--param", "year=2025", "--format", "csv"],
        cwd=ROOT,
        capture_output=True,
    )
    assert out.returncode == 0, out.stderr.decode()
    table = list(csv.DictReader(io.StringIO(out.stdout.decode("utf-8"))))
    assert {"target_id", "scope_code", "value", "goal", "deadline", "status_2025", "status_2027"} <= set(table[0])
    for target, ok, lacking in (
        ("T2", {"B", "E"}, {"C", "D", "F"}),
        ("T3", {"B", "F"}, {"C", "D", "E"}),
    ):
        got = {r["scope_code"]: r["status_2025"] for r in table if r["target_id"] == target}
        assert set(got) == {TOWN[k] for k in ok | lacking}
        assert {c for c, s in got.items() if s == MET} == {TOWN[k] for k in ok}
        assert {c for c, s in got.items() if s != MET} == {TOWN[k] for k in lacking}
