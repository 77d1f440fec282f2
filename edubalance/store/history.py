"""The history manifest: every version the product moves into history/ is recorded with its
sha256, in the accounts store and not beside the files (whoever can plant a file in history/
could plant a manifest there too). Restore verifies against it; retention prunes by it.

Retention: the newest EDUBALANCE_HISTORY_KEEP versions (default 20), plus the newest one saved
in each school year (1 September to 31 August; EDUBALANCE_HISTORY_KEEP_YEARLY=0 turns that off).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import sys
from pathlib import Path

import duckdb
import pandas as pd

from edubalance.access import accounts
from edubalance.store.private import private_dir, private_file

HISTORY_DIR_NAME = "history"
STAMP = re.compile(r"-(\d{8}T\d{6})(\d{6})?\.duckdb$")
KEEP_ENV = "EDUBALANCE_HISTORY_KEEP"
KEEP_YEARLY_ENV = "EDUBALANCE_HISTORY_KEEP_YEARLY"
DEFAULT_KEEP = 20
VERIFIED = "已校验"
UNVERIFIED = "未校验"
ALTERED = "已被改动"


def history_dir(db: Path) -> Path:
    return Path(db).parent / HISTORY_DIR_NAME


def folder_key(db: Path) -> str:
    return str(history_dir(db).resolve())


def files(db: Path) -> list[Path]:
    """The history files of this database, newest first (by the stamp in the name)."""
    folder = history_dir(db)
    if not folder.is_dir():
        return []
    found = [p for p in folder.glob(f"{Path(db).stem}-*.duckdb") if STAMP.search(p.name)]
    return sorted(found, key=lambda p: p.name, reverse=True)


def saved_at(path: Path) -> dt.datetime | None:
    m = STAMP.search(Path(path).name)
    return dt.datetime.strptime(m.group(1), "%Y%m%dT%H%M%S") if m else None


def open_untrusted(path: Path) -> duckdb.DuckDBPyConnection:
    """A file from history/ may have been planted: read-only, and it may not reach any other
    file or the network (a view over read_text('/etc/...') fails instead of answering)."""
    return duckdb.connect(str(path), read_only=True, config={"enable_external_access": False})


def sha256_of(path: Path) -> str:
    """The sha256 of a file, read in 1 MiB chunks (databases can be large)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def keep_count() -> int:
    try:
        return max(1, int(os.environ.get(KEEP_ENV, DEFAULT_KEEP)))
    except ValueError:
        return DEFAULT_KEEP


def keep_yearly() -> bool:
    return os.environ.get(KEEP_YEARLY_ENV, "1").strip() not in ("0", "false", "no", "off")


def channel() -> str:
    """'web' inside the Streamlit server, 'cli' otherwise (the audit log's channel)."""
    runtime = sys.modules.get("streamlit.runtime")
    try:
        return "web" if runtime is not None and runtime.exists() else "cli"
    except Exception:
        return "cli"


# ---- recording ------------------------------------------------------------------------------


def _years(path: Path) -> str | None:
    try:
        con = open_untrusted(path)
    except duckdb.Error:
        return None
    try:
        lo, hi = con.execute("SELECT min(year), max(year) FROM school_years").fetchone()
    except duckdb.Error:
        return None
    finally:
        con.close()
    if lo is None:
        return None
    return str(lo) if lo == hi else f"{lo}—{hi}"


def after_swap(
    db: Path, backup: Path | None, *, user: str, action: str, detail: str = "", store: Path | None = None
) -> None:
    """Called by every writer right after it swapped a new file in (still under the import
    lock): record the file that went to history/ with its sha256 and who made it, remember who
    made the new live file, write the audit entry, tighten modes and apply retention."""
    db = Path(db)
    store = store or accounts.store_path(db=db)
    now = accounts.now_text()
    live_key = str(db.resolve())
    private_file(db)
    with accounts.transaction(store) as con:
        made = con.execute("SELECT made_at, made_by, made_action FROM live WHERE db = ?", [live_key]).fetchone()
        if backup is not None:
            private_dir(backup.parent)
            private_file(backup)
            con.execute(
                """INSERT OR REPLACE INTO versions
                   (folder, file_name, sha256, size, made_at, made_by, made_action, years, saved_at, removed_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)""",
                [
                    folder_key(db),
                    backup.name,
                    sha256_of(backup),
                    backup.stat().st_size,
                    *(made or (None, None, None)),
                    _years(backup),
                    now,
                ],
            )
        con.execute("INSERT OR REPLACE INTO live VALUES (?, ?, ?, ?)", [live_key, now, user, action])
        accounts.audit_in(con, user, action, detail, channel=channel())
    for path in files(db):  # files written before modes were set (once; cheap afterwards)
        if path.stat().st_mode & 0o077:
            private_file(path)
    prune(db, user=user, store=store)


