"""Restore only what the product wrote (issue 14, item 4): the sha256 manifest in the accounts
store, refusals with the live database byte-identical, rebuilt derived tables, the command
line, and retention."""

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from edubalance.access import accounts
from edubalance.ingest.importer import import_file
from edubalance.ingest.restore import backups, restore_backup
from edubalance.store import history
from edubalance.store.history import sha256_of
from tests.support.workbooks import oracle_frames, write_xlsx

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def two_versions(oracle_db, tmp_path, monkeypatch):
    """oracle_db after a second import: history/ holds the version with 2025 only."""
    monkeypatch.delenv(accounts.ACCOUNTS_ENV, raising=False)
    write_xlsx(oracle_frames(year=2026), tmp_path / "year2026.xlsx")
    assert import_file(tmp_path / "year2026.xlsx", oracle_db, user="甲").ok
    return oracle_db


def _years(db: Path) -> list[int]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return sorted(r[0] for r in con.execute("SELECT DISTINCT year FROM school_years").fetchall())
    finally:
        con.close()


def _plant(db: Path, stamp: str, build) -> Path:
    """A file someone put into history/ with a name that fits the pattern."""
    path = history.history_dir(db) / f"{db.stem}-{stamp}.duckdb"
    con = duckdb.connect(str(path))
    try:
        build(con)
    finally:
        con.close()
    return path


def _cli(*args) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != accounts.ACCOUNTS_ENV}
    return subprocess.run(
        [sys.executable, "-m", "edubalance", *args], cwd=ROOT, capture_output=True, text=True, env=env
    )


def test_a_genuine_version_restores_and_its_sha256_was_recorded_when_written(two_versions):
    db = two_versions
    [version] = backups(db)
    entry = history.recorded(db, version.name)
    assert entry["sha256"] == sha256_of(version) and entry["made_by"] == "命令行" and entry["years"] == "2025"
    assert _years(db) == [2025, 2026]
    store = accounts.store_path(db=db)
    accounts.add(store, "乙", "editor", "$2b$04$" + "x" * 53, by="测试")
    people = accounts.list_accounts(store)[["name", "role", "enabled"]]
    result = restore_backup(db, version, user="乙")
    assert result.ok, [p.reason for p in result.problems.errors]
    assert _years(db) == [2025]
    assert accounts.list_accounts(store)[["name", "role", "enabled"]].equals(people)  # accounts live elsewhere
    con = duckdb.connect(str(db), read_only=True)
    try:  # derived tables rebuilt for the restored data
        assert con.execute("SELECT DISTINCT year FROM d_segments").fetchall() == [(2025,)]
    finally:
        con.close()
    log = accounts.audit_log(accounts.store_path(db=db))
    assert log.iloc[0]["action"] == "restore" and log.iloc[0]["account"] == "乙"
    assert "已校验" in log.iloc[0]["detail"]


def test_a_version_altered_after_it_was_written_is_refused(two_versions):
    db = two_versions
    [version] = backups(db)
    recorded = history.recorded(db, version.name)["sha256"]
    con = duckdb.connect(str(version))  # an edit that keeps a perfectly valid database
    con.execute("UPDATE schools SET school_name = '被改过的学校'")
    con.execute("CHECKPOINT")
    con.close()
    assert sha256_of(version) != recorded
    live = sha256_of(db)
    assert history.list_versions(db).iloc[0]["status"] == "已被改动"
    result = restore_backup(db, version, user="乙")
    assert not result.ok and "sha256 与记录不符" in result.problems.errors[0].reason
    assert sha256_of(db) == live
    # Not even from the command line with --allow-unverified: it was verified, and it fails.
    out = _cli("restore", version.name, "--db", str(db), "--allow-unverified")
    assert out.returncode == 1 and "sha256 与记录不符" in out.stderr and "数据库未改动" in out.stderr
    assert sha256_of(db) == live
    log = accounts.audit_log(accounts.store_path(db=db))
    assert list(log["action"][:2]) == ["restore_refused", "restore_refused"]


def test_a_file_the_product_never_wrote_is_refused_even_when_listed_first(two_versions):
    db = two_versions
    live = sha256_of(db)
    genuine = backups(db)[0]
    # A copy of a real database, planted with a future timestamp: valid content, no record.
    planted = history.history_dir(db) / f"{db.stem}-29991231T235959000000.duckdb"
    shutil.copy(db, planted)
    listed = history.list_versions(db)
    assert listed.iloc[0]["version"] == planted.name and listed.iloc[0]["status"] == "未校验"
    assert listed.iloc[1]["version"] == genuine.name and listed.iloc[1]["status"] == "已校验"
    result = restore_backup(db, planted, user="乙")
    assert not result.ok and result.problems.errors[0].reason.startswith("未校验")
    assert sha256_of(db) == live


