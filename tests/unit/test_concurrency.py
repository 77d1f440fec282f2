"""Readers during imports, imports killed with SIGKILL, imports at the same time, and the
app's cached connections after a swap."""

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest

from edubalance.ingest.importer import SLOW_APPLY_ENV, import_file, open_snapshot
from edubalance.store import db as dbmod
from edubalance.store.history import sha256_of
from tests.support.workbooks import ORACLE_P, oracle_frames, write_xlsx

ROOT = Path(__file__).resolve().parents[2]
BASE_STUDENTS = sum(ORACLE_P)


def _version_workbook(tmp: Path, version: int) -> Path:
    """School year 2025 again, every school with `version` more pupils (so the sum tells the version)."""
    frames = oracle_frames(year=2025)
    frames["学校年度"]["在校生数"] = [str(p + version) for p in ORACLE_P]
    path = tmp / f"v{version}.xlsx"
    write_xlsx(frames, path)
    return path


def _state(con) -> tuple[int, int]:
    """(number of log entries, primary pupils in 2025) read through one connection."""
    log = dbmod.run("import_history", con=con)
    schools = dbmod.run("school_list", {"year": 2025}, con=con)
    return len(log), int(schools["students"].sum())


def test_readers_see_old_or_new_never_an_error_or_a_mixture(oracle_db, tmp_path):
    books = [_version_workbook(tmp_path, v) for v in range(1, 4)]
    done = threading.Event()
    seen: dict[str, set] = {"snapshot": set(), "plain": set()}
    errors: list[str] = []

    def reader(kind: str):
        while not done.is_set():
            try:
                con = open_snapshot(oracle_db) if kind == "snapshot" else dbmod.connect(oracle_db)
                try:
                    n_log, students = _state(con)
                finally:
                    con.close()
                # Version v was logged as entry v + 1 (the build is entry 1): both figures
                # must come from the same file.
                if students != BASE_STUDENTS + 5 * (n_log - 1):
                    errors.append(f"mixture: {n_log} log entries but {students} pupils")
                seen[kind].add(n_log)
            except Exception as exc:  # any error at all fails the test
                errors.append(f"{kind}: {type(exc).__name__}: {exc}")
            time.sleep(0.05)  # like page views, not a busy loop starving the importer of the GIL

    threads = [threading.Thread(target=reader, args=(k,)) for k in ("snapshot", "plain", "snapshot")]
    for t in threads:
        t.start()
    try:
        for path in books:
            result = import_file(path, oracle_db, replace_years=True)
            assert result.ok, [p.line() for p in result.problems.errors]
            time.sleep(0.2)
    finally:
        done.set()
        for t in threads:
            t.join(timeout=30)
    assert not errors, errors[:5]
    # Snapshot readers follow the swaps; the final state is the last import.
    assert len(seen["snapshot"]) >= 2, seen
    con = open_snapshot(oracle_db)
    assert _state(con) == (4, BASE_STUDENTS + 5 * 3)
    con.close()


def _import_cmd(path: Path, db: Path, *extra) -> list[str]:
    return [sys.executable, "-m", "edubalance", "import", str(path), "--db", str(db), *extra]


def _env(delay: float | None) -> dict:
    env = dict(os.environ)
    env.pop(SLOW_APPLY_ENV, None)
    if delay is not None:
        env[SLOW_APPLY_ENV] = str(delay)
    return env


