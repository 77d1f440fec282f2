"""The derived tables (d_segments, d_indicator_values) are rebuilt by every writer, so they never
lag the data or the registries; and db.run's Arrow conversion gives the frames .df() would."""

import re
import shutil

import duckdb
import pandas as pd
import pytest

from edubalance.ingest.derive import derive
from edubalance.ingest.importer import import_file, refresh_if_outdated
from edubalance.store import db as dbmod
from edubalance.store.paths import ROOT as ROOT_DIR
from edubalance.store.paths import derived_scripts
from tests.support.workbooks import ORACLE_P, ORACLE_R, oracle_frames, school_id, write_xlsx


def _equipment(db, year):
    con = dbmod.connect(db)
    try:
        return con.execute(
            """SELECT school_id, numerator, denominator, value FROM v_indicator_values
               WHERE indicator = 'equipment_per_pupil' AND year = ? ORDER BY school_id""",
            [year],
        ).fetchall()
    finally:
        con.close()


def test_replaced_year_is_rederived(oracle_db, tmp_path):
    assert _equipment(oracle_db, 2025)[0] == (school_id("21", 1), 279.0, 45.0, 279 / 45)
    frames = oracle_frames(2025)
    sheet = frames["学校年度"]
    sheet.loc[0, "在校生数"] = "90"  # school 1 doubles its pupils
    path = tmp_path / "fix.xlsx"
    write_xlsx(frames, path)
    assert import_file(path, oracle_db, replace_years=True).ok
    got = _equipment(oracle_db, 2025)
    assert got[0] == (school_id("21", 1), 279.0, 90.0, 3.1)
    # the other four schools are untouched: R/P of the worked example
    assert [round(v, 12) for *_, v in got[1:]] == [round(r / p, 12) for r, p in zip(ORACLE_R[1:], ORACLE_P[1:])]


def test_a_year_added_later_gets_its_own_derived_rows(oracle_db, tmp_path):
    path = tmp_path / "2026.xlsx"
    write_xlsx(oracle_frames(2026), path)
    assert import_file(path, oracle_db).ok
    assert len(_equipment(oracle_db, 2025)) == len(_equipment(oracle_db, 2026)) == 5


def test_derived_counts_follow_the_registry_thresholds(oracle_db, tmp_path):
    copy = tmp_path / "copy.duckdb"
    shutil.copy(oracle_db, copy)
    con = duckdb.connect(str(copy))
    share = "SELECT max(value) FROM d_indicator_values WHERE indicator = 'over_standard_class_share'"
    # every oracle class sits in the 41—45 band: within 小学's 45-pupil standard
    assert con.execute("SELECT sum(over_standard_classes) FROM d_segments").fetchone()[0] == 0
    assert con.execute(share).fetchone()[0] == 0.0
    con.execute("UPDATE ref_standards SET value = 40 WHERE indicator_key = 'class_size_standard' AND scope = '小学'")
    derive(con)
    assert con.execute("SELECT sum(over_standard_classes) FROM d_segments").fetchone()[0] == 10
    assert con.execute(share).fetchone()[0] == 1.0
    con.close()


def test_a_database_from_older_code_is_rederived(oracle_db):
    con = duckdb.connect(str(oracle_db))
    con.execute("DROP VIEW v_indicator_values")
    con.execute("DROP TABLE d_indicator_values")
    con.execute("UPDATE meta SET value = 'older' WHERE key = 'reference_version'")
    con.close()
    assert refresh_if_outdated(oracle_db) is True
    assert len(_equipment(oracle_db, 2025)) == 5
    assert refresh_if_outdated(oracle_db) is False


WIDE = """
SELECT * FROM (VALUES
    (1::INT, true, 3::HUGEINT, 1.25::DECIMAL(10, 2), DATE '2025-09-01', '甲', [1, 2], 5::BIGINT, NULL::VARCHAR),
    (NULL, NULL, NULL, NULL, NULL, NULL, NULL, 6, NULL)
) AS t(i, b, h, d, day, s, l, n, empty)
"""


