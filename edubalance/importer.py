"""Import: validate → stage into a new database file → atomic swap.

The live database file is never written in place. An import copies it, applies the new
rows to the copy, checkpoints and fsyncs it, keeps the old file in `history/` (a hard link)
and swaps the copy in with `os.replace`. Readers holding the old file keep reading it; new
readers see the new one; a crash at any point leaves the old file in place. Imports are
serialised with an advisory lock on a separate `.lock` file, so a rejected import leaves
the database byte-identical.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
import shutil
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from . import registry
from .paths import ROOT
from .problems import Problems
from .reading import RawTable, UnreadableFile, read_source
from .schema import AREAS, CLASS_BANDS, SHEETS, SHEETS_BY_KEY, UR_AREAS
from .validate import Existing, Parsed, typed_frame, validate

VIEWS_SQL = ROOT / "edubalance" / "sql" / "views.sql"
HISTORY_DIR_NAME = "history"


@dataclass
class ImportResult:
    ok: bool
    problems: Problems
    rows: dict[str, int] = field(default_factory=dict)
    db_path: Path | None = None
    backup_path: Path | None = None


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@contextmanager
def import_lock(db: Path):
    """Serialise writers: one import (or restore) at a time per database file."""
    db.parent.mkdir(parents=True, exist_ok=True)
    with open(str(db) + ".lock", "a+") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def read_existing(db: Path) -> Existing:
    if not db.exists():
        return Existing()
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        ex = Existing()
        if "towns" in tables:
            ex.towns = {r[0] for r in con.execute("SELECT town_code FROM towns").fetchall()}
            prefixes = {c[:6] for c in ex.towns}
            ex.county = prefixes.pop() if len(prefixes) == 1 else None
        if "schools" in tables:
            ex.schools = dict(con.execute("SELECT school_id, school_type FROM schools").fetchall())
        for sheet in SHEETS:
            if sheet.yearly and sheet.key in tables:
                ex.years[sheet.key] = {r[0] for r in con.execute(f"SELECT DISTINCT year FROM {sheet.key}").fetchall()}
        return ex
    finally:
        con.close()


def _create_tables(con: duckdb.DuckDBPyConnection) -> None:
    for sheet in SHEETS:
        cols = ", ".join(f"{c.key} {c.sql_type}" for c in sheet.columns)
        con.execute(f"CREATE TABLE IF NOT EXISTS {sheet.key} ({cols})")
    con.execute(
        """CREATE TABLE IF NOT EXISTS import_log (
            id INTEGER, imported_at TIMESTAMP, action VARCHAR, user_name VARCHAR,
            file_name VARCHAR, sha256 VARCHAR, rows_json VARCHAR, replaced_years VARCHAR,
            warnings INTEGER, note VARCHAR)"""
    )
    con.execute("CREATE TABLE IF NOT EXISTS meta (key VARCHAR, value VARCHAR)")


def refresh_reference(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)load the registries and classification tables, then the shared views."""
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
    con.execute(VIEWS_SQL.read_text(encoding="utf-8"))
    con.execute("DELETE FROM meta WHERE key = 'reference_version'")
    con.execute("INSERT INTO meta VALUES ('reference_version', ?)", [reference_version()])


def reference_version() -> str:
    """A fingerprint of the views and registries; a database built with others is refreshed."""
    h = hashlib.sha256(VIEWS_SQL.read_bytes())
    for name in registry.REGISTRIES.values():
        h.update((registry.DATA_DIR / name).read_bytes())
    return h.hexdigest()[:16]


def _apply(con: duckdb.DuckDBPyConnection, parsed: dict[str, Parsed], replace_years: bool) -> dict[str, int]:
    rows = {}
    for sheet in SHEETS:
        if sheet.key not in parsed:
            continue
        new = typed_frame(parsed[sheet.key])  # noqa: F841 - read by DuckDB's replacement scan
        if sheet.yearly:
            con.execute(f"DELETE FROM {sheet.key} WHERE year IN (SELECT DISTINCT year FROM new)")
        else:
            match = " AND ".join(f"t.{k} IS NOT DISTINCT FROM n.{k}" for k in sheet.unique)
            con.execute(f"DELETE FROM {sheet.key} AS t WHERE EXISTS (SELECT 1 FROM new AS n WHERE {match})")
        con.execute(f"INSERT INTO {sheet.key} BY NAME SELECT * FROM new")
        rows[sheet.key] = len(new)
    return rows