def _wait_for_staging(proc: subprocess.Popen, timeout: float = 120) -> None:
    """Block until the importer says it is inside its staging step."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        line = proc.stderr.readline()
        if f"{SLOW_APPLY_ENV}: staging" in line:
            return
        if not line and proc.poll() is not None:
            raise AssertionError(f"import ended before staging: {proc.returncode}")
    raise AssertionError("import never reached its staging step")


def test_sigkill_during_import_leaves_the_previous_database(oracle_db, tmp_path):
    path = tmp_path / "year2026.xlsx"
    write_xlsx(oracle_frames(year=2026), path)
    before = sha256_of(oracle_db)
    proc = subprocess.Popen(
        _import_cmd(path, oracle_db), cwd=ROOT, env=_env(60), stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        _wait_for_staging(proc)
        stale = list(oracle_db.parent.glob(f".{oracle_db.name}.*.tmp*"))
        assert stale, "the killed import should have a staging copy on disk"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    # The previous database: byte-identical and usable.
    assert sha256_of(oracle_db) == before
    con = open_snapshot(oracle_db)
    assert len(dbmod.run("balance_cv", {"year": 2025}, con=con)) == 7
    con.close()
    assert list(oracle_db.parent.glob(f".{oracle_db.name}.*.tmp*")), "staging garbage is left by SIGKILL"
    # The next import neither hangs on the dead process's lock nor trips over its staging file.
    out = subprocess.run(
        _import_cmd(path, oracle_db), cwd=ROOT, env=_env(None), capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert not list(oracle_db.parent.glob(f".{oracle_db.name}.*.tmp*"))
    con = duckdb.connect(str(oracle_db), read_only=True)
    assert [r[0] for r in con.execute("SELECT DISTINCT year FROM school_years ORDER BY 1").fetchall()] == [2025, 2026]
    con.close()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sigkill_at_a_random_moment_leaves_old_or_new(oracle_db, tmp_path, seed):
    path = tmp_path / "year2026.xlsx"
    write_xlsx(oracle_frames(year=2026), path)
    before = sha256_of(oracle_db)
    # Measure how long an import takes here, then kill a second one somewhere inside that.
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(oracle_db.read_bytes())
    start = time.time()
    assert subprocess.run(_import_cmd(path, copy), cwd=ROOT, env=_env(None), capture_output=True).returncode == 0
    duration = time.time() - start
    after = sha256_of(copy)  # not comparable byte-wise (time stamps), only as a sanity value
    assert after != before
    proc = subprocess.Popen(_import_cmd(path, oracle_db), cwd=ROOT, env=_env(None), stdout=subprocess.DEVNULL)
    time.sleep(random.Random(seed).uniform(0.3, 1.0) * duration)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    con = open_snapshot(oracle_db)
    years = [r[0] for r in con.execute("SELECT DISTINCT year FROM school_years ORDER BY 1").fetchall()]
    n_log = con.execute("SELECT count(*) FROM import_log").fetchone()[0]
    con.close()
    if sha256_of(oracle_db) == before:
        assert (years, n_log) == ([2025], 1)  # killed before the swap: the old file
    else:
        assert (years, n_log) == ([2025, 2026], 2)  # killed after the swap: the whole new file


def test_two_imports_at_once_are_serialised(oracle_db, tmp_path):
    paths = []
    for year in (2026, 2027):
        paths.append(tmp_path / f"year{year}.xlsx")
        write_xlsx(oracle_frames(year=year), paths[-1])
    procs = [
        subprocess.Popen(
            _import_cmd(p, oracle_db), cwd=ROOT, env=_env(2), stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for p in paths
    ]
    for p in procs:
        p.wait(timeout=300)
        assert p.returncode == 0, p.stderr.read().decode()
    con = duckdb.connect(str(oracle_db), read_only=True)
    years = [r[0] for r in con.execute("SELECT DISTINCT year FROM school_years ORDER BY 1").fetchall()]
    files = sorted(
        r[0] for r in con.execute("SELECT file_name FROM import_log WHERE file_name LIKE 'year%'").fetchall()
    )
    con.close()
    # Interleaved, the second copy would have been taken before the first swap: one year lost.
    assert years == [2025, 2026, 2027]
    assert files == ["year2026.xlsx", "year2027.xlsx"]


def test_swap_under_a_running_app_is_picked_up_after_forget(oracle_db, tmp_path, monkeypatch):
    """The app reads through data.query: a cached read-only connection per file signature."""
    from edubalance.ui import data

    monkeypatch.setenv("EDUBALANCE_DB", str(oracle_db))
    data.forget_connections()
    assert len(data.query("import_history")) == 1
    path = tmp_path / "year2026.xlsx"
    write_xlsx(oracle_frames(year=2026), path)
    assert import_file(path, oracle_db).ok
    data.forget_connections()  # what the 数据管理 page does after its own imports and restores
    assert len(data.query("import_history")) == 2
    assert sorted(data.query("school_years_available")["year"]) == [2025, 2026]
    data.forget_connections()


def test_swap_from_another_process_is_picked_up_without_help(oracle_db, tmp_path, monkeypatch):
    from edubalance.ui import data

    monkeypatch.setenv("EDUBALANCE_DB", str(oracle_db))
    data.forget_connections()
    try:
        assert len(data.query("import_history")) == 1
        path = tmp_path / "year2026.xlsx"
        write_xlsx(oracle_frames(year=2026), path)
        out = subprocess.run(_import_cmd(path, oracle_db), cwd=ROOT, env=_env(None), capture_output=True)
        assert out.returncode == 0
        assert len(data.query("import_history")) == 2
    finally:
        data.forget_connections()
