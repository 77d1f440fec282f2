"""Read access to the database: named queries from queries/*.sql with $named parameters.

Readers open the file read-only. Because imports swap a new file in with os.replace, a
reader keeps the file it opened; `signature()` tells callers (the app's caches) when the
path now points at a newer file.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from edubalance.store.paths import QUERIES_DIR

PARAM_LINE = re.compile(r"^--\s*param:\s*(\w+)\s+(int|text|float)\s*(.*)$")
HEADER_LINE = re.compile(r"^--\s*(name|purpose|columns):\s*(.*)$")


class QueryError(Exception):
    """Unknown query, unknown or missing parameter, or a value of the wrong type."""


@dataclass(frozen=True)
class NamedQuery:
    name: str
    sql: str
    params: tuple[tuple[str, str, str], ...]  # (name, type, description)
    purpose: str
    columns: str


def list_queries() -> list[str]:
    return sorted(p.stem for p in QUERIES_DIR.glob("*.sql"))


@cache
def load_query(name: str) -> NamedQuery:
    if not re.fullmatch(r"[a-z0-9_]+", name) or not (QUERIES_DIR / f"{name}.sql").exists():
        raise QueryError(f"未知的查询：{name}（可用：{', '.join(list_queries())}）")
    sql = (QUERIES_DIR / f"{name}.sql").read_text(encoding="utf-8")
    params, header = [], {"purpose": [], "columns": []}
    last = None
    for line in sql.splitlines():
        if not line.startswith("--"):
            break
        m = PARAM_LINE.match(line)
        if m:
            params.append((m.group(1), m.group(2), m.group(3).strip()))
            last = None
            continue
        m = HEADER_LINE.match(line)
        if m:
            last = m.group(1)
            if last in header:
                header[last].append(m.group(2).strip())
        elif last in header:
            header[last].append(line.lstrip("-").strip())
    return NamedQuery(name, sql, tuple(params), " ".join(header["purpose"]), " ".join(header["columns"]))


def coerce_params(q: NamedQuery, given: dict) -> dict:
    declared = {n: t for n, t, _ in q.params}
    unknown = set(given) - set(declared)
    if unknown:
        raise QueryError(f"查询 {q.name} 没有参数：{', '.join(sorted(unknown))}（参数：{', '.join(declared) or '无'}）")
    missing = set(declared) - set(given)
    if missing:
        raise QueryError(f"查询 {q.name} 缺少参数：{', '.join(sorted(missing))}")
    out = {}
    for name, typ in declared.items():
        value = given[name]
        try:
            out[name] = int(value) if typ == "int" else float(value) if typ == "float" else str(value)
        except (TypeError, ValueError) as exc:
            raise QueryError(f"参数 {name} 应为 {typ}：{value!r}") from exc
    return out


def signature(db: Path) -> tuple:
    """Identity of the file behind the path now; changes when an import swaps a new file in."""
    try:
        st = os.stat(db)
    except FileNotFoundError:
        return (str(db), None)
    return (str(db), st.st_ino, st.st_mtime_ns, st.st_size)


SNAPSHOT_ALIAS = "live"


def connect(db: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the file the path points at *now*.

    The file is attached to a fresh in-memory database rather than opened with
    duckdb.connect(path): DuckDB caches one instance per path while any connection to it
    is open, so a plain connect after an import swapped a new file in would still read the
    old one. The connection keeps reading the file it attached even after a swap.
    """
    db = Path(db)
    if not db.exists():
        raise FileNotFoundError(f"数据库不存在：{db}")
    con = duckdb.connect()
    try:
        # ATTACH takes no parameters; the path is ours (db_path or history/), quotes doubled.
        path = str(db.resolve()).replace("'", "''")
        con.execute(f"ATTACH '{path}' AS {SNAPSHOT_ALIAS} (READ_ONLY)")
        con.execute(f"USE {SNAPSHOT_ALIAS}")
    except Exception:
        con.close()
        raise
    return con


def cursor(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """A new connection to con's database, reading the file connect() attached (if any).
    Nothing runs on con itself, so threads can share con, and a result a caller left
    unfetched on con does not hold the cursor up (con.sql() would refuse to run)."""
    cur = con.cursor()
    attached = cur.execute(
        "SELECT database_name FROM duckdb_databases() WHERE database_name = ?", [SNAPSHOT_ALIAS]
    ).fetchall()  # fetched to the end: a half-read result would block the cursor's next query
    if attached:
        cur.execute(f"USE {SNAPSHOT_ALIAS}")
    return cur


def run(name: str, params: dict | None = None, *, db: Path | None = None, con=None) -> pd.DataFrame:
    """Run a named query; pass an open read-only connection to reuse it."""
    q = load_query(name)
    values = coerce_params(q, params or {})
    con = connect(db) if con is None else cursor(con)
    try:
        # Through Arrow: .df() builds text columns one Python object at a time (3—4× slower).
        return to_frame(con.sql(q.sql, params=values).to_arrow_table())
    finally:
        con.close()


_NULLABLE = {
    pa.bool_(): pd.BooleanDtype(),
    pa.int8(): pd.Int8Dtype(),
    pa.int16(): pd.Int16Dtype(),
    pa.int32(): pd.Int32Dtype(),
    pa.int64(): pd.Int64Dtype(),
    pa.uint8(): pd.UInt8Dtype(),
    pa.uint16(): pd.UInt16Dtype(),
    pa.uint32(): pd.UInt32Dtype(),
    pa.uint64(): pd.UInt64Dtype(),
}


def _column(values: pa.ChunkedArray) -> pd.Series:
    kind = values.type
    if pa.types.is_decimal(kind):  # DECIMAL and the HUGEINT of sum(int)
        values = values.cast(pa.float64())
    elif pa.types.is_date(kind):
        values = values.cast(pa.timestamp("us"))
    elif values.null_count and kind in _NULLABLE:
        return values.to_pandas(types_mapper=_NULLABLE.get)
    elif values.null_count == len(values) and (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
        return pd.Series([None] * len(values), dtype=object)  # .df() gives no string dtype to all-NULL text
    elif values.null_count and pa.types.is_nested(kind):
        return values.to_pandas().fillna(pd.NA)  # None -> <NA>, as .df() marks a NULL list
    return values.to_pandas()


def to_frame(table: pa.Table) -> pd.DataFrame:
    """An Arrow result as the DataFrame DuckDB's .df() would give (nullable Int/boolean
    columns only where NULLs occur, decimals and dates as float and datetime), built several
    times faster: .df() makes Python objects of text columns one value at a time."""
    frame = pd.DataFrame({i: _column(table.column(i)) for i in range(table.num_columns)}, copy=False)
    frame.columns = table.column_names
    return frame
