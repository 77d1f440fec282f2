"""Building a database from scratch: from the demo recipe or from a workbook."""

from __future__ import annotations

import hashlib
from pathlib import Path

from edubalance.demo.recipe import build_demo_tables
from edubalance.ingest.importer import ImportResult, import_file, import_tables
from edubalance.ingest.reading import tables_from_frames

DEMO_FILE_NAME = "演示数据配方"


def demo_tables():
    frames = build_demo_tables()
    h = hashlib.sha256()
    for name, df in frames.items():
        h.update(name.encode())
        h.update(df.to_csv(index=False).encode())
    return tables_from_frames(frames, DEMO_FILE_NAME), h.hexdigest()


def build_database(db: Path, workbook: str | Path | None = None, user: str | None = None) -> ImportResult:
    """A fresh database (the previous file, if any, is kept in history/). `user`: who builds it
    (the command line passes the operating-system user)."""
    db = Path(db)
    if workbook is None:
        tables, sha = demo_tables()
        return import_tables(
            tables,
            db,
            fresh=True,
            user=user or "系统",
            file_name=DEMO_FILE_NAME,
            sha=sha,
            action="build",
            meta={"demo": "1"},
        )
    return import_file(workbook, db, fresh=True, user=user or "命令行", action="build", meta={"demo": "0"})