def _log(con, action, user, file_name, sha, rows, replaced_years, warnings, note=""):
    next_id = con.execute("SELECT coalesce(max(id), 0) + 1 FROM import_log").fetchone()[0]
    con.execute(
        "INSERT INTO import_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            next_id,
            dt.datetime.now().replace(microsecond=0),
            action,
            user,
            file_name,
            sha,
            json.dumps(rows, ensure_ascii=False),
            ",".join(map(str, replaced_years)),
            warnings,
            note,
        ],
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
        hist = db.parent / HISTORY_DIR_NAME
        hist.mkdir(exist_ok=True)
        stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S%f")
        backup = hist / f"{db.stem}-{stamp}.duckdb"
        try:
            os.link(db, backup)
        except OSError:
            shutil.copy2(db, backup)
    os.replace(tmp, db)
    _fsync(db.parent)
    return backup


def _staging_path(db: Path) -> Path:
    return db.parent / f".{db.name}.{os.getpid()}.tmp"


def stage_and_swap(db: Path, work, *, fresh: bool = False) -> Path | None:
    """Copy db (unless fresh), let work(con) change the copy, then swap it in. Returns the backup."""
    tmp = _staging_path(db)
    if tmp.exists():
        tmp.unlink()
    try:
        if db.exists() and not fresh:
            shutil.copy2(db, tmp)
        con = duckdb.connect(str(tmp))
        try:
            _create_tables(con)
            con.execute("BEGIN TRANSACTION")
            refresh_reference(con)
            work(con)
            con.execute("COMMIT")
            con.execute("CHECKPOINT")
        finally:
            con.close()
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
) -> ImportResult:
    db = Path(db)
    with import_lock(db):
        existing = Existing() if fresh else read_existing(db)
        parsed, problems = validate(tables, existing, replace_years=replace_years)
        if problems.errors:
            return ImportResult(False, problems, db_path=db)
        years = sorted(
            set().union(
                *[set(parsed[s.key].frame["year"].dropna().astype(int)) for s in SHEETS if s.yearly and s.key in parsed]
            )
        )
        replaced = sorted(set(years) & set().union(*existing.years.values())) if existing.years else []
        result = {}

        def work(con):
            result.update(_apply(con, parsed, replace_years))
            _log(con, action, user, file_name, sha, result, replaced, len(problems.warnings))
            for key, value in (meta or {}).items():
                con.execute("DELETE FROM meta WHERE key = ?", [key])
                con.execute("INSERT INTO meta VALUES (?, ?)", [key, value])

        backup = stage_and_swap(db, work, fresh=fresh)
        return ImportResult(True, problems, result, db, backup)


def import_file(
    path: str | Path, db: Path, *, replace_years: bool = False, user: str = "命令行", fresh=False
) -> ImportResult:
    path = Path(path)
    try:
        tables = read_source(path)
    except UnreadableFile as exc:
        problems = Problems()
        problems.add(path.name, None, "", "", str(exc))
        return ImportResult(False, problems, db_path=db)
    sha = sha256_of(path) if path.is_file() else ""
    return import_tables(tables, db, replace_years=replace_years, user=user, file_name=path.name, sha=sha, fresh=fresh)


def check_file(path: str | Path, db: Path | None = None) -> Problems:
    """Validate only (against the database when given); nothing is written."""
    path = Path(path)
    try:
        tables = read_source(path)
    except UnreadableFile as exc:
        problems = Problems()
        problems.add(path.name, None, "", "", str(exc))
        return problems
    existing = read_existing(db) if db is not None else Existing()
    return validate(tables, existing, replace_years=True)[1]


def refresh_if_outdated(db: Path) -> bool:
    """Rebuild views and registries in a database made by an older version of the code."""
    con = duckdb.connect(str(db), read_only=True)
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
        stage_and_swap(db, lambda con: None)
    return True


__all__ = ["ImportResult", "import_file", "import_tables", "check_file", "SHEETS_BY_KEY"]
