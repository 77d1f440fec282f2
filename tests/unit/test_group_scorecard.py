"""group_scorecard (Q11, Q12): a member school's indicators against its core school's, before
and after it joined, on a hand-made county with known answers; a core outside the county is
named without values; and the per-member summary built from it."""

from __future__ import annotations

import pandas as pd
import pytest

from edubalance.ingest.importer import import_tables
from edubalance.ingest.reading import tables_from_frames
from edubalance.metrics import summaries
from edubalance.model.schema import SHEETS_BY_KEY
from edubalance.store import db as dbmod
from tests.support.workbooks import frame, oracle_frames, school_id

CORE, MEMBER, OUTSIDE = school_id("21", 1), school_id("21", 2), school_id("21", 4)
GROUP = "小学1教育集团"
ZHUHAI = "珠海市紫荆中学教育集团"


@pytest.fixture(scope="module")
def groups_db(tmp_path_factory):
    years = [oracle_frames(y) for y in (2022, 2023, 2024)]
    frames = dict(years[-1])
    sy = pd.concat([f["学校年度"] for f in years], ignore_index=True)
    # The member's equipment rises after it joins: 137 yuan for 37 pupils → 296 yuan in 2024.
    sy_sheet, sc_sheet = SHEETS_BY_KEY["school_years"], SHEETS_BY_KEY["schools"]
    yr, sid, eq = (sy_sheet.column(k).zh for k in ("year", "school_id", "equipment_yuan"))
    sy.loc[(sy[yr] == "2024") & (sy[sid] == MEMBER), eq] = "296"
    frames["学校年度"] = sy
    schools = frames["学校"].copy()
    group_col, sid_col = sc_sheet.column("group_name").zh, sc_sheet.column("school_id").zh
    schools.loc[schools[sid_col].isin([CORE, MEMBER]), group_col] = GROUP
    schools.loc[schools[sid_col] == OUTSIDE, group_col] = ZHUHAI
    frames["学校"] = schools
    frames["认定与结对"] = frame(
        "designations",
        [{"kind": "教育集团成员", "school_id": CORE, "partner_school_id": MEMBER, "since_year": 2023}],
    )
    db = tmp_path_factory.mktemp("groups") / "groups.duckdb"
    result = import_tables(tables_from_frames(frames), db)
    assert result.ok, [p.line() for p in result.problems.errors]
    return db


def test_member_against_core_before_and_after_joining(groups_db):
    card = dbmod.run("group_scorecard", {"year": 2024}, db=groups_db)
    eq = card[(card["member_school_id"] == MEMBER) & (card["indicator"] == "equipment_per_pupil")].iloc[0]
    assert eq["group_name"] == GROUP and eq["core_school_id"] == CORE and bool(eq["core_in_county"])
    assert eq["join_year"] == 2023 and eq["before_year"] == 2022 and eq["after_year"] == 2024
    # before: 137 / 37 = 3.7027 against the core's 279 / 45 = 6.2; after: 296 / 37 = 8.0 against 6.2
    assert eq["member_before"] == pytest.approx(137 / 37)
    assert eq["core_before"] == pytest.approx(6.2)
    assert eq["ratio_before"] == pytest.approx((137 / 37) / 6.2)  # 0.597
    assert eq["member_after"] == pytest.approx(8.0)
    assert eq["ratio_after"] == pytest.approx(8.0 / 6.2)  # 1.290
    # the core school is not listed as its own member
    assert CORE not in set(card["member_school_id"])
    # the 7 resource indicators, each once
    assert card[card["member_school_id"] == MEMBER]["indicator"].nunique() == 7


def test_core_outside_the_county_is_named_without_values(groups_db):
    card = dbmod.run("group_scorecard", {"year": 2024}, db=groups_db)
    out = card[card["member_school_id"] == OUTSIDE]
    assert set(out["core_name"]) == {"珠海市紫荆中学"}
    assert not out["core_in_county"].any()
    assert out["core_after"].isna().all() and out["ratio_after"].isna().all()
    assert out["member_after"].notna().all()  # the member's own values are shown
    assert out["before_year"].isna().all()  # no join year given: no “before”


def test_year_parameter_limits_the_after_column(groups_db):
    card = dbmod.run("group_scorecard", {"year": 2023}, db=groups_db)
    eq = card[(card["member_school_id"] == MEMBER) & (card["indicator"] == "equipment_per_pupil")].iloc[0]
    assert eq["after_year"] == 2023 and eq["member_after"] == pytest.approx(137 / 37)


def test_member_summary(groups_db):
    card = dbmod.run("group_scorecard", {"year": 2024}, db=groups_db)
    members = summaries.group_members(card).set_index("member_name")
    m = members.loc["小学2"]
    assert m["before_year"] == 2022 and m["after_year"] == 2024
    # Six indicators share the schools' inputs, so member ÷ core = 45 / 37 pupils; equipment is
    # 0.597 before and 1.290 after: the median of the seven stays 45 / 37 = 1.216.
    assert m["ratio_before"] == pytest.approx(45 / 37) and m["ratio_after"] == pytest.approx(45 / 37)
    # 小学 standards: all met but equipment (2000 yuan per pupil; 3.7 and 8.0 yuan): 6 of 7
    assert m["met_before"] == "6/7" and m["met_after"] == "6/7"
    z = members.loc["小学4"]
    assert z["core_name"] == "珠海市紫荆中学" and not z["core_in_county"] and pd.isna(z["ratio_after"])