def test_unverified_restore_on_the_command_line_still_checks_the_content(two_versions):
    db = two_versions
    live = sha256_of(db)

    def view_over_a_server_file(con):
        con.execute("CREATE VIEW towns AS SELECT content AS town_name FROM read_text('/etc/hostname')")

    planted = _plant(db, "29990101T000000000000", view_over_a_server_file)
    out = _cli("restore", planted.name, "--db", str(db), "--allow-unverified")
    assert out.returncode == 1 and "不是基本表" in out.stderr
    assert sha256_of(db) == live

    # An old copy with valid base tables but a hostile view and a forged derived table:
    # restorable with --allow-unverified, and only its data survives.
    old = history.history_dir(db) / f"{db.stem}-20200101T000000000000.duckdb"
    shutil.copy(backups(db)[-1], old)
    con = duckdb.connect(str(old))
    con.execute("CREATE OR REPLACE VIEW v_town_values AS SELECT 'forged' AS town_name")
    con.execute("CREATE OR REPLACE TABLE d_segments AS SELECT 1 AS forged")
    con.close()
    assert _cli("restore", old.name, "--db", str(db)).returncode == 1  # without the flag: refused
    out = _cli("restore", old.name, "--db", str(db), "--allow-unverified")
    assert out.returncode == 0, out.stderr
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert "forged" not in [c[0] for c in con.execute("DESCRIBE d_segments").fetchall()]
        columns = [c[0] for c in con.execute("DESCRIBE v_town_values").fetchall()]
        assert "town_code" in columns and "town_name" not in columns  # the product's view, not the file's
    finally:
        con.close()
    log = accounts.audit_log(accounts.store_path(db=db))
    assert log.iloc[0]["action"] == "restore" and "未校验" in log.iloc[0]["detail"]
    assert log.iloc[0]["account"] == accounts.os_user() and log.iloc[0]["channel"] == "cli"


def test_restore_list_is_tab_separated_newest_first(two_versions):
    db = two_versions
    restore_backup(db, backups(db)[0], user="乙")  # two genuine versions now
    shutil.copy(db, history.history_dir(db) / f"{db.stem}-20000101T000000000000.duckdb")
    out = _cli("restore", "--list", "--db", str(db))
    assert out.returncode == 0, out.stderr
    rows = [line.split("\t") for line in out.stdout.splitlines()]
    assert [r[0] for r in rows] == [p.name for p in backups(db)] and len(rows) == 3
    assert [r[4] for r in rows] == ["已校验", "已校验", "未校验"]
    assert [r[2] for r in rows[:2]] == ["甲", "命令行"]  # who made each version
    assert all(int(r[3]) == (history.history_dir(db) / r[0]).stat().st_size for r in rows)
    dt.datetime.strptime(rows[0][1], "%Y-%m-%d %H:%M:%S")
    assert "MB" in out.stderr


def test_county_bound_restore_refuses_another_county(two_versions):
    db = two_versions
    live = sha256_of(db)
    result = restore_backup(db, backups(db)[0], user="乙", county="999999")
    assert not result.ok and "999999" in result.problems.errors[0].reason
    assert sha256_of(db) == live


def test_retention_keeps_the_newest_and_the_last_of_each_school_year():
    names = [
        "x-20270105T000000.duckdb",  # school year 2026
        "x-20261001T000000.duckdb",  # 2026
        "x-20260820T000000.duckdb",  # 2025 (before 1 September)
        "x-20260301T000000.duckdb",  # 2025
        "x-20250910T000000.duckdb",  # 2025
        "x-20250101T000000.duckdb",  # 2024
        "x-20241201T000000.duckdb",  # 2024
    ]
    assert history.to_prune(names, keep=2, yearly=True) == [names[3], names[4], names[6]]
    assert history.to_prune(names, keep=2, yearly=False) == names[2:]
    assert history.to_prune(names, keep=20, yearly=True) == []


def test_history_is_bounded(oracle_db, tmp_path, monkeypatch):
    monkeypatch.delenv(accounts.ACCOUNTS_ENV, raising=False)
    monkeypatch.setenv(history.KEEP_ENV, "3")
    write_xlsx(oracle_frames(year=2026), tmp_path / "y.xlsx")
    for _ in range(5):
        assert import_file(tmp_path / "y.xlsx", oracle_db, replace_years=True, user="甲").ok
    kept = backups(oracle_db)
    assert len(kept) == 3  # 5 written, all in one school year: the newest 3 kept
    assert history.disk_used(oracle_db) == sum(p.stat().st_size for p in kept)
    log = accounts.audit_log(accounts.store_path(db=oracle_db))
    assert (log["action"] == "history_prune").sum() == 2
