"""Accounts, the lockout, the audit log and file modes (issue 14, items 1—3 and 6).

The accounts store is an SQLite file outside the data database; these tests drive it through
the command line (as an operator would), through auth.authenticate (as the login page does)
and from several threads and processes at once.
"""

import os
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import bcrypt
import pytest

from edubalance.access import accounts, auth, permissions

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.delenv(auth.HASH_ENV, raising=False)
    monkeypatch.delenv(auth.TRUSTED_PROXY_ENV, raising=False)
    monkeypatch.setenv(auth.SECRETS_ENV, str(tmp_path / "secrets.toml"))
    monkeypatch.setenv(accounts.ACCOUNTS_ENV, str(tmp_path / "accounts.sqlite"))
    return tmp_path / "accounts.sqlite"


def _cli(*args, stdin: str = "", env_extra: dict | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != auth.HASH_ENV}
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, "-m", "edubalance", *args], cwd=ROOT, input=stdin, capture_output=True, text=True, env=env
    )


def _hash(password: str, rounds: int = 4) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds)).decode()


def _private(path: Path) -> bool:
    return stat.S_IMODE(path.stat().st_mode) & 0o077 == 0


# ---- the command line -----------------------------------------------------------------------


def test_user_commands_store_only_hashes_mode_600_and_are_audited_under_the_os_user(store):
    acc = ["--accounts", str(store)]
    out = _cli("user", "add", "王五", "--role", "editor", "--county", "440783", *acc, stdin="王五的密码-2026\n")
    assert out.returncode == 0, out.stderr
    assert _private(store)
    raw = store.read_bytes()
    assert "王五的密码-2026".encode() not in raw and b"$2b$12$" in raw  # bcrypt, cost 12
    assert "王五的密码-2026" not in out.stdout + out.stderr
    # Refused: a duplicate, a short password, a bad role, a bad county code.
    assert _cli("user", "add", "王五", "--role", "viewer", *acc, stdin="another-long-pw\n").returncode == 1
    assert "至少" in _cli("user", "add", "赵六", "--role", "viewer", *acc, stdin="short\n").stderr
    assert _cli("user", "add", "赵六", "--role", "root", *acc, stdin="another-long-pw\n").returncode == 2
    bad = _cli("user", "add", "赵六", "--role", "editor", "--county", "4407", *acc, stdin="another-long-pw\n")
    assert bad.returncode == 1 and "6 位数字" in bad.stderr
    bad = _cli("user", "add", "<b>x</b>", "--role", "viewer", *acc, stdin="another-long-pw\n")
    assert bad.returncode == 1
    listed = _cli("user", "list", *acc).stdout.splitlines()
    assert [line.split("\t")[:5] for line in listed] == [["王五", "editor", "数据管理员", "440783", "启用"]]

    assert auth.authenticate(store, "王五", "王五的密码-2026").ok
    assert _cli("user", "set-password", "王五", *acc, stdin="新的密码-abcdef\n").returncode == 0
    assert not auth.authenticate(store, "王五", "王五的密码-2026").ok
    assert auth.authenticate(store, "王五", "新的密码-abcdef").ok
    assert _cli("user", "disable", "王五", *acc).returncode == 0
    assert not auth.authenticate(store, "王五", "新的密码-abcdef").ok
    assert _cli("user", "disable", "无此人", *acc).returncode == 1

    log = accounts.audit_log(store)
    me = accounts.os_user()
    changes = log[log["action"].str.startswith("account_")]
    assert list(changes["action"])[::-1] == ["account_add", "account_password", "account_disable"]
    assert set(changes["account"]) == {me} and set(changes["channel"]) == {"cli"}
    assert "440783" in changes.iloc[-1]["detail"]


def test_there_is_no_default_account(store):
    assert not auth.is_configured(store)
    for name, password in (("admin", "admin"), ("admin", ""), ("root", "root"), ("管理员", "123456")):
        assert not auth.authenticate(store, name, password).ok


