"""Import: validate → stage into a new database file → atomic swap.

The live database file is never written in place. An import copies it, applies the new
rows to the copy, checkpoints and fsyncs it, keeps the old file in `history/` (a hard link)
and swaps the copy in with `os.replace`. Readers holding the old file keep reading it; new
readers see the new one; a crash at any point leaves the old file in place. Imports are
serialised with an advisory lock on a separate `.lock` file, so a rejected import leaves
the database byte-identical.

Readers in the same process must open the file with `open_snapshot`: DuckDB keeps one
database instance per path while any connection to it is open, so a plain
`duckdb.connect(path)` made after a swap can still return the *old* file.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import shutil
import signal
import sys
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from edubalance.ingest.county_checks import COUNTY_COL, replaced_years
from edubalance.ingest.county_tables import delete_county_years, existing_from, fill_county_columns
from edubalance.ingest.derive import create_tables, derive, reference_version, refresh_reference
from edubalance.ingest.problems import Problems
from edubalance.ingest.reading import RawTable, UnreadableFile, library_message, read_source, tables_from_frames
from edubalance.ingest.validate import Existing, Parsed, typed_frame, validate
from edubalance.model.schema import SHEETS, SHEETS_BY_KEY
from edubalance.store import history
from edubalance.store.db import connect
from edubalance.store.history import sha256_of
from edubalance.store.paths import internal_sql
from edubalance.store.private import create_private, private_dir, private_file

HISTORY_DIR_NAME = "history"
# Tests only: seconds to sleep inside the staging step, so a test can kill an import midway.
SLOW_APPLY_ENV = "EDUBALANCE_TEST_SLOW_APPLY"
# Tests only: the name of a point of the import (KILL_POINTS) at which the process kills
# itself with SIGKILL, so a test can prove every moment leaves a whole database.
KILL_AT_ENV = "EDUBALANCE_TEST_KILL_AT"
KILL_POINTS = ("locked", "copied", "applied", "committed", "checkpointed", "backed_up", "replaced", "synced")


def _kill_point(name: str) -> None:
    if os.environ.get(KILL_AT_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)


Progress = Callable[[float, str], None]


def _no_progress(fraction: float, text: str) -> None:
    pass


@dataclass
class ImportResult:
    ok: bool
    problems: Problems
    rows: dict[str, int] = field(default_factory=dict)
    db_path: Path | None = None
    backup_path: Path | None = None
    counties: list[str] = field(default_factory=list)  # the 6-digit counties the workbook touches


def database_sha(db: Path) -> str:
    """The database's content fingerprint for preview-then-confirm; "" when there is none."""
    return sha256_of(db) if Path(db).is_file() else ""