def recorded(db: Path, file_name: str, store: Path | None = None) -> dict | None:
    store = store or accounts.store_path(db=db)
    con = accounts.connect(store)
    try:
        row = con.execute(
            """SELECT sha256, size, made_at, made_by, made_action, years, saved_at FROM versions
               WHERE folder = ? AND file_name = ? AND removed_at IS NULL""",
            [folder_key(db), file_name],
        ).fetchone()
    finally:
        con.close()
    if row is None:
        return None
    keys = ["sha256", "size", "made_at", "made_by", "made_action", "years", "saved_at"]
    return dict(zip(keys, row))


def status(db: Path, path: Path, store: Path | None = None) -> tuple[str, dict | None]:
    """已校验 (recorded and the file still has that sha256), 已被改动, or 未校验 (never recorded)."""
    entry = recorded(db, path.name, store)
    if entry is None:
        return UNVERIFIED, None
    return (VERIFIED if sha256_of(path) == entry["sha256"] else ALTERED), entry


# ---- listing and retention ------------------------------------------------------------------

LIST_COLUMNS = ["version", "made_at", "made_by", "made_action", "years", "size", "size_mb", "status", "path"]


def list_versions(db: Path, store: Path | None = None) -> pd.DataFrame:
    """Every history file, newest first, with what the manifest says and whether it matches."""
    rows = []
    for path in files(db):
        state, entry = status(db, path, store)
        entry = entry or {}
        when = entry.get("made_at") or (f"{saved_at(path):%Y-%m-%d %H:%M:%S}" if saved_at(path) else "")
        size = path.stat().st_size
        rows.append(
            {
                "version": path.name,
                "made_at": when,
                "made_by": entry.get("made_by") or "-",
                "made_action": entry.get("made_action") or "-",
                "years": entry.get("years") or "-",
                "size": size,
                "size_mb": round(size / 1024 / 1024, 2),
                "status": state,
                "path": str(path),
            }
        )
    return pd.DataFrame(rows, columns=LIST_COLUMNS)


def disk_used(db: Path) -> int:
    folder = history_dir(db)
    if not folder.is_dir():
        return 0
    return sum(p.stat().st_size for p in folder.iterdir() if p.is_file())


def school_year_of(when: dt.datetime) -> int:
    return when.year if when.month >= 9 else when.year - 1


def to_prune(names_newest_first: list[str], keep: int, yearly: bool) -> list[str]:
    """Which history files retention removes (pure: names carry their save time)."""
    kept = set(names_newest_first[:keep])
    if yearly:
        seen: set[int] = set()
        for name in names_newest_first:
            when = saved_at(Path(name))
            if when is None:
                continue
            year = school_year_of(when)
            if year not in seen:
                seen.add(year)
                kept.add(name)
    return [n for n in names_newest_first if n not in kept]


def prune(db: Path, *, user: str, store: Path | None = None) -> list[str]:
    store = store or accounts.store_path(db=db)
    paths = files(db)
    doomed = set(to_prune([p.name for p in paths], keep_count(), keep_yearly()))
    removed = []
    for path in paths:
        if path.name in doomed:
            try:
                path.unlink()
                removed.append(path.name)
            except OSError:
                pass
    if removed:
        with accounts.transaction(store) as con:
            con.executemany(
                "UPDATE versions SET removed_at = ? WHERE folder = ? AND file_name = ?",
                [(accounts.now_text(), folder_key(db), name) for name in removed],
            )
            detail = f"保留最近 {keep_count()} 个及每学年最后一个；删除 {len(removed)} 个：" + "，".join(removed)
            accounts.audit_in(con, user, "history_prune", detail, channel=channel())
    return removed
