"""Named queries per county: 恩平 (440785) imported into the Kaiping demo database answers its
hand-computed 差异系数, Kaiping's results do not move by a byte, and a query that is not told
the county of a two-county database stops with the counties listed (exit 2)."""

from __future__ import annotations

import itertools
import subprocess
import sys

import pytest

from edubalance.report.export import export_command
from edubalance.store import db as dbmod
from edubalance.store.paths import ROOT
from tests.support import two_counties
from tests.support.two_counties import DEGREE_CV, ENPING, EQUIPMENT_CV, KAIPING

two_county_db = two_counties.two_county_db  # the module-scoped fixture, made visible here

STAGES = ["学前", "小学", "初中", "高中", "特教"]
# Global or comparison queries: no per-county page output to compare.
NOT_PER_COUNTY = {"import_history"}


def _page_runs(con, base: dict) -> dict[str, str]:
    """Every per-county named query with the pages' parameters (latest year, each stage, …) as
    CSV text, the way the CLI prints it."""
    year = int(dbmod.run("school_years_available", dict(base), con=con)["year"].max())
    town = str(dbmod.run("town_list", dict(base), con=con).iloc[0, 0])
    choices = {
        "year": [year],
        "stage": STAGES,
        "indicator": ["", "equipment_per_pupil", "senior_teachers_per_100"],
        "town": ["", town],
        "grouping": ["town", "urban_rural"],
    }
    out = {}
    for name in dbmod.list_queries():
        q = dbmod.load_query(name)
        names = [p for p, _, _ in q.params if p != "county"]
        if name in NOT_PER_COUNTY or "county" not in {p for p, _, _ in q.params}:
            continue
        for combo in itertools.product(*[choices[p] for p in names]):
            params = dict(zip(names, combo))
            df = dbmod.run(name, {**params, **base}, con=con)
            if name == "dataset_info":
                df = df.drop(columns=["last_import"])  # the 恩平 import is the last one now
            out[name + repr(sorted(params.items()))] = df.to_csv(index=False, lineterminator="\n")
    return out


def test_kaiping_results_are_byte_identical_after_the_second_county(demo_db, two_county_db):
    before_con, after_con = dbmod.connect(demo_db), dbmod.connect(two_county_db)
    try:
        before = _page_runs(before_con, {})  # one county: county left out, as today
        after = _page_runs(after_con, {"county": KAIPING})
    finally:
        before_con.close()
        after_con.close()
    assert len(before) > 200 and before.keys() == after.keys()
    changed = [k for k in before if before[k] != after[k]]
    assert not changed, changed[:10]


def _cv(df, stage, indicator):
    row = df[(df["stage"] == stage) & (df["indicator"] == indicator)]
    assert len(row) == 1, (stage, indicator, df)
    return row.iloc[0]


def test_enping_cv_equals_the_hand_computed_oracle(two_county_db):
    got = dbmod.run("balance_cv", {"county": ENPING, "year": "2025"}, db=two_county_db)
    equipment = _cv(got, "小学", "equipment_per_pupil")
    assert equipment["cv"] == pytest.approx(EQUIPMENT_CV, abs=1e-12)
    assert equipment["mean"] == pytest.approx(2400, abs=1e-9) and equipment["students"] == 500
    assert equipment["schools"] == 3
    degree = _cv(got, "小学", "degree_teachers_per100")
    assert degree["cv"] == pytest.approx(0.158114, abs=1e-6)
    assert degree["cv"] == pytest.approx(DEGREE_CV, abs=1e-12)
    # the comparison query: the same rows, for both counties at once
    both = dbmod.run("county_balance_cv", {"year": 2025, "scope": "4407"}, db=two_county_db)
    assert sorted(set(both["county"])) == [KAIPING, ENPING]
    enping = both[both["county"] == ENPING].drop(columns=["county", "county_name"]).reset_index(drop=True)
    assert enping.equals(got.reset_index(drop=True))
    assert set(both.loc[both["county"] == ENPING, "county_name"]) == {"恩平市"}
    kaiping = dbmod.run("balance_cv", {"county": KAIPING, "year": 2025}, db=two_county_db)
    mine = both[both["county"] == KAIPING].drop(columns=["county", "county_name"]).reset_index(drop=True)
    assert mine.equals(kaiping.reset_index(drop=True))
    only_primary = dbmod.run("county_balance_cv", {"year": 2025, "stage": "小学", "scope": ENPING}, db=two_county_db)
    assert set(only_primary["stage"]) == {"小学"} and set(only_primary["county"]) == {ENPING}
    assert _cv(only_primary, "小学", "equipment_per_pupil")["passed"]  # 1/3 ≤ 0.50


def test_county_list_and_scopes(two_county_db):
    listed = dbmod.run("county_list", {}, db=two_county_db)
    assert listed[["county", "county_name", "city", "city_name"]].values.tolist() == [
        [KAIPING, "开平市", "4407", "江门市"],
        [ENPING, "恩平市", "4407", "江门市"],
    ]
    enping = listed.set_index("county").loc[ENPING]
    assert (enping["towns"], enping["schools"], enping["first_year"], enping["last_year"]) == (2, 6, 2025, 2026)
    assert dbmod.run("county_list", {"scope": "44"}, db=two_county_db)["county"].tolist() == [KAIPING, ENPING]
    assert dbmod.run("county_list", {"scope": ENPING}, db=two_county_db)["county"].tolist() == [ENPING]
    assert dbmod.run("county_list", {"scope": "4406"}, db=two_county_db).empty
    with pytest.raises(dbmod.QueryError, match="scope"):
        dbmod.run("county_list", {"scope": "447"}, db=two_county_db)


