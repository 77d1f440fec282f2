"""Tables of a database file: the data tables from the schema, the registries and
classification tables, and the derived tables and views built from them (queries/derived/).

Every writer (import, restore, refresh, the demo build) ends with ``derive``, so derived rows
never lag the data; ``reference_version`` fingerprints the SQL and registries a file was built
with, so an outdated file is refreshed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import duckdb
import pandas as pd

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


def derive(con: duckdb.DuckDBPyConnection, counties: Iterable[str] | None = None) -> None:
    """(Re)build the derived tables and the shared views from the data and registries now in
    the database. Every writer calls it last, so derived rows never lag the data.

    ``counties``: the 6-digit county codes whose data changed (an import); None rebuilds all.
    """
    del counties  # issue 16: partial rebuild per county comes with the county column
    for script in derived_scripts():
        con.execute(script.read_text(encoding="utf-8"))
    con.execute("DELETE FROM meta WHERE key = 'reference_version'")
    con.execute("INSERT INTO meta VALUES ('reference_version', ?)", [reference_version()])


def reference_version() -> str:
    """A fingerprint of the derived SQL and the registries; a database built with others is refreshed."""
    h = hashlib.sha256()
    for script in derived_scripts():
        h.update(script.name.encode() + b"\0" + script.read_bytes())
    for path in registry.reference_files():
        h.update(path.read_bytes())
    return h.hexdigest()[:16]