def test_bootstrap_hash_is_the_account_admin_until_a_stored_admin_takes_the_name(store, monkeypatch):
    monkeypatch.setenv(auth.HASH_ENV, _hash("bootstrap-pw-1"))
    assert auth.is_configured(store)
    result = auth.authenticate(store, "admin", "bootstrap-pw-1")
    assert result.ok and result.account.bootstrap and result.account.role == "admin"
    accounts.add(store, "admin", "viewer", _hash("stored-pw-123"), by="测试")
    assert not auth.authenticate(store, "admin", "bootstrap-pw-1").ok
    assert auth.authenticate(store, "admin", "stored-pw-123").account.role == "viewer"


# ---- the lockout ----------------------------------------------------------------------------


def test_ten_simultaneous_wrong_passwords_get_five_checks_then_the_right_one_waits(store, monkeypatch):
    monkeypatch.setenv(accounts.LOCK_SECONDS_ENV, "3")
    accounts.add(store, "甲", "admin", _hash("right-password-1", rounds=10), by="测试")
    start = threading.Barrier(10)
    results = []

    def guess(i):
        start.wait()
        results.append(auth.authenticate(store, "甲", f"wrong-{i}"))

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    log = accounts.audit_log(store)
    assert list(log["action"]).count("login_failed") == 5  # bcrypt ran five times
    assert list(log["action"]).count("login_locked") == 5  # refused before bcrypt
    assert sum(r.wait > 0 for r in results) == 5
    refused = auth.authenticate(store, "甲", "right-password-1")
    assert not refused.ok and refused.wait > 0 and "锁定" in refused.message
    time.sleep(3.2)
    assert auth.authenticate(store, "甲", "right-password-1").ok
    assert accounts.count_attempts(store, "甲") == 0  # a success restarts the count


def test_the_count_survives_a_restart_and_is_shared_by_processes(store):
    accounts.add(store, "乙", "editor", _hash("right-password-2"), by="测试")
    code = (
        "import sys; from pathlib import Path; from edubalance.access import auth; "
        "r = auth.authenticate(Path(sys.argv[1]), '乙', 'wrong'); print(r.wait > 0)"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code, str(store)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
        for _ in range(7)
    ]
    outputs = [p.communicate(timeout=120)[0].strip() for p in procs]
    assert sorted(outputs) == ["False"] * 5 + ["True"] * 2
    assert accounts.locked_for(store, "乙") > 0  # this process (a "restart") sees the lock
    assert not auth.authenticate(store, "乙", "right-password-2").ok
    out = _cli("user", "unlock", "乙", "--accounts", str(store))
    assert out.returncode == 0 and "清除 5 次" in out.stdout
    assert auth.authenticate(store, "乙", "right-password-2").ok


def test_client_address_only_from_a_trusted_proxy_and_throttled_per_address(store, monkeypatch):
    headers = {"X-Forwarded-For": "6.6.6.6, 10.1.2.3"}  # the client wrote the first entry
    assert auth.client_address(headers) is None  # no proxy configured: the header is not trusted
    monkeypatch.setenv(auth.TRUSTED_PROXY_ENV, "1")
    assert auth.client_address(headers) == "10.1.2.3"  # the entry nginx appended
    monkeypatch.setenv(auth.TRUSTED_PROXY_ENV, "X-Real-IP")
    assert auth.client_address({"X-Real-IP": "10.9.9.9"}) == "10.9.9.9"
    # One address guessing many names: 20 checks, then refused for every name.
    for i in range(accounts.MAX_PER_ADDRESS):
        assert accounts.reserve_attempt(store, f"name{i // 4}", "10.1.2.3", now=1000.0) == 0
    assert accounts.reserve_attempt(store, "fresh-name", "10.1.2.3", now=1001.0) > 0
    assert accounts.reserve_attempt(store, "fresh-name", "10.7.7.7", now=1001.0) == 0


# ---- the audit log --------------------------------------------------------------------------


def test_audit_log_is_append_only(store):
    accounts.audit(store, "甲", "import", "x.xlsx")
    con = sqlite3.connect(store)
    try:
        for sql in ("UPDATE audit SET detail = 'forged'", "DELETE FROM audit"):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                con.execute(sql)
    finally:
        con.close()
    assert accounts.audit_log(store).iloc[0]["detail"] == "x.xlsx"


