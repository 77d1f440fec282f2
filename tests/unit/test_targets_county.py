"""Targets per county (issue 16): a county without its own plan (恩平 440785 of the two-county
fixture) is held to the common targets G1–G7 only, with values worked out by hand from its
small workbook; Kaiping keeps its own plan, unchanged; county_targets and county_ranking
compare the counties on G1–G7."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from edubalance.model import registry
from edubalance.store import db
from tests.support import two_counties
from tests.support.two_counties import ENPING, KAIPING

two_county_db = two_counties.two_county_db  # the module-scoped fixture, made visible here

G = [f"G{i}" for i in range(1, 8)]
ENPING_SCHOOLS = sorted(s[0] for s in (*two_counties.PRIMARY, *two_counties.JUNIOR))

# 恩平 by hand (tests/support/two_counties.py):
# G1: the 小学/初中 CVs that exist — 5 indicators are reported (degree teachers, teaching and
#     sports area, equipment, multimedia rooms; no 骨干/体艺 teachers) × 2 stages = 10, all within
#     cap (小学 equipment 1/3 ≤ 0.50, degree 0.158; 初中 equipment 0.129, multimedia 0.051;
#     areas are 5 and 8 m² per pupil everywhere, CV 0) → 10 of 14 within cap and none over it:
#     whether all 14 are within cap cannot be told, so G1 has no value (数据不足), not a miss.
# G2: every school reports only those 5 of the 7 indicators, so none has 6 at standard → 0.
# G3: all classes in bands ≤ 41–45 (小学 cap 45, 初中 50) → 0 over-standard classes.
# G4: no class of 56+, schools of 100–400 pupils under the 2000 cap → 0 per school.
# G5: 120 children ÷ pop_age3_5 (200 in 2025, 210 in 2026); G6, G7: the one kindergarten is
#     公办 and 普惠 → 1.
BY_HAND = {
    2025: {"G3": 0.0, "G5": 120 / 200, "G6": 1.0, "G7": 1.0},
    2026: {"G3": 0.0, "G5": 120 / 210, "G6": 1.0, "G7": 1.0},
}


def _run(path, name, **params) -> pd.DataFrame:
    return db.run(name, params, db=path)


@pytest.fixture(scope="module")
def enping_status(two_county_db) -> pd.DataFrame:
    return _run(two_county_db, "targets_status", year=2026, county=ENPING)


def test_enping_is_held_to_exactly_the_common_targets(enping_status):
    assert enping_status["target_id"].drop_duplicates().tolist() == G
    assert set(enping_status["group_zh"]) == {"通用目标（国家标准）"}
    # city targets: one row for the county; school targets: one per compulsory school
    units = enping_status.groupby("target_id")["scope_code"].apply(sorted).to_dict()
    for t in ("G1", "G3", "G5", "G6", "G7"):
        assert units[t] == [ENPING]
    assert units["G2"] == ENPING_SCHOOLS and units["G4"] == ENPING_SCHOOLS


@pytest.mark.parametrize("year", [2025, 2026])
def test_enping_values_equal_the_hand_computation(two_county_db, year):
    st = _run(two_county_db, "targets_status", year=year, county=ENPING)
    city = st[st["scope_code"] == ENPING].set_index("target_id")
    for t, v in BY_HAND[year].items():
        assert city.loc[t, "value"] == pytest.approx(v, abs=1e-12), t
        assert city.loc[t, "value_year"] == year
    assert pd.isna(city.loc["G1", "value"])  # 10 of 14 CVs, none over the cap: unknown
    assert (st.loc[st["target_id"] == "G2", "value"] == 0).all()
    assert (st.loc[st["target_id"] == "G4", "value"] == 0).all()
    # the 6-of-7 rule is school_compliance's: it says the same of every 恩平 school
    sc = _run(two_county_db, "school_compliance", year=year, county=ENPING)
    assert set(sc["school_id"]) == set(ENPING_SCHOOLS) and not sc["passes_6_of_7"].any()


def test_enping_verdicts(enping_status):
    # 持续 targets: the 2025 column judges 2025's own figure (final), 2027 is a projection
    s = enping_status.drop_duplicates("target_id").set_index("target_id")
    assert s.loc["G1", "status_2025"] == "数据不足" and s.loc["G1", "status_2027"] == "数据不足"
    assert s.loc["G5", "status_2025"] == "未按期达标" and s.loc["G5", "status_2027"] == "偏离"  # 0.6 → 0.571
    for t in ("G3", "G4", "G6", "G7"):
        assert s.loc[t, "status_2025"] == "已达标" and s.loc[t, "status_2027"] == "已达标"


def test_kaiping_status_is_unchanged_by_the_second_county(demo_db, two_county_db):
    alone = _run(demo_db, "targets_status", year=2026)  # one county: the parameter may be left out
    beside = _run(two_county_db, "targets_status", year=2026, county=KAIPING)
    assert alone.to_csv(index=False) == beside.to_csv(index=False)
    assert beside["target_id"].drop_duplicates().tolist() == registry.targets(KAIPING)["target_id"].tolist()
    assert not beside["target_id"].str.startswith("G").any()


def test_ref_targets_per_county_equals_plan_rows(two_county_db):
    con = duckdb.connect(str(two_county_db), read_only=True)
    try:
        table = con.execute("SELECT * FROM ref_targets ORDER BY rowid").df()
    finally:
        con.close()
    expected = registry.plan_rows([KAIPING, ENPING])
    assert list(table.columns) == [*registry.TARGET_COLUMNS, "county", "plan_set", "ord"]
    pd.testing.assert_frame_equal(
        table.astype(str).reset_index(drop=True), expected.astype(str).reset_index(drop=True), check_dtype=False
    )
    assert table.groupby(["county", "plan_set"]).size().to_dict() == {(KAIPING, "own"): 57, (ENPING, "common"): 7}


def test_county_targets_equals_targets_status_for_enping(two_county_db, enping_status):
    ct = _run(two_county_db, "county_targets", year=2026, scope=ENPING).set_index("target_id")
    assert ct.index.tolist() == G and set(ct["county"]) == {ENPING}
    # G1 has no figure (10 of the 14 CVs reported, none over the cap): 数据不足 on both sides
    assert (ct.loc["G1", "units"], ct.loc["G1", "verdict"]) == (0, "数据不足")
    for t, rows in enping_status[enping_status["target_id"] != "G1"].groupby("target_id"):
        sgn = -1 if rows["comparator"].iloc[0] == "<=" else 1
        meets = sgn * (rows["value"] - rows["goal"]) >= -1e-9
        assert ct.loc[t, "units"] == len(rows) and ct.loc[t, "units_met"] == meets.sum(), t
        assert ct.loc[t, "verdict"] == ("已达标" if meets.all() else "未达标")
        # all-met now ⇔ the 2027 column (a projection until 2027) says 已达标
        assert meets.all() == (rows["status_2027"] == "已达标").all()
        if len(rows) == 1:
            assert ct.loc[t, "value"] == rows["value"].iloc[0]


def test_county_targets_for_kaiping_match_the_pages(two_county_db):
    ct = _run(two_county_db, "county_targets", year=2026, scope=KAIPING).set_index("target_id")
    ps = _run(two_county_db, "preschool_summary", year=2026, county=KAIPING).set_index("year").loc[2026]
    assert ct.loc["G5", "value"] == ps["gross_enrolment"]
    assert ct.loc["G6", "value"] == ps["inclusive_coverage"]
    assert ct.loc["G7", "value"] == ps["public_share"]
    # G1 counts the same 14 CVs Kaiping's own T27 counts (12 within cap in 2026)
    ts = _run(two_county_db, "targets_status", year=2026, county=KAIPING).set_index("target_id")
    assert ct.loc["G1", "value"] == ts.loc["T27", "value"] == 12
    sc = _run(two_county_db, "school_compliance", year=2026, county=KAIPING)
    per_school = sc.groupby("school_id")["passes_6_of_7"].all()
    assert (ct.loc["G2", "units"], ct.loc["G2", "units_met"]) == (len(per_school), per_school.sum())
    # G4 is T5's measure; T5 also lists schools whose latest figure is older than 2026
    t5 = _run(two_county_db, "targets_status", year=2026, county=KAIPING)
    t5 = t5[(t5["target_id"] == "T5") & (t5["value_year"] == 2026)]
    assert (ct.loc["G4", "units"], ct.loc["G4", "units_met"]) == (len(t5), (t5["value"] <= 0).sum())


@pytest.mark.parametrize(("scope", "counties"), [("", [KAIPING, ENPING]), ("4407", [KAIPING, ENPING]),
                                                 (ENPING, [ENPING]), ("4406", [])])  # fmt: skip
def test_county_queries_follow_the_scope(two_county_db, scope, counties):
    ct = _run(two_county_db, "county_targets", year=2026, scope=scope)
    assert ct["county"].drop_duplicates().tolist() == counties
    assert len(ct) == 7 * len(counties)
    assert _run(two_county_db, "county_ranking", year=2026, scope=scope)["county"].tolist() == sorted(
        counties, key=lambda c: c != ENPING
    )


def test_county_ranking(two_county_db):
    r = _run(two_county_db, "county_ranking", year=2026, scope="").set_index("county")
    # 恩平 meets G3, G4, G6, G7; 开平 G5, G6, G7
    assert r.loc[ENPING, "rank"] == 1 and r.loc[KAIPING, "rank"] == 2
    assert (r.loc[ENPING, "targets_met"], r.loc[KAIPING, "targets_met"]) == (4, 3)
    assert (r.loc[ENPING, "cvs_within_cap"], r.loc[ENPING, "cvs"]) == (10, 10)
    # the worst 恩平 CV against its cap: 小学 equipment, (1/3) ÷ 0.50
    assert r.loc[ENPING, "worst_cv_ratio"] == pytest.approx((1 / 3) / 0.5, abs=1e-12)
    assert r.loc[ENPING, "worst_indicator"] == "equipment_per_pupil" and r.loc[ENPING, "worst_stage"] == "小学"


def test_plan_source_queries(two_county_db):
    kaiping = _run(two_county_db, "county_plan", county=KAIPING)
    assert kaiping["target_id"].tolist() == registry.targets(KAIPING)["target_id"].tolist()
    assert set(kaiping["source"]) == {"file"} and set(kaiping["plan_set"]) == {"own"}
    own = _run(two_county_db, "county_plan", county=ENPING)
    assert own["target_id"].tolist() == G and set(own["source"]) == {"common"}