@pytest.mark.parametrize(
    "sql",
    [
        WIDE,
        WIDE + " WHERE n = 5",  # no NULLs: plain numpy int and bool
        WIDE + " WHERE false",  # no rows
    ],
)
def test_arrow_frames_are_the_frames_df_gives(sql):
    con = duckdb.connect()
    expected = con.execute(sql).df()
    got = dbmod.to_frame(con.sql(sql).to_arrow_table())
    con.close()
    assert got.dtypes.to_dict() == expected.dtypes.to_dict()
    pd.testing.assert_frame_equal(got, expected)


def test_arrow_frames_keep_nullable_dtypes_where_nulls_occur():
    con = duckdb.connect()
    got = dbmod.to_frame(con.sql(WIDE).to_arrow_table())
    con.close()
    assert str(got["i"].dtype) == "Int32" and str(got["b"].dtype) == "boolean"
    assert got["h"].dtype == "float64" and got["h"].iloc[0] == 3.0  # HUGEINT sums are numbers, not Decimals
    assert got["d"].iloc[0] == 1.25 and str(got["day"].dtype).startswith("datetime64")
    assert got["empty"].tolist() == [None, None]  # all-NULL text stays None, not a truthy NaN


def test_a_named_query_runs_on_a_connection_with_an_unfetched_result(oracle_db):
    con = dbmod.connect(oracle_db)
    con.execute("SELECT school_id FROM schools")  # left unfetched, as callers do with fetchone()
    got = dbmod.run("balance_cv", {"year": 2025}, con=con)
    assert list(got["stage"]) == ["小学"] * 7
    con.close()


SQL_HOMES = sorted((ROOT_DIR / "queries" / "derived").glob("*.sql")) + sorted(
    (ROOT_DIR / "queries" / "internal").glob("*.sql")
)


@pytest.mark.parametrize("path", SQL_HOMES, ids=[f"{p.parent.name}/{p.stem}" for p in SQL_HOMES])
def test_derived_and_internal_sql_files_carry_a_header(path):
    """Each file opens with `-- derived: NAME` or `-- internal: NAME` and a purpose; a derived
    file names every object it creates, so a reader finds where v_… or d_… comes from."""
    text = path.read_text(encoding="utf-8")
    header = []
    for line in text.splitlines():
        if not line.startswith("--"):
            break
        header.append(line)
    assert header and header[0] == f"-- {path.parent.name}: {path.stem}", f"{path.name}: first header line"
    assert any(line.startswith("-- purpose:") for line in header), f"{path.name}: no -- purpose: line"
    if path.parent.name == "derived":
        creates = " ".join(header[[i for i, h in enumerate(header) if h.startswith("-- creates:")][0] :])
        made = re.findall(r"CREATE OR REPLACE (?:TABLE|VIEW) (\w+)", text)
        assert made, f"{path.name}: creates nothing"
        assert all(re.search(rf"\b{name}\b", creates) for name in made), f"{path.name}: -- creates: misses {made}"


def test_derived_scripts_run_in_name_order():
    names = [p.name for p in derived_scripts()]
    assert names == sorted(names) and names[0].startswith("01_")


# --- several counties: the partial rebuild of one county equals the full rebuild ------------


def _add_county(con, code: str) -> None:
    """A second county: every town and school of the first, recoded (towns <code>…, schools E…)."""
    con.execute("INSERT INTO towns SELECT * REPLACE (? || substr(town_code, 7) AS town_code) FROM towns", [code])
    con.execute(
        "INSERT INTO schools SELECT * REPLACE ('E' || school_id AS school_id, ? || substr(town_code, 7) AS town_code)"
        " FROM schools",
        [code],
    )
    con.execute("INSERT INTO school_years SELECT * REPLACE ('E' || school_id AS school_id) FROM school_years")


def _derived(con) -> dict[str, pd.DataFrame]:
    out = {}
    for table in ("d_segments", "d_indicator_values", "d_common_values", "d_common_status"):
        df = con.execute(f"SELECT * FROM {table}").df()
        keys = ["county", "year"] + [
            k for k in ("stage", "school_id", "indicator", "target_id", "scope_code") if k in df
        ]
        out[table] = df.sort_values(keys)
        out[table] = out[table].reset_index(drop=True)
    return out


