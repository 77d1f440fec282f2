"""SIGKILL at every named point of an import (lock taken, copy made, rows applied, committed,
checkpointed, old file kept in history/, new file swapped in, directory synced): the database
that remains opens and holds either exactly the old content or exactly the new one."""

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from edubalance.ingest.importer import KILL_AT_ENV, KILL_POINTS, SLOW_APPLY_ENV, import_file, open_snapshot
from edubalance.model.schema import SHEETS
from edubalance.store.history import sha256_of
from tests.support.workbooks import oracle_frames, write_xlsx

ROOT = Path(__file__).resolve().parents[2]
BEFORE_SWAP = KILL_POINTS[: KILL_POINTS.index("replaced")]


def content(db: Path) -> tuple:
    """Every data table's rows, and the import log without its time stamps."""
    con = open_snapshot(db)
    try:
        tables = tuple(
            tuple(con.execute(f"SELECT * FROM {s.key} ORDER BY ALL").fetchall()) for s in SHEETS
        )  # keys from schema.py
        log = tuple(con.execute("SELECT id, action, file_name, rows_json FROM import_log ORDER BY id").fetchall())
        return tables, log
    finally:
        con.close()


@pytest.fixture(scope="module")
def states(tmp_path_factory):
    """The old database, the workbook, and the content an import of it produces."""
    from edubalance.ingest.importer import import_tables
    from edubalance.ingest.reading import tables_from_frames

    tmp = tmp_path_factory.mktemp("kill")
    old = tmp / "old.duckdb"
    assert import_tables(tables_from_frames(oracle_frames()), old).ok
    book = tmp / "year2026.xlsx"
    write_xlsx(oracle_frames(year=2026), book)
    new = tmp / "new" / "new.duckdb"
    new.parent.mkdir()
    shutil.copy2(old, new)
    assert import_file(book, new).ok
    return old, book, content(old), content(new)


@pytest.mark.parametrize("point", KILL_POINTS)
def test_sigkill_at_each_point_leaves_old_or_new(point, states, tmp_path):
    old, book, old_content, new_content = states
    db = tmp_path / "live.duckdb"
    shutil.copy2(old, db)
    before = sha256_of(db)
    env = {k: v for k, v in os.environ.items() if k not in (SLOW_APPLY_ENV, KILL_AT_ENV)}
    env[KILL_AT_ENV] = point
    cmd = [sys.executable, "-m", "edubalance", "import", str(book), "--db", str(db)]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stdout + proc.stderr
    now = content(db)
    if point in BEFORE_SWAP:
        assert sha256_of(db) == before  # not a byte changed
        assert now == old_content
    else:
        assert now == new_content
    # The next import is not blocked by the dead one's lock or staging file.
    env.pop(KILL_AT_ENV)
    again = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    if point in BEFORE_SWAP:
        assert again.returncode == 0, again.stdout + again.stderr
        assert content(db)[0] == new_content[0]
    else:
        assert again.returncode == 1 and "已有 2026 学年" in again.stdout  # it is already in
    assert not list(db.parent.glob(f".{db.name}.*.tmp*"))
