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

PARAM_LINE = re.compile(r"^--\s*param:\s*(\w+)\s+(int|text|float)(\s+optional)?\s*(.*)$")
COUNTY_CODE = re.compile(r"\d{6}")
# Queries over the whole database whose county only filters: left out, it is '' (everything).
GLOBAL_QUERIES = frozenset({"import_history"})
SCOPE_CODE = re.compile(r"(\d{2}|\d{4}|\d{6})?")  # '' = everything, else a 省/市/县 adcode prefix
HEADER_LINE = re.compile(r"^--\s*(name|purpose|columns):\s*(.*)$")


class QueryError(Exception):
    """Unknown query, unknown or missing parameter, or a value of the wrong type."""


class CountyRequired(QueryError):
    """The database holds several counties and the query was not told which one."""


@dataclass(frozen=True)
class NamedQuery:
    name: str
    sql: str
    params: tuple[tuple[str, str, str], ...]  # (name, type, description)
    purpose: str
    columns: str
    optional: frozenset[str] = frozenset()  # params that may be left out (`-- param: x text optional`)


def list_queries() -> list[str]:
    return sorted(p.stem for p in QUERIES_DIR.glob("*.sql"))


@cache
def load_query(name: str) -> NamedQuery:
    if not re.fullmatch(r"[a-z0-9_]+", name) or not (QUERIES_DIR / f"{name}.sql").exists():
        raise QueryError(f"未知的查询：{name}（可用：{', '.join(list_queries())}）")
    sql = (QUERIES_DIR / f"{name}.sql").read_text(encoding="utf-8")
    params, optional, header = [], set(), {"purpose": [], "columns": []}
    last = None
    for line in sql.splitlines():
        if not line.startswith("--"):
            break
        m = PARAM_LINE.match(line)
        if m:
            params.append((m.group(1), m.group(2), m.group(4).strip()))
            if m.group(3):
                optional.add(m.group(1))
            last = None
            continue
        m = HEADER_LINE.match(line)
        if m:
            last = m.group(1)
            if last in header:
                header[last].append(m.group(2).strip())
        elif last in header:
            header[last].append(line.lstrip("-").strip())
    return NamedQuery(
        name, sql, tuple(params), " ".join(header["purpose"]), " ".join(header["columns"]), frozenset(optional)
    )


def coerce_params(q: NamedQuery, given: dict) -> dict:
    declared = {n: t for n, t, _ in q.params}
    unknown = set(given) - set(declared)
    if unknown:
        raise QueryError(f"查询 {q.name} 没有参数：{', '.join(sorted(unknown))}（参数：{', '.join(declared) or '无'}）")
    missing = set(declared) - set(given) - q.optional
    if missing:
        raise QueryError(f"查询 {q.name} 缺少参数：{', '.join(sorted(missing))}")
    out = {}
    for name, typ in declared.items():
        if name not in given:
            continue  # an optional parameter left out (run() fills county in)
        value = given[name]
        try:
            out[name] = int(value) if typ == "int" else float(value) if typ == "float" else str(value)
        except (TypeError, ValueError) as exc:
            raise QueryError(f"参数 {name} 应为 {typ}：{value!r}") from exc
    if "county" in out and not COUNTY_CODE.fullmatch(out["county"]):
        raise QueryError(f"参数 county 应为 6 位县级区划代码：{out['county']!r}")
    if "scope" in out and not SCOPE_CODE.fullmatch(out["scope"]):
        raise QueryError(f"参数 scope 应为空或区划代码前缀（2、4 或 6 位数字）：{out['scope']!r}")
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
    """Run a named query; pass an open read-only connection to reuse it.

    An omitted ``county`` is the database's only county ('' on an empty database); with
    several counties it raises CountyRequired, and a county the database lacks raises
    QueryError, both with the counties listed."""
    q = load_query(name)
    values = coerce_params(q, params or {})
    con = connect(db) if con is None else cursor(con)
    try:
        for pname, ptype, _ in q.params:
            if pname == "county" and q.name not in GLOBAL_QUERIES:
                values["county"] = _resolve_county(q.name, values.get("county"), con, db)
            elif pname not in values:  # an optional parameter left out: '' (text) or NULL
                values[pname] = "" if ptype == "text" else None
        # Through Arrow: .df() builds text columns one Python object at a time (3—4× slower).
        return to_frame(con.sql(q.sql, params=values).to_arrow_table())
    finally:
        con.close()


def run_each_county(name: str, params: dict | None = None, *, db: Path | None = None, con=None) -> pd.DataFrame:
    """run() once per county of the database, the frames stacked in county order: for the
    checks over a whole file (import preview, data quality) that a per-county query serves.
    With one county (or none) it is run() itself."""
    own = con is None
    con = connect(db) if own else con
    try:
        present = [c for c, _ in counties(con)] if "county" in {n for n, _, _ in load_query(name).params} else []
        if len(present) <= 1:
            return run(name, params, db=db, con=con)
        frames = [run(name, {**(params or {}), "county": c}, con=con) for c in present]
        return pd.concat(frames, ignore_index=True)
    finally:
        if own:
            con.close()


def counties(con, db: Path | None = None) -> tuple[tuple[str, str], ...]:
    """(code, name) of each county in the database, by code; memoised per file signature when
    the caller gives the path (a file swapped in by an import has its own entry)."""
    if db is not None:
        return _counties_of(signature(Path(db)), con)
    return _read_counties(con)


_COUNTIES_CACHE: dict[tuple, tuple[tuple[str, str], ...]] = {}


def _counties_of(sig: tuple, con) -> tuple[tuple[str, str], ...]:
    if sig not in _COUNTIES_CACHE:
        if len(_COUNTIES_CACHE) > 32:
            _COUNTIES_CACHE.clear()
        _COUNTIES_CACHE[sig] = _read_counties(con)
    return _COUNTIES_CACHE[sig]


def _read_counties(con) -> tuple[tuple[str, str], ...]:
    try:
        rows = con.execute("SELECT county, coalesce(county_name, '') FROM d_counties ORDER BY county").fetchall()
    except duckdb.Error:  # a file derived before d_counties existed
        rows = con.execute("SELECT DISTINCT substr(town_code, 1, 6), '' FROM towns ORDER BY 1").fetchall()
    return tuple((str(c), str(n)) for c, n in rows)


def _county_list(present) -> str:
    return "、".join(f"{c} {n}".strip() for c, n in present)


def _resolve_county(query: str, county: str | None, con, db: Path | None) -> str:
    present = counties(con, db)
    if county is None:
        if not present:
            return ""  # an empty database: empty results, as before counties existed
        if len(present) == 1:
            return present[0][0]
        raise CountyRequired(
            f"查询 {query} 需要参数 county：数据库中有 {len(present)} 个县（市、区）——{_county_list(present)}。"
            "请用 --param county=<6位区划代码> 指定。"
        )
    if present and county not in {c for c, _ in present}:
        raise QueryError(f"数据库中没有县级区划代码 {county}；库中有：{_county_list(present)}。")
    return county


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
