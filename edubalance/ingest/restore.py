"""Restore an earlier database from history/, but only a version the product wrote.

Every writer records the file it moves to history/ with its sha256 in the accounts store
(history.after_swap). A restore:

1. accepts only a file of this database's own history/ whose sha256 still matches the record
   (a file without a record is 未校验 and refused, unless `allow_unverified`, which only the
   command line offers, to an operator, logged);
2. opens it read-only with external access disabled and checks that every data table is a
   base table with the columns the schema names (a planted view over a server file fails here);
3. copies only those data columns (and the import log) into a fresh staging file, rebuilds the
   registries, derived tables and views from the product's own SQL, as an import does, and
   swaps it in atomically under the import lock, keeping the replaced file in history/.

Anything refused gets a Chinese reason and leaves the live database untouched.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from edubalance.access import accounts
from edubalance.ingest.importer import ImportResult, import_lock, log_import, open_snapshot, stage_and_swap
from edubalance.ingest.problems import Problems
from edubalance.model.schema import COUNTY, SHEETS
from edubalance.store import history
from edubalance.store.paths import internal_sql

LOG_COLUMNS = [
    "id",
    "imported_at",
    "action",
    "user_name",
    "file_name",
    "sha256",
    "rows_json",
    "replaced_years",
    "warnings",
    "note",
    "counties",
]
# Data tables outside the workbook schema that a version carries and a restore brings back:
# an administrator's uploaded plan (plan_targets, ingest/plans.py). Copied when present.
EXTRA_DATA_TABLES = ("plan_targets",)
# Columns a history file may lack because it was written before they existed: read as NULL.
LATER_COLUMNS = {"counties": "VARCHAR"}
STAMP = history.STAMP


def history_dir(db: Path) -> Path:
    return history.history_dir(db)


def backups(db: Path) -> list[Path]:
    """The history files of this database, newest first."""
    return history.files(db)


def listing_key(db: Path) -> tuple:
    """Changes whenever a history file is added, removed or altered (a cache key)."""
    return (str(db),) + tuple((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in backups(db))


def list_backups(db: Path) -> pd.DataFrame:
    """One row per history file, newest first (history.LIST_COLUMNS)."""
    return history.list_versions(db)


def _refuse(db: Path, name: str, reason: str, user: str) -> ImportResult:
    problems = Problems()
    problems.add(name, None, "", "", reason)
    accounts.audit(accounts.store_path(db=db), user, "restore_refused", f"{name}：{reason}", channel=history.channel())
    return ImportResult(False, problems, db_path=db)


def read_candidate(path: Path) -> tuple[dict[str, object], object, list[str]]:
    """The data tables (Arrow), import log and meta rows (under "__meta__") of a history file,
    or the reasons it is refused."""
    reasons: list[str] = []
    tables: dict[str, object] = {}
    log = None
    try:
        con = history.open_untrusted(path)
    except duckdb.Error as exc:
        return {}, None, [f"不是可读取的数据库文件：{str(exc)[:200]}"]
    try:
        base = {r[0] for r in con.execute(internal_sql("catalog_base_tables")).fetchall()}
        columns: dict[str, dict[str, str]] = {}
        for table, column, kind in con.execute(internal_sql("catalog_columns")).fetchall():
            columns.setdefault(table, {})[column] = kind
        for sheet in SHEETS:
            if sheet.key not in base:
                reasons.append(f"数据表 {sheet.key}（{sheet.zh}）缺失或不是基本表（可能是视图）")
                continue
            have = columns.get(sheet.key, {})
            # A file written before the county column (issue 16) lacks it; the restore fills
            # it with the file's single county (county_tables.fill_county_columns).
            missing = [c.key for c in sheet.columns if c.key not in have and c.key != COUNTY.key]
            if missing:
                reasons.append(f"数据表 {sheet.key}（{sheet.zh}）缺少列：{'、'.join(missing)}")
                continue
            cols = ", ".join(
                f'CAST("{c.key}" AS {c.sql_type}) AS "{c.key}"' if c.key in have else f'NULL::{c.sql_type} AS "{c.key}"'
                for c in sheet.columns
            )
            tables[sheet.key] = con.sql(f'SELECT {cols} FROM "{sheet.key}"').to_arrow_table()
        for extra in EXTRA_DATA_TABLES:
            if extra in base:
                tables[extra] = con.sql(f'SELECT * FROM "{extra}"').to_arrow_table()
        log_cols = columns.get("import_log", {})
        if "import_log" in base and all(c in log_cols for c in LOG_COLUMNS if c not in LATER_COLUMNS):
            log = con.execute(f"SELECT {_log_select(log_cols)} FROM import_log ORDER BY id").df()
        if "meta" in base and {"key", "value"} <= set(columns.get("meta", {})):
            meta = con.execute("SELECT CAST(key AS VARCHAR), CAST(value AS VARCHAR) FROM meta").fetchall()
            tables["__meta__"] = [(k, v) for k, v in meta if k != "reference_version"]
    except duckdb.Error as exc:
        reasons.append(f"读取失败：{str(exc)[:200]}")
    finally:
        con.close()
    return tables, log, reasons


def restore_backup(
    db: Path, backup: str | Path, *, user: str, allow_unverified: bool = False, county: str | None = None
) -> ImportResult:
    """Swap the chosen history version in as the live database; logged as action 'restore'.
    `county`: the account's county binding; a version holding towns of another county is refused."""
    db = Path(db)
    backup = Path(backup)
    # Only files of this database's own history: the name comes from the browser's choice.
    known = {p.name for p in backups(db)}
    if backup.resolve().parent != history_dir(db).resolve() or backup.name not in known:
        return _refuse(db, backup.name, "不是本数据库 history/ 中的历史版本文件", user)

    with import_lock(db):
        state, entry = history.status(db, backup)
        if state == history.ALTERED:
            return _refuse(db, backup.name, "校验失败：文件在写入后被改动（sha256 与记录不符），不能恢复", user)
        if state == history.UNVERIFIED and not allow_unverified:
            return _refuse(
                db,
                backup.name,
                "未校验：没有本系统写入该文件时记录的 sha256（可能是外来文件或旧版本留下的文件），不能恢复",
                user,
            )
        tables, log, reasons = read_candidate(backup)
        if reasons:
            return _refuse(db, backup.name, "文件内容不符合数据结构，不能恢复：" + "；".join(reasons), user)

        sha = history.sha256_of(backup)
        if county and "towns" in tables:
            found = {str(c)[:6] for c in tables["towns"].column("town_code").to_pylist() if c}
            if found - {county}:
                other = "、".join(sorted(found - {county}))
                return _refuse(db, backup.name, f"账号仅限县级区划代码 {county}，该版本含 {other} 的数据", user)
        meta = tables.pop("__meta__", [])
        rows = {key: table.num_rows for key, table in tables.items()}
        current_log = _read_log(db)
        candidate_log = log if log is not None else pd.DataFrame(columns=LOG_COLUMNS)

        def work(con):
            present = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
            for key, rows_of_table in tables.items():
                con.register("candidate_rows", rows_of_table)
                if key in present:
                    con.execute(f'INSERT INTO "{key}" BY NAME SELECT * FROM candidate_rows')
                else:  # an extra table the derived SQL creates later (CREATE TABLE IF NOT EXISTS)
                    con.execute(f'CREATE TABLE "{key}" AS SELECT * FROM candidate_rows')
                con.unregister("candidate_rows")
            # The log is an audit trail, not data: the version's own entries, then the entries
            # made after it (the changes being undone), then the restore itself.
            later = current_log  # noqa: F841 - read by DuckDB's replacement scan
            con.register("candidate_log", candidate_log)
            con.execute(f"INSERT INTO import_log SELECT {', '.join(LOG_COLUMNS)} FROM candidate_log")
            con.unregister("candidate_log")
            for key, value in meta:
                con.execute("INSERT INTO meta VALUES (?, ?)", [key, value])
            con.execute(internal_sql("restore_later_log"))
            when = (entry or {}).get("made_at") or "?"
            tag = "（未校验，命令行 --allow-unverified）" if state == history.UNVERIFIED else ""
            note = f"恢复为 {when} 的版本{tag}"
            log_import(con, "restore", user, backup.name, sha, rows, [], 0, note, _counties(con))

        kept = stage_and_swap(db, work, fresh=True)
        detail = f"{backup.name}（{state}，sha256 {sha[:16]}）"
        history.after_swap(db, kept, user=user, action="restore", detail=detail)
    return ImportResult(True, Problems(), rows, db, kept)


def _counties(con) -> set[str]:
    """Every county of the restored version: a restore rolls all of them back."""
    return {r[0] for r in con.execute("SELECT DISTINCT substr(town_code, 1, 6) FROM towns").fetchall() if r[0]}


def _log_select(have) -> str:
    return ", ".join(
        c if c in have or c not in LATER_COLUMNS else f"NULL::{LATER_COLUMNS[c]} AS {c}" for c in LOG_COLUMNS
    )


def _read_log(db: Path) -> pd.DataFrame:
    con = open_snapshot(db)
    try:
        have = {
            r[0]
            for r in con.execute("SELECT column_name FROM duckdb_columns() WHERE table_name = 'import_log'").fetchall()
        }
        return con.execute(f"SELECT {_log_select(have)} FROM import_log ORDER BY id").df()
    except Exception:  # a database without a log (never imported through this code)
        return pd.DataFrame(columns=LOG_COLUMNS)
    finally:
        con.close()