def test_county_urban_rural_matches_urban_rural(two_county_db):
    got = dbmod.run("county_urban_rural", {"year": 2025, "stage": "小学", "scope": ""}, db=two_county_db)
    en = got[got["county"] == ENPING].set_index("indicator")
    # 城区 = 甲 (111), 乡村 = 丙 (220); 乙 (121) is 镇区 and in neither
    assert en.loc["equipment_per_pupil", ["urban_value", "rural_value", "gap", "rural_parity"]].tolist() == [
        2000.0,
        1000.0,
        1000.0,
        0.5,
    ]
    assert en.loc["degree_teachers_per100", ["urban_value", "rural_value"]].tolist() == [5.0, 3.0]
    assert (en["urban_students"].iloc[0], en["rural_students"].iloc[0]) == (100, 100)
    # the 7 优质均衡 resource indicators less the two the 恩平 workbook has no figures for
    assert sorted(en.index) == sorted(
        [
            "degree_teachers_per100",
            "teaching_area_per_pupil",
            "sports_area_per_pupil",
            "equipment_per_pupil",
            "multimedia_per100",
        ]
    )
    # Kaiping: the 城区 and 乡村 values of urban_rural, for the same indicators
    ur = dbmod.run("urban_rural", {"year": 2025, "stage": "小学", "county": KAIPING}, db=two_county_db)
    ur = ur.set_index(["area", "indicator"])["value"]
    ka = got[got["county"] == KAIPING].set_index("indicator")
    for ind, row in ka.iterrows():
        assert row["urban_value"] == ur[("城区", ind)] and row["rural_value"] == ur[("乡村", ind)]


def test_a_county_must_be_named_when_there_are_several(two_county_db, demo_db):
    with pytest.raises(dbmod.CountyRequired) as err:
        dbmod.run("balance_cv", {"year": 2025}, db=two_county_db)
    assert str(err.value) == (
        "查询 balance_cv 需要参数 county：数据库中有 2 个县（市、区）——440783 开平市、440785 恩平市。"
        "请用 --param county=<6位区划代码> 指定。"
    )
    with pytest.raises(dbmod.QueryError, match="数据库中没有县级区划代码 440799；库中有：440783 开平市、440785 恩平市"):
        dbmod.run("balance_cv", {"year": 2025, "county": "440799"}, db=two_county_db)
    # one county: left out, it is that county
    assert dbmod.run("dataset_info", {}, db=demo_db)["county_code"].tolist() == [KAIPING]
    assert dbmod.run("dataset_info", {"county": ENPING}, db=two_county_db)[
        ["county_code", "first_year", "last_year", "is_demo"]
    ].values.tolist() == [[ENPING, 2025, 2026, False]]  # imported into the demo file: not demo data
    assert dbmod.run("dataset_info", {"county": KAIPING}, db=two_county_db)["is_demo"].tolist() == [True]


def _cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "edubalance", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_cli_query_exit_codes(two_county_db, demo_db):
    r = _cli("query", "balance_cv", "--db", str(two_county_db), "--param", "year=2025")
    assert r.returncode == 2 and "440783 开平市" in r.stderr and "440785 恩平市" in r.stderr and not r.stdout
    r = _cli("query", "balance_cv", "--db", str(two_county_db), "--param", "year=2025", "--param", "county=4407")
    assert r.returncode == 2 and "6 位县级区划代码" in r.stderr
    r = _cli("query", "balance_cv", "--db", str(two_county_db), "--param", "year=2025", "--param", "county=440799")
    assert r.returncode == 2 and "440799" in r.stderr and "440785 恩平市" in r.stderr
    r = _cli("query", "balance_cv", "--db", str(two_county_db), "--param", "year=2025", "--param", f"county={ENPING}")
    assert r.returncode == 0 and "\n2025,小学,equipment_per_pupil," in r.stdout and "0.3333333333333333" in r.stdout
    r = _cli("query", "balance_cv", "--db", str(demo_db), "--param", "year=2025")
    assert r.returncode == 0 and r.stdout.count("\n") == 15


def test_export_needs_the_county_of_a_two_county_database(two_county_db, tmp_path, capsys):
    out = tmp_path / "x.xlsx"
    assert export_command("xlsx", str(out), db=two_county_db) == 2
    err = capsys.readouterr().err
    assert "440785 恩平市" in err and "--county <6位区划代码>" in err and not out.exists()
    assert export_command("xlsx", str(out), db=two_county_db, county="440799") == 2
    assert export_command("xlsx", str(out), db=two_county_db, county=ENPING, year=2025) == 0
    assert out.stat().st_size > 0


def test_run_each_county_stacks_the_counties(two_county_db, demo_db):
    """The whole-file checks (import preview, data quality) run a per-county query per county."""
    both = dbmod.run_each_county("preview_town_totals", db=two_county_db)
    kaiping = dbmod.run("preview_town_totals", {"county": KAIPING}, db=two_county_db)
    enping = dbmod.run("preview_town_totals", {"county": ENPING}, db=two_county_db)
    assert len(both) == len(kaiping) + len(enping) and len(enping) == 4  # 2 towns × 2 years
    assert both.iloc[len(kaiping) :].reset_index(drop=True).equals(enping)
    assert dbmod.run_each_county("preview_town_totals", db=demo_db).equals(dbmod.run("preview_town_totals", db=demo_db))