def test_partial_derive_equals_the_full_rebuild(oracle_db, tmp_path):
    con = duckdb.connect(str(oracle_db))
    first = con.execute("SELECT DISTINCT substr(town_code, 1, 6) FROM towns").fetchone()[0]
    second = "440785" if first != "440785" else "440783"
    _add_county(con, second)
    derive(con)
    assert [r[0] for r in con.execute("SELECT county FROM d_counties ORDER BY 1").fetchall()] == sorted([first, second])
    # the second county's data change: pupils doubled, one school's year gone
    con.execute("UPDATE school_years SET students = students * 2 WHERE school_id LIKE 'E%'")
    gone = con.execute("SELECT min(school_id) FROM school_years WHERE school_id LIKE 'E%'").fetchone()[0]
    con.execute("DELETE FROM school_years WHERE school_id = ?", [gone])
    # a mark on the first county's derived rows: a partial rebuild must leave them alone
    con.execute("UPDATE d_segments SET town_name = '未重算' WHERE county = ?", [first])
    derive(con, counties={second})
    partial = _derived(con)
    assert set(partial["d_segments"].loc[partial["d_segments"]["county"] == first, "town_name"]) == {"未重算"}
    assert gone not in set(partial["d_segments"]["school_id"])
    con.execute(
        "UPDATE d_segments SET town_name = t.town_name FROM towns AS t WHERE t.town_code = d_segments.town_code"
    )
    partial = _derived(con)
    derive(con)
    full = _derived(con)
    con.close()
    for table in full:
        assert len(partial[table]) == len(full[table]) > 0
        pd.testing.assert_frame_equal(partial[table], full[table])
    seg = full["d_segments"]
    assert (seg.loc[seg.county == second, "students"].sum()) == 2 * seg.loc[
        (seg.county == first) & (seg.school_id != gone[1:]), "students"
    ].sum()


def test_partial_derive_of_an_older_file_rebuilds_everything(oracle_db):
    """A file whose derived tables have no county column gets the full rebuild."""
    con = duckdb.connect(str(oracle_db))
    con.execute("ALTER TABLE d_segments DROP COLUMN county")
    derive(con, counties={"440785"})
    assert "county" in {r[0] for r in con.execute("DESCRIBE d_segments").fetchall()}
    assert con.execute("SELECT count(*) FROM d_segments").fetchone()[0] > 0
    con.close()


def test_county_cv_macro_is_the_view_filtered(oracle_db):
    """county_cv(year, county) — what balance_cv and county_balance_cv read, so that only the
    asked year (and county) is computed — gives exactly v_county_cv's rows for them, to the
    last bit; NULL means every year or every county."""
    con = duckdb.connect(str(oracle_db))
    first = con.execute("SELECT DISTINCT substr(town_code, 1, 6) FROM towns").fetchone()[0]
    second = "440785" if first != "440785" else "440783"
    _add_county(con, second)
    con.execute("UPDATE school_years SET students = students * 3 WHERE school_id LIKE 'E%'")
    derive(con)
    keys = "ORDER BY county, year, stage, indicator"
    years = [r[0] for r in con.execute("SELECT DISTINCT year FROM v_county_cv ORDER BY 1").fetchall()]
    assert years and con.execute("SELECT count(DISTINCT county) FROM v_county_cv").fetchone()[0] == 2
    for year in years:
        whole = con.execute(f"SELECT * FROM v_county_cv WHERE year = ? {keys}", [year]).df()
        pd.testing.assert_frame_equal(con.execute(f"SELECT * FROM county_cv(?, NULL) {keys}", [year]).df(), whole)
        for county in (first, second):
            one = con.execute(f"SELECT * FROM county_cv(?, ?) {keys}", [year, county]).df()
            pd.testing.assert_frame_equal(one, whole[whole["county"] == county].reset_index(drop=True))
    # the two counties differ (tripled pupils move the pupil-weighted means), so the filter matters
    a, b = (con.execute(f"SELECT mean FROM county_cv(?, ?) {keys}", [years[-1], c]).fetchall() for c in (first, second))
    assert len(a) == len(b) > 0 and a != b
    every = con.execute(f"SELECT * FROM county_cv(NULL, NULL) {keys}").df()
    pd.testing.assert_frame_equal(every, con.execute(f"SELECT * FROM v_county_cv {keys}").df())
    # the stored common statuses are the source view's rows
    stored = con.execute("SELECT * FROM d_common_status ORDER BY county, year, target_id").df()
    pd.testing.assert_frame_equal(
        stored, con.execute("SELECT * FROM v_common_status_src ORDER BY county, year, target_id").df()
    )
    con.close()
