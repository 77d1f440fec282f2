"""Restore an earlier database from history/.

Every import keeps the file it replaced in `history/` (importer.swap_in). A restore copies
one of those files, appends an import_log row with action 'restore' to the copy, and swaps
it in exactly like an import: atomically, under the import lock, and with the file it
replaces kept in history/ in turn, so a restore can itself be undone.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd

from .importer import (
    HISTORY_DIR_NAME,
    ImportResult,
    _log,
    import_lock,
    open_snapshot,
    sha256_of,
    stage_and_swap,
)
from .problems import Problems
from .schema import SHEETS

STAMP = re.compile(r"-(\d{8}T\d{6})(\d{6})?\.duckdb$")
MAX_LISTED = 50

BACKUP_COLUMNS = [
    "file_name",
    "saved_at",
    "size_mb",
    "last_action",
    "last_user",
    "last_file",
    "last_at",
    "years",
    "path",
]


def history_dir(db: Path) -> Path:
    return Path(db).parent / HISTORY_DIR_NAME


def backups(db: Path) -> list[Path]:
    """The backups of this database file, newest first."""
    folder = history_dir(db)
    if not folder.is_dir():
        return []
    found = [p for p in folder.glob(f"{Path(db).stem}-*.duckdb") if STAMP.search(p.name)]
    return sorted(found, key=lambda p: p.name, reverse=True)


def _saved_at(path: Path) -> dt.datetime | None:
    m = STAMP.search(path.name)
    return dt.datetime.strptime(m.group(1), "%Y%m%dT%H%M%S") if m else None


def _describe(path: Path) -> dict:
    """What a backup holds: its own last log entry and its school years."""
    info = {"last_action": None, "last_user": None, "last_file": None, "last_at": None, "years": None}
    try:
        con = open_snapshot(path)
    except Exception:  # an unreadable backup is listed, but cannot be restored
        info["last_action"] = "（无法读取）"
        return info
    try:
        row = con.execute(
            "SELECT action, user_name, file_name, imported_at FROM import_log ORDER BY id DESC LIMIT 1"
        ).fetchone()
        if row:
            info.update(last_action=row[0], last_user=row[1], last_file=row[2], last_at=row[3])
        years = con.execute("SELECT min(year), max(year) FROM school_years").fetchone()
        if years and years[0] is not None:
            info["years"] = f"{years[0]}—{years[1]}" if years[0] != years[1] else str(years[0])
    except Exception:
        info["last_action"] = info["last_action"] or "（无导入记录）"
    finally:
        con.close()
    return info


def listing_key(db: Path) -> tuple:
    """Changes whenever a backup is added or removed (a cache key for list_backups)."""
    return (str(db),) + tuple((p.name, p.stat().st_size) for p in backups(db))


def list_backups(db: Path, limit: int = MAX_LISTED) -> pd.DataFrame:
    """One row per backup, newest first: when it was replaced and what it held then."""
    rows = []
    for path in backups(db)[:limit]:
        rows.append(
            {
                "file_name": path.name,
                "saved_at": _saved_at(path),
                "size_mb": round(path.stat().st_size / 1024 / 1024, 2),
                **_describe(path),
                "path": str(path),
            }
        )
    return pd.DataFrame(rows, columns=BACKUP_COLUMNS)


def restore_backup(db: Path, backup: str | Path, *, user: str) -> ImportResult:
    """Swap the chosen backup in as the live database; logged as action 'restore'."""
    db = Path(db)
    backup = Path(backup)
    problems = Problems()
    # Only files of this database's own history: the name comes from the browser's choice.
    known = {p.name for p in backups(db)}
    if backup.resolve().parent != history_dir(db).resolve() or backup.name not in known:
        problems.add(backup.name, None, "", "", "不是本数据库 history/ 中的备份文件")
        return ImportResult(False, problems, db_path=db)
    try:
        con = open_snapshot(backup)
        try:
            con.execute("SELECT count(*) FROM towns").fetchone()
        finally:
            con.close()
    except Exception as exc:
        problems.add(backup.name, None, "", "", f"备份文件无法读取，不能恢复：{exc}")
        return ImportResult(False, problems, db_path=db)

    sha = sha256_of(backup)
    saved = _saved_at(backup)
    rows: dict[str, int] = {}

    def work(con):
        for sheet in SHEETS:
            rows[sheet.key] = con.execute(f"SELECT count(*) FROM {sheet.key}").fetchone()[0]
        # The log is an audit trail, not data: entries made after the backup (the imports being
        # undone) are carried over, so the history still shows them, followed by the restore.
        later = current_log  # noqa: F841 - read by DuckDB's replacement scan
        con.execute(
            """INSERT INTO import_log
               SELECT (SELECT coalesce(max(id), 0) FROM import_log) + row_number() OVER (ORDER BY l.id),
                      l.imported_at, l.action, l.user_name, l.file_name, l.sha256, l.rows_json,
                      l.replaced_years, l.warnings, l.note
               FROM later AS l
               WHERE NOT EXISTS (
                   SELECT 1 FROM import_log AS k
                   WHERE k.imported_at IS NOT DISTINCT FROM l.imported_at AND k.action = l.action
                     AND k.file_name IS NOT DISTINCT FROM l.file_name AND k.sha256 IS NOT DISTINCT FROM l.sha256)"""
        )
        when = saved.strftime("%Y-%m-%d %H:%M:%S") if saved else "?"
        _log(con, "restore", user, backup.name, sha, rows, [], 0, f"恢复为 {when} 被替换前的版本")

    with import_lock(db):
        current_log = _read_log(db)
        kept = stage_and_swap(db, work, source=backup)
    return ImportResult(True, problems, rows, db, kept)


def _read_log(db: Path) -> pd.DataFrame:
    con = open_snapshot(db)
    try:
        return con.execute("SELECT * FROM import_log ORDER BY id").df()
    except Exception:  # a database without a log (never imported through this code)
        return pd.DataFrame(
            columns=["id", "imported_at", "action", "user_name", "file_name", "sha256", "rows_json"]
            + ["replaced_years", "warnings", "note"]
        )
    finally:
        con.close()