@contextmanager
def import_lock(db: Path):
    """Serialise writers: one import (or restore) at a time per database file."""
    db.parent.mkdir(parents=True, exist_ok=True)
    lock = create_private(str(db) + ".lock")
    with open(lock, "a+") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def open_snapshot(db: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the file the path points at now (see db.connect)."""
    return connect(db)


class DatabaseUnreadable(Exception):
    """The database file exists but cannot be opened or read (not DuckDB, no permission)."""


def database_problem(db: Path) -> str | None:
    """Why the database at db cannot serve an import or a check, in Chinese; None when it can
    (a missing file is fine here: the importer creates it)."""
    db = Path(db)
    if db.is_dir():
        return f"数据库路径 {db} 是一个文件夹，不是数据库文件"
    if db.exists():
        if not db.is_file():
            return f"数据库路径 {db} 不是普通文件"
        if not os.access(db, os.R_OK):
            return f"没有读取数据库文件 {db} 的权限"
        with open(db, "rb") as f:
            head = f.read(16)
        if len(head) >= 12 and head[8:12] != b"DUCK":
            return f"{db} 不是 DuckDB 数据库文件（文件头不符）"
    return None


def read_existing(db: Path) -> Existing:
    problem = database_problem(db)
    if problem:
        raise DatabaseUnreadable(problem)
    if not db.exists():
        return Existing()
    try:
        return _read_existing(db)
    except (duckdb.Error, OSError) as exc:
        raise DatabaseUnreadable(f"数据库文件 {db} 无法读取（程序库信息：{str(exc)[:200]}）") from exc


def _read_existing(db: Path) -> Existing:
    con = open_snapshot(db)
    try:
        return existing_from(con)
    finally:
        con.close()


def load_in_memory(
    parsed: dict[str, Parsed], memory_limit: str | None = None, scratch: Path | None = None
) -> duckdb.DuckDBPyConnection:
    """A database holding validated tables the way an import writes them: registries, then
    the data, then the derived tables (which need both). In memory by default; with a
    memory_limit and a scratch folder, a file-backed database there that DuckDB keeps
    within the limit by spilling (the command-line check of a 200,000-row workbook stays
    under 500 MB)."""
    if memory_limit and scratch is not None:
        config = {
            "memory_limit": memory_limit,
            "threads": 1,
            "temp_directory": str(scratch / "spill"),
            "preserve_insertion_order": False,  # lets DuckDB stream inserts and spill more
        }
        con = duckdb.connect(str(scratch / "check.duckdb"), config=config)
    else:
        con = duckdb.connect()
    try:
        create_tables(con)
        refresh_reference(con)
        write_sheets(con, parsed, True)
        derive(con)
    except Exception:
        con.close()
        raise
    return con


def write_sheets(
    con: duckdb.DuckDBPyConnection, parsed: dict[str, Parsed], replace_years: bool, progress: Progress = _no_progress
) -> dict[str, int]:
    """Write the validated sheets: a yearly sheet replaces the (county, year) pairs it holds
    (never another county's rows), a master sheet the rows with the same keys. The statements
    name tables and columns from the schema, so they are built here rather than kept in
    queries/. Rows written per sheet."""
    rows = {}
    todo = [s for s in SHEETS if s.key in parsed]
    for i, sheet in enumerate(todo):
        progress(0.35 + 0.45 * i / max(len(todo), 1), f"写入“{sheet.zh}”（{len(parsed[sheet.key].frame)} 行）")
        new = typed_frame(parsed[sheet.key])  # noqa: F841 - read by DuckDB's replacement scan
        if sheet.yearly:
            delete_county_years(con, sheet, parsed[sheet.key].frame)
        else:
            match = " AND ".join(f"t.{k} IS NOT DISTINCT FROM n.{k}" for k in sheet.unique)
            con.execute(f"DELETE FROM {sheet.key} AS t WHERE EXISTS (SELECT 1 FROM new AS n WHERE {match})")
        con.execute(f"INSERT INTO {sheet.key} BY NAME SELECT * FROM new")
        rows[sheet.key] = len(new)
    return rows


def log_import(con, action, user, file_name, sha, rows, replaced_years, warnings, note="", counties=()):
    """Append one entry to import_log (the writers call it inside their staging transaction);
    `counties`: the 6-digit counties the entry changed."""
    con.execute(
        internal_sql("log_entry"),
        {
            "imported_at": dt.datetime.now().replace(microsecond=0),
            "action": action,
            "user_name": user,
            "file_name": file_name,
            "sha256": sha,
            "rows_json": json.dumps(rows, ensure_ascii=False),
            "replaced_years": ",".join(map(str, replaced_years)),
            "warnings": warnings,
            "note": note,
            "counties": ",".join(sorted(counties)),
        },
    )


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def swap_in(tmp: Path, db: Path) -> Path | None:
    """Keep the current file in history/ and atomically put tmp in its place."""
    _fsync(tmp)
    backup = None
    if db.exists():
        hist = private_dir(db.parent / HISTORY_DIR_NAME)
        stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S%f")
        backup = hist / f"{db.stem}-{stamp}.duckdb"
        try:
            os.link(db, backup)
        except OSError:
            shutil.copy2(db, backup)
    _kill_point("backed_up")
    os.replace(tmp, db)
    _kill_point("replaced")
    _fsync(db.parent)
    _kill_point("synced")
    return backup


def _staging_path(db: Path) -> Path:
    return db.parent / f".{db.name}.{os.getpid()}.tmp"


def _remove_stale_staging(db: Path) -> None:
    """Delete staging files left by a killed import. Only called under the import lock, when
    no other import can be staging, so every such file is garbage."""
    for leftover in db.parent.glob(f".{db.name}.*.tmp*"):
        try:
            leftover.unlink()
        except OSError:
            pass


def _slow_apply_for_tests() -> None:
    delay = os.environ.get(SLOW_APPLY_ENV)
    if delay:
        # Tell the test that the staging copy is being written, then hold the import there.
        print(f"{SLOW_APPLY_ENV}: staging", file=sys.stderr, flush=True)
        time.sleep(float(delay))


def stage_and_swap(
    db: Path,
    work,
    *,
    fresh: bool = False,
    source: Path | None = None,
    progress: Progress = _no_progress,
    counties: set[str] | None = None,
) -> Path | None:
    """Copy db (or `source`, or nothing when fresh), let work(con) change the copy, then swap
    it in. Returns the backup of the file it replaced. Call under `import_lock`.

    `counties`: the counties work() changes, whose derived rows alone are rebuilt; None (and
    any change of the derived SQL or registries since the file was built) rebuilds all."""
    _remove_stale_staging(db)
    _kill_point("locked")
    tmp = _staging_path(db)
    try:
        origin = source if source is not None else (None if fresh else db)
        if origin is not None and origin.exists():
            progress(0.3, "复制数据库副本")
            shutil.copy2(origin, tmp)
            _kill_point("copied")
        con = duckdb.connect(str(tmp))
        try:
            create_tables(con)
            con.execute("BEGIN TRANSACTION")
            fill_county_columns(con)
            built_with = con.execute("SELECT max(value) FROM meta WHERE key = 'reference_version'").fetchone()[0]
            refresh_reference(con)
            work(con)
            fill_county_columns(con)  # rows a restore copied from a file made before the column
            _kill_point("applied")
            progress(0.8, "计算派生指标")
            partial = counties is not None and built_with == reference_version() and not fresh
            derive(con, counties=sorted(counties) if partial else None)
            con.execute("COMMIT")
            _kill_point("committed")
            progress(0.85, "写入检查点")
            con.execute("CHECKPOINT")
            _kill_point("checkpointed")
        finally:
            con.close()
        private_file(tmp)  # a copy keeps its source's mode; DuckDB creates files with the umask
        progress(0.92, "切换数据库（旧版本保存在 history/）")
        return swap_in(tmp, db)
    finally:
        if tmp.exists():
            tmp.unlink()


def import_tables(
    tables: list[RawTable],
    db: Path,
    *,
    replace_years: bool = False,
    fresh: bool = False,
    user: str = "命令行",
    file_name: str = "",
    sha: str = "",
    action: str = "import",
    meta: dict[str, str] | None = None,
    note: str = "",
    progress: Progress | None = None,
    expect_sha: str | None = None,
    allowed_counties: set[str] | None = None,
) -> ImportResult:
    """Validate and import. With expect_sha (the database's sha256 when the admin saw the
    preview; "" for no database), refuse if the database changed since then. With
    allowed_counties (an editor bound to a county), refuse a workbook that touches any other
    county, whichever sheet or column names it."""
    db = Path(db)
    progress = progress or _no_progress
    progress(0.02, "等待其他导入完成")
    with import_lock(db):
        progress(0.05, "读取数据库现状")
        if expect_sha is not None and database_sha(db) != expect_sha:
            problems = Problems()
            problems.add(
                db.name, None, "", "", "预览之后数据库已被更改（他人导入或恢复了数据）；请重新预览后再确认导入"
            )
            return ImportResult(False, problems, db_path=db)
        try:
            existing = Existing() if fresh else read_existing(db)
        except DatabaseUnreadable as exc:
            problems = Problems()
            problems.add(db.name, None, "", "", str(exc))
            return ImportResult(False, problems, db_path=db)
        progress(0.15, "校验全部数据")
        parsed, problems = validate(tables, existing, replace_years=replace_years)
        touched = {c for p in parsed.values() if COUNTY_COL in p.frame for c in p.frame[COUNTY_COL].dropna()}
        if allowed_counties is not None and touched - set(allowed_counties):
            other = "、".join(sorted(touched - set(allowed_counties)))
            mine = "、".join(sorted(allowed_counties)) or "无"
            problems.add("", None, "", other, f"工作簿涉及县级区划代码 {other}，超出本账号可导入的范围（{mine}）")
        if problems.errors:
            return ImportResult(False, problems, db_path=db, counties=sorted(touched))
        per_county = replaced_years(parsed, existing)
        replaced = sorted(set().union(*per_county.values())) if per_county else []
        result = {}

        def work(con):
            result.update(write_sheets(con, parsed, replace_years, progress))
            _slow_apply_for_tests()
            warnings = len(problems.warnings)
            log_import(con, action, user, file_name, sha, result, replaced, warnings, note, touched)
            for key, value in (meta or {}).items():
                con.execute("DELETE FROM meta WHERE key = ?", [key])
                con.execute("INSERT INTO meta VALUES (?, ?)", [key, value])

        backup = stage_and_swap(db, work, fresh=fresh, progress=progress, counties=touched)
        history.after_swap(db, backup, user=user, action=action, detail=_audit_detail(file_name, sha, result, note))
        progress(1.0, "导入完成")
        return ImportResult(True, problems, result, db, backup, sorted(touched))


def read_or_problems(path: Path) -> tuple[list[RawTable], Problems]:
    """The file's raw tables, or none and the reason it cannot be read."""
    problems = Problems()
    try:
        return read_source(path), problems
    except UnreadableFile as exc:
        problems.add(path.name, None, "", "", str(exc))
        return [], problems
    except (Exception, RecursionError) as exc:  # a library failing on a hostile file: still a message
        problems.add(path.name, None, "", "", f"无法读取 {path.name}：{library_message(exc)}")
        return [], problems


def import_file(
    path: str | Path,
    db: Path,
    *,
    replace_years: bool = False,
    user: str = "命令行",
    fresh=False,
    action: str = "import",
    meta: dict[str, str] | None = None,
) -> ImportResult:
    path = Path(path)
    tables, problems = read_or_problems(path)
    if problems.errors:
        return ImportResult(False, problems, db_path=db)
    sha = sha256_of(path) if path.is_file() else ""
    return import_tables(
        tables,
        db,
        replace_years=replace_years,
        user=user,
        file_name=path.name,
        sha=sha,
        fresh=fresh,
        action=action,
        meta=meta,
    )


def refresh_if_outdated(db: Path) -> bool:
    """Rebuild views and registries in a database made by an older version of the code."""
    con = open_snapshot(db)
    try:
        try:
            current = con.execute("SELECT value FROM meta WHERE key = 'reference_version'").fetchone()
        except duckdb.Error:
            current = None
    finally:
        con.close()
    if current and current[0] == reference_version():
        return False
    with import_lock(db):
        backup = stage_and_swap(db, lambda con: None)
        history.after_swap(db, backup, user="系统", action="refresh", detail="代码或登记表更新后重算派生表")
    return True


def _audit_detail(file_name: str, sha: str, rows: dict, note: str) -> str:
    counts = "，".join(f"{k} {v} 行" for k, v in rows.items())
    parts = [file_name or "", counts, note, f"sha256 {sha[:16]}" if sha else ""]
    return "；".join(p for p in parts if p)


TASK_FORM_NAME = "任务进展表单"


def update_task(
    db: Path,
    target_id: str,
    status: str,
    *,
    user: str,
    note: str = "",
    owner: str = "",
    previous: str | None = None,
    on: dt.date | None = None,
    town_code: str = "",
    county: str = "",
    allowed_counties: set[str] | None = None,
) -> ImportResult:
    """Record one qualitative task's status (for the city, or for one town when town_code is
    given): a one-row 任务进展 table through the importer, so it is validated, swapped in
    atomically and logged with who and when. `county` (6 digits) is required when the
    database holds several counties and neither it nor town_code says which."""
    on = on or dt.date.today()
    frame = pd.DataFrame(
        [[target_id, on.isoformat(), status, note, owner, town_code, county]],
        columns=["任务编号", "更新日期", "状态", "说明", "责任单位", "区划代码", "县级区划代码"],
    )
    where = f"（{town_code or county}）" if town_code or county else ""
    change = f"{target_id}{where}：{previous or '（无记录）'} → {status}"
    return import_tables(
        tables_from_frames({"任务进展": frame}, TASK_FORM_NAME),
        db,
        user=user,
        file_name=TASK_FORM_NAME,
        action="task_update",
        note=change,
        allowed_counties=allowed_counties,
    )


__all__ = [
    "ImportResult",
    "import_file",
    "import_tables",
    "open_snapshot",
    "update_task",
    "SHEETS_BY_KEY",
]