def test_every_login_attempt_is_audited_with_its_outcome(store):
    accounts.add(store, "丙", "viewer", _hash("right-password-3"), by="测试")
    accounts.set_enabled(store, "丙", False, by="测试")
    auth.authenticate(store, "丙", "right-password-3")
    auth.authenticate(store, "无此人", "whatever")
    accounts.set_enabled(store, "丙", True, by="测试")
    auth.authenticate(store, "丙", "wrong")
    auth.authenticate(store, "丙", "right-password-3")
    log = accounts.audit_log(store)
    logins = log[log["action"].str.startswith("login")][::-1]
    assert list(zip(logins["account"], logins["action"], logins["detail"])) == [
        ("丙", "login_failed", "账号已停用"),
        ("无此人", "login_failed", "无此账号"),
        ("丙", "login_failed", "密码错误"),
        ("丙", "login_ok", "角色 只读"),
    ]


# ---- county binding -------------------------------------------------------------------------


def test_county_binding_refuses_other_counties_and_allows_unknown():
    bound = accounts.Account("丁", "editor", "440783", "x")
    free = accounts.Account("戊", "editor", None, "x")
    assert permissions.county_refusal(bound, {"440783"}) is None
    assert permissions.county_refusal(bound, set()) is None  # county unknown: cannot be checked
    assert "440784" in permissions.county_refusal(bound, {"440783", "440784"})
    assert permissions.county_refusal(free, {"440784"}) is None
    assert permissions.counties_of(["440783100000", "440784001000", "", "abc"]) == {"440783", "440784"}
    assert permissions.role_refusal(accounts.Account("己", "viewer", None, "x"), "data")
    assert permissions.role_refusal(bound, "admin") and permissions.role_refusal(bound, "data") is None


# ---- file modes -----------------------------------------------------------------------------


def test_database_history_accounts_and_secrets_are_created_owner_only(tmp_path, monkeypatch):
    from tests.support.workbooks import oracle_frames, write_xlsx

    monkeypatch.delenv(accounts.ACCOUNTS_ENV, raising=False)
    old = os.umask(0o022)  # a permissive umask: the modes must not depend on it
    try:
        db = tmp_path / "data" / "x.duckdb"
        db.parent.mkdir()
        write_xlsx(oracle_frames(), tmp_path / "base.xlsx")
        write_xlsx(oracle_frames(year=2026), tmp_path / "y.xlsx")
        out = _cli("build", "--db", str(db), "--from", str(tmp_path / "base.xlsx"))
        assert out.returncode == 0, out.stderr
        from edubalance.ingest.importer import import_file
        from edubalance.ingest.restore import backups, restore_backup

        # In this process, with umask 022:
        assert import_file(tmp_path / "base.xlsx", db, fresh=True, action="build").ok
        assert import_file(tmp_path / "y.xlsx", db, user="甲").ok
        assert restore_backup(db, backups(db)[0], user="甲").ok
        secrets = tmp_path / "conf" / "secrets.toml"
        assert _cli("set-password", "--secrets", str(secrets), stdin="a-long-password\n").returncode == 0
    finally:
        os.umask(old)
    made = [db, Path(str(db) + ".lock"), db.parent / "accounts.sqlite", secrets, *backups(db)]
    assert len(backups(db)) == 3
    loose = {str(p): oct(stat.S_IMODE(p.stat().st_mode)) for p in made if not _private(p)}
    assert not loose, loose
    assert stat.S_IMODE((db.parent / "history").stat().st_mode) == 0o700


def test_opening_the_store_keeps_another_connections_write_lock(tmp_path):
    """POSIX locks belong to the process: closing ANY descriptor of the file drops them all.
    A session that opens the store while another holds BEGIN IMMEDIATE (a login attempt being
    reserved) must not release that lock, or a second server process could reserve too."""
    store = tmp_path / "accounts.sqlite"
    accounts.connect(store).close()
    holder = accounts.connect(store)
    holder.execute("BEGIN IMMEDIATE")
    try:
        accounts.connect(store).close()  # another session of this process opens the store
        probe = (
            "import sqlite3, sys\n"
            "c = sqlite3.connect(sys.argv[1], timeout=0, isolation_level=None)\n"
            "try:\n    c.execute('BEGIN IMMEDIATE'); print('got the lock')\n"
            "except sqlite3.OperationalError:\n    print('busy')\n"
        )
        out = subprocess.run([sys.executable, "-c", probe, str(store)], capture_output=True, text=True, timeout=60)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert out.stdout.strip() == "busy", out.stdout + out.stderr
