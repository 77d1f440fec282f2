"""The county in a database file: what it holds per county (for an import's checks), the
migration of files made before the county column, and the writer's per-county deletes."""

from __future__ import annotations

import duckdb
import pandas as pd

from edubalance.ingest.county_checks import COUNTY_COL, Existing
from edubalance.model.schema import COUNTY_SHEETS, SHEETS_BY_KEY, Sheet
from edubalance.store.paths import internal_sql


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}


def _has_column(con, table: str, column: str) -> bool:
    return bool(
        con.execute(
            "SELECT count(*) FROM duckdb_columns() WHERE table_name = ? AND column_name = ?", [table, column]
        ).fetchone()[0]
    )


def existing_from(con: duckdb.DuckDBPyConnection) -> Existing:
    """Existing of an open database (read-only is fine: a file made before the county column
    counts its county-less rows for its single county, as the migration will)."""
    tables = _tables(con)
    ex = Existing()
    if "towns" in tables:
        ex.towns = {r[0] for r in con.execute("SELECT town_code FROM towns").fetchall()}
        ex.counties = {c[:6] for c in ex.towns if isinstance(c, str)}
    if "schools" in tables:
        rows = con.execute("SELECT school_id, school_type, substr(town_code, 1, 6) FROM schools").fetchall()
        ex.schools = {s: t for s, t, _ in rows}
        ex.school_county = {s: c for s, _, c in rows if c}
    if "ref_targets" in tables and _has_column(con, "ref_targets", "county"):
        for county, target in con.execute("SELECT county, target_id FROM ref_targets").fetchall():
            ex.targets.setdefault(county, set()).add(target)
    needed = {"towns", "schools", "school_years", "principals"}
    rows = con.execute(internal_sql("existing_years")).fetchall() if needed <= tables else []
    for key in COUNTY_SHEETS:
        sheet = SHEETS_BY_KEY[key]
        if not sheet.yearly or key not in tables:
            continue
        # A file made before the county column: its rows are its single county's (as the
        # migration will make them). Table names come from the schema, never from a file.
        county = "county" if _has_column(con, key, "county") else "NULL"
        rows += [(key, c, y) for c, y in con.execute(f"SELECT DISTINCT {county}, year FROM {key}").fetchall()]
    for table, county, year in rows:
        county = county or ex.county
        if county is not None and year is not None:
            ex.years.setdefault(table, {}).setdefault(county, set()).add(int(year))
    return ex


def fill_county_columns(con: duckdb.DuckDBPyConnection) -> None:
    """Migrate a file made before the county column: its rows take the file's only county.
    (With several counties every row was written with its county, so nothing is NULL.)"""
    counties = [r[0] for r in con.execute("SELECT DISTINCT substr(town_code, 1, 6) FROM towns").fetchall()]
    if len(counties) != 1:
        return
    for key in COUNTY_SHEETS:
        con.execute(f"UPDATE {key} SET county = ? WHERE county IS NULL", [counties[0]])


def delete_county_years(con: duckdb.DuckDBPyConnection, sheet: Sheet, new: pd.DataFrame) -> None:
    """Delete the (county, year) pairs that `new` brings, and no other county's rows."""
    pairs = new[[COUNTY_COL, "year"]].dropna().drop_duplicates().rename(columns={COUNTY_COL: "county"})  # noqa: F841
    if sheet.key in COUNTY_SHEETS:
        con.execute(
            f"DELETE FROM {sheet.key} AS t WHERE EXISTS "
            "(SELECT 1 FROM pairs AS p WHERE p.county = t.county AND p.year = t.year)"
        )
    else:  # 学校年度, 校园长: the county of a row is its school's
        con.execute(
            f"DELETE FROM {sheet.key} AS t WHERE EXISTS (SELECT 1 FROM pairs AS p JOIN schools AS s "
            "ON substr(s.town_code, 1, 6) = p.county WHERE s.school_id = t.school_id AND p.year = t.year)"
        )
