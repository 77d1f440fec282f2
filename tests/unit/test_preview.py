"""The import preview: worked examples on the oracle county (years, schools added, closed and
renamed, a town's move against its previous year at the 20% edge, CV and verdict changes),
the database only read, and the time on the Kaiping demo."""

import pandas as pd

from edubalance.ingest.preview import preview_tables, summary_lines
from edubalance.ingest.reading import tables_from_frames
from edubalance.store.history import sha256_of
from tests.support.workbooks import TOWN_A, TOWN_B, frame, oracle_frames, school_id


def test_what_a_resent_year_changes(oracle_db):
    before = sha256_of(oracle_db)
    frames = oracle_frames(year=2026)
    frames["学校"].loc[1, "学校名称"] = "小学2（分校）"
    frames["学校"].loc[3, "停办年份"] = "2027"
    new = frame(
        "schools",
        [
            {
                "school_id": school_id("21", 6),
                "school_name": "小学6",
                "town_code": TOWN_A,
                "school_type": "小学",
                "ownership": "公办",
                "ur_code": "111",
            }
        ],
    )
    frames["学校"] = pd.concat([frames["学校"], new], ignore_index=True)
    sy = frames["学校年度"]
    # 乙镇 (schools 1 and 2): 45 + 37 = 82 pupils in 2025; 82 * 1.2 = 98.4, so 98 stays, 99 moves.
    sy.loc[0, "在校生数"] = "61"  # 61 + 37 = 98: +19.5%, not shown
    frames["学校年度"] = sy[sy["学校标识码"] != school_id("21", 5)].reset_index(drop=True)
    pv = preview_tables(tables_from_frames(frames), oracle_db)
    assert pv.ok, [p.line() for p in pv.problems.errors]
    assert sha256_of(oracle_db) == before
    assert pv.years_added == {"学校年度": [2026]} and pv.years_replaced == {}
    assert pv.schools_added["school_id"].tolist() == [school_id("21", 6)]
    assert pv.schools_renamed.values.tolist() == [[school_id("21", 2), "小学2", "小学2(分校)", "990101"]]
    closed = dict(zip(pv.schools_closed["school_id"], pv.schools_closed["reason"]))
    assert closed == {
        school_id("21", 4): "填写了停办年份 2027",
        school_id("21", 5): "2025 学年有数据，2026 学年文件中没有",
    }
    moves = pv.town_moves.set_index(["town_code", "measure"])
    assert (TOWN_B, "在校生数") not in moves.index
    # 甲街道 lost school 5 (55 of 89 + 55 pupils): 144 -> 89, -38%; its teachers 20 -> 10, -50%.
    assert moves.loc[(TOWN_A, "在校生数"), ["previous", "current"]].tolist() == [144.0, 89.0]
    assert moves.loc[(TOWN_A, "专任教师数"), "change"] == -0.5
    # Equipment and pupils moved, so the 2026 CVs are all new (no 2026 before the import).
    assert set(pv.cv_changes["year"]) == {2026} and pv.cv_changes["cv_before"].isna().all()
    text = "\n".join(summary_lines(pv))
    assert "新增学年：学校年度 2026" in text and "小学2 → 小学2(分校)" in text


def test_a_replaced_year_names_the_cv_that_moves(oracle_db):
    frames = oracle_frames(year=2025)
    frames["学校年度"].loc[2, "教学仪器设备值"] = "2935"  # school 3: 935 -> 2935 yuan
    pv = preview_tables(tables_from_frames(frames), oracle_db, replace_years=True)
    assert pv.years_replaced == {"学校年度": [2025]} and pv.years_added == {}
    assert pv.schools_added.empty and pv.schools_closed.empty and pv.schools_renamed.empty
    assert pv.cv_changes["indicator_name"].tolist() == ["生均教学仪器设备值"]
    row = pv.cv_changes.iloc[0]
    assert row["cv_after"] > row["cv_before"] > 0


def test_an_existing_year_without_replace_is_an_error_not_a_preview(oracle_db):
    pv = preview_tables(tables_from_frames(oracle_frames(year=2025)), oracle_db)
    assert not pv.ok and pv.cv_changes.empty
    assert any("已有 2025 学年" in p.reason for p in pv.problems.errors)


def test_preview_of_the_kaiping_demo_takes_under_5_seconds(demo_db):
    from edubalance.demo.recipe import build_demo_tables

    t = build_demo_tables()
    sy = t["学校年度"]
    frames = {"镇街": t["镇街"], "学校": t["学校"], "学校年度": sy[sy["学年"] == sy["学年"].max()]}
    before = sha256_of(demo_db)
    pv = preview_tables(tables_from_frames(frames), demo_db, replace_years=True)
    assert pv.ok and pv.years_replaced == {"学校年度": [int(sy["学年"].max())]}
    assert pv.cv_changes.empty and pv.verdict_changes.empty and pv.schools_renamed.empty  # the same data
    assert pv.seconds < 5, pv.seconds
    assert sha256_of(demo_db) == before
