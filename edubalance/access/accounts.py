"""The accounts store: named accounts with roles, login attempts and the audit log, in one
SQLite file outside the data database (default `accounts.sqlite` next to it; `EDUBALANCE_ACCOUNTS`
or `--accounts` elsewhere), so an import or a restore never changes who may log in.

Why SQLite: `BEGIN IMMEDIATE` takes the write lock before anything is read, across threads and
processes, so "count the attempts in the window, then add one" is one atomic step however many
server processes and browser sessions try at once; and the count survives a restart.

Only bcrypt hashes are stored. There is no default account (see auth.py for the bootstrap admin).
"""

from __future__ import annotations

import datetime as dt
import getpass
import os
import re
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from edubalance.store.paths import db_path
from edubalance.store.private import private_file

ACCOUNTS_ENV = "EDUBALANCE_ACCOUNTS"
STORE_NAME = "accounts.sqlite"
ROLES = {"admin": "管理员", "editor": "数据管理员", "viewer": "只读"}
# Roles that may change data (import, restore, task progress) and so see 数据管理.
DATA_ROLES = ("admin", "editor")
# Letters (any script), digits, . - _ @: nothing that Markdown or HTML would read as markup.
NAME_PATTERN = re.compile(r"[\w.\-@]{1,32}")
COUNTY_PATTERN = re.compile(r"\d{6}")

# Lockout: at most MAX_PER_ACCOUNT password checks per account, and MAX_PER_ADDRESS per client
# address (only when a trusted proxy names it), in any LOCK_SECONDS window.
MAX_PER_ACCOUNT = 5
MAX_PER_ADDRESS = 20  # an office behind one NAT address shares it
LOCK_SECONDS_ENV = "EDUBALANCE_LOCK_SECONDS"
DEFAULT_LOCK_SECONDS = 5 * 60

SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ('admin', 'editor', 'viewer')),
    county TEXT,
    hash TEXT NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    changed_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS attempts (id INTEGER PRIMARY KEY, key TEXT NOT NULL, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS attempts_by_key ON attempts (key, at);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    account TEXT NOT NULL,
    channel TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    address TEXT
);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TABLE IF NOT EXISTS versions (
    folder TEXT NOT NULL,
    file_name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    made_at TEXT,
    made_by TEXT,
    made_action TEXT,
    years TEXT,
    saved_at TEXT NOT NULL,
    removed_at TEXT,
    PRIMARY KEY (folder, file_name)
);
CREATE TABLE IF NOT EXISTS live (
    db TEXT PRIMARY KEY, made_at TEXT, made_by TEXT, made_action TEXT
);
"""

AUDIT_ACTIONS = {
    "login_ok": "登录成功",
    "login_failed": "登录失败",
    "login_locked": "登录被锁定拒绝（未校验密码）",
    "logout": "退出登录",
    "session_ended": "会话结束",
    "import": "导入",
    "build": "构建数据库",
    "restore": "恢复",
    "restore_refused": "拒绝恢复",
    "task_update": "任务进展更新",
    "plan": "上传方案目标登记表",
    "refresh": "刷新派生表",
    "history_prune": "清理历史版本",
    "account_add": "新增账号",
    "account_disable": "停用账号",
    "account_enable": "启用账号",
    "account_password": "修改密码",
    "account_unlock": "解除锁定",
    "access_refused": "越权操作被拒绝",
}


class AccountError(ValueError):
    """A name, role or county code that cannot be used, or an account that does not exist."""


@dataclass(frozen=True)
class Account:
    name: str
    role: str
    county: str | None
    hash: str
    enabled: bool = True
    bootstrap: bool = False

    @property
    def role_zh(self) -> str:
        return ROLES[self.role]

    @property
    def may_change_data(self) -> bool:
        return self.role in DATA_ROLES

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def store_path(explicit: str | os.PathLike | None = None, db: str | os.PathLike | None = None) -> Path:
    if explicit:
        return Path(explicit)
    env = os.environ.get(ACCOUNTS_ENV)
    return Path(env) if env else db_path(db).parent / STORE_NAME


def lock_seconds() -> float:
    try:
        return max(1.0, float(os.environ.get(LOCK_SECONDS_ENV, DEFAULT_LOCK_SECONDS)))
    except ValueError:
        return float(DEFAULT_LOCK_SECONDS)


def duration_zh(seconds: float) -> str:
    """5 分钟, 30 秒: how the window and the wait read on the page."""
    seconds = max(1, round(seconds))
    if seconds < 60:
        return f"{seconds} 秒"
    return f"{seconds // 60} 分钟" if seconds % 60 == 0 else f"{seconds / 60:.1f} 分钟"


def now_text() -> str:
    return dt.datetime.now().isoformat(sep=" ", timespec="seconds")


def os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name (some containers)
        return f"uid{os.getuid()}"


def connect(path: Path) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit), to a file of mode 600."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Never open and close the store file ourselves (create_private would): closing any
    # descriptor of a file drops every POSIX lock this process holds on it, including the
    # write lock another thread's BEGIN IMMEDIATE holds, and the lockout would stop holding.
    # SQLite creates the file; chmod (which touches no lock) makes it 600 straight away.
    con = sqlite3.connect(path, timeout=30, isolation_level=None)
    private_file(path)
    con.execute("PRAGMA busy_timeout = 30000")
    key = (str(path.resolve()), path.stat().st_ino)
    if key not in _ready:
        con.executescript(SCHEMA)
        _ready.add(key)
    for suffix in ("-journal", "-wal", "-shm"):
        private_file(str(path) + suffix)
    return con


_ready: set[tuple[str, int]] = set()  # store files whose schema this process has created


@contextmanager
def transaction(path: Path) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE: the write lock first, so read-then-write is atomic across processes."""
    con = connect(path)
    try:
        con.execute("BEGIN IMMEDIATE")
        try:
            yield con
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")
    finally:
        con.close()


# ---- audit ----------------------------------------------------------------------------------


def audit_in(con: sqlite3.Connection, account: str, action: str, detail: str = "", *, channel: str, address=None):
    con.execute(
        "INSERT INTO audit (at, account, channel, action, detail, address) VALUES (?, ?, ?, ?, ?, ?)",
        [now_text(), account, channel, action, detail, address],
    )


def audit(path: Path, account: str, action: str, detail: str = "", *, channel: str = "web", address=None) -> None:
    with transaction(path) as con:
        audit_in(con, account, action, detail, channel=channel, address=address)


AUDIT_COLUMNS = ["id", "at", "account", "channel", "action", "action_zh", "detail", "address"]


def audit_log(path: Path, limit: int = 500, account: str | None = None) -> pd.DataFrame:
    """The newest entries first."""
    con = connect(path)
    try:
        where, args = ("WHERE account = ?", [account]) if account else ("", [])
        rows = con.execute(
            f"SELECT id, at, account, channel, action, detail, address FROM audit {where} ORDER BY id DESC LIMIT ?",
            [*args, limit],
        ).fetchall()
    finally:
        con.close()
    frame = pd.DataFrame(rows, columns=["id", "at", "account", "channel", "action", "detail", "address"])
    frame.insert(5, "action_zh", frame["action"].map(lambda a: AUDIT_ACTIONS.get(a, a)))
    return frame[AUDIT_COLUMNS]


# ---- accounts -------------------------------------------------------------------------------


def check_name(name: str) -> str:
    name = (name or "").strip()
    if not NAME_PATTERN.fullmatch(name):
        raise AccountError("账号名须为 1—32 个字符，只用汉字、字母、数字和 . - _ @")
    return name


def check_county(county: str | None) -> str | None:
    if county in (None, ""):
        return None
    if not COUNTY_PATTERN.fullmatch(county):
        raise AccountError(f"县级区划代码应为 6 位数字：{county}")
    return county


def _row_to_account(row) -> Account:
    return Account(row[0], row[1], row[2], row[3], bool(row[4]))


def get(path: Path, name: str) -> Account | None:
    con = connect(path)
    try:
        row = con.execute("SELECT name, role, county, hash, enabled FROM accounts WHERE name = ?", [name]).fetchone()
    finally:
        con.close()
    return _row_to_account(row) if row else None


def has_enabled_accounts(path: Path) -> bool:
    con = connect(path)
    try:
        return con.execute("SELECT count(*) FROM accounts WHERE enabled = 1").fetchone()[0] > 0
    finally:
        con.close()


def add(path: Path, name: str, role: str, hashed: str, *, county=None, by: str, channel: str = "cli") -> Account:
    name = check_name(name)
    if role not in ROLES:
        raise AccountError(f"角色应为 {' / '.join(ROLES)}：{role}")
    county = check_county(county)
    now = now_text()
    with transaction(path) as con:
        if con.execute("SELECT 1 FROM accounts WHERE name = ?", [name]).fetchone():
            raise AccountError(f"账号已存在：{name}")
        con.execute(
            "INSERT INTO accounts VALUES (?, ?, ?, ?, 1, ?, ?)",
            [name, role, county, hashed, now, now],
        )
        detail = f"{name}，角色 {ROLES[role]}" + (f"，限县 {county}" if county else "")
        audit_in(con, by, "account_add", detail, channel=channel)
    return Account(name, role, county, hashed)


def _change(path: Path, name: str, sql: str, args: list, action: str, detail: str, by: str, channel: str) -> None:
    with transaction(path) as con:
        if not con.execute("SELECT 1 FROM accounts WHERE name = ?", [name]).fetchone():
            raise AccountError(f"没有这个账号：{name}")
        con.execute(sql, args)
        audit_in(con, by, action, detail, channel=channel)


def set_enabled(path: Path, name: str, enabled: bool, *, by: str, channel: str = "cli") -> None:
    action = "account_enable" if enabled else "account_disable"
    sql = "UPDATE accounts SET enabled = ?, changed_at = ? WHERE name = ?"
    _change(path, name, sql, [int(enabled), now_text(), name], action, name, by, channel)


def set_hash(path: Path, name: str, hashed: str, *, by: str, channel: str = "cli") -> None:
    sql = "UPDATE accounts SET hash = ?, changed_at = ? WHERE name = ?"
    _change(path, name, sql, [hashed, now_text(), name], "account_password", name, by, channel)


def list_accounts(path: Path, now: float | None = None) -> pd.DataFrame:
    """Every account with its role, county, state and the password checks now in its window."""
    now = time.time() if now is None else now
    window = lock_seconds()
    con = connect(path)
    try:
        rows = con.execute(
            """SELECT a.name, a.role, a.county, a.enabled, a.created_at, a.changed_at,
                      (SELECT count(*) FROM attempts t WHERE t.key = 'account:' || a.name AND t.at > ?)
               FROM accounts a ORDER BY a.name""",
            [now - window],
        ).fetchall()
    finally:
        con.close()
    frame = pd.DataFrame(
        rows, columns=["name", "role", "county", "enabled", "created_at", "changed_at", "recent_attempts"]
    )
    frame["role_zh"] = frame["role"].map(ROLES)
    frame["enabled"] = frame["enabled"].astype(bool)
    frame["locked"] = frame["recent_attempts"] >= MAX_PER_ACCOUNT
    return frame


# ---- attempts (the lockout) -----------------------------------------------------------------


def account_key(name: str) -> str:
    return f"account:{name}"


def address_key(address: str) -> str:
    return f"address:{address}"


def reserve_attempt(path: Path, name: str, address: str | None = None, now: float | None = None) -> float:
    """Record one password check for this account (and address) if the window allows it.

    Returns 0 when the check may go ahead (the attempt is already recorded), else the seconds
    until the window lets another through (nothing recorded). Call it BEFORE bcrypt: ten
    simultaneous submissions then get five reservations and five refusals.
    """
    now = time.time() if now is None else now
    window = lock_seconds()
    keys = [(account_key(name), MAX_PER_ACCOUNT)]
    if address:
        keys.append((address_key(address), MAX_PER_ADDRESS))
    with transaction(path) as con:
        con.execute("DELETE FROM attempts WHERE at <= ?", [now - window])
        wait = _lock_wait(con, keys, now, window)
        if wait > 0:
            return wait
        con.executemany("INSERT INTO attempts (key, at) VALUES (?, ?)", [(k, now) for k, _ in keys])
    return 0.0


def _lock_wait(con, keys: list[tuple[str, int]], now: float, window: float) -> float:
    """Seconds until every (key, limit) has fewer than `limit` attempts inside the window."""
    wait = 0.0
    for key, limit in keys:
        times = [
            r[0]
            for r in con.execute(
                "SELECT at FROM attempts WHERE key = ? AND at > ? ORDER BY at DESC", [key, now - window]
            ).fetchall()
        ]
        if len(times) >= limit:
            wait = max(wait, times[limit - 1] + window - now)
    return wait


def locked_for(path: Path, name: str, address: str | None = None, now: float | None = None) -> float:
    """Seconds until this account (or address) may try again; 0 when it may now."""
    now = time.time() if now is None else now
    window = lock_seconds()
    keys = [(account_key(name), MAX_PER_ACCOUNT)] + ([(address_key(address), MAX_PER_ADDRESS)] if address else [])
    con = connect(path)
    try:
        return _lock_wait(con, keys, now, window)
    finally:
        con.close()


def clear_attempts(path: Path, name: str) -> int:
    """After a correct password (the account's count restarts); the address count stays."""
    with transaction(path) as con:
        return con.execute("DELETE FROM attempts WHERE key = ?", [account_key(name)]).rowcount


def unlock(path: Path, name: str, *, by: str, channel: str = "cli") -> int:
    """`user unlock NAME`: forget the account's attempts. Works for any name typed at the login
    (the bootstrap admin, or a name that is not an account but was being guessed)."""
    with transaction(path) as con:
        n = con.execute("DELETE FROM attempts WHERE key = ?", [account_key(name)]).rowcount
        audit_in(con, by, "account_unlock", f"{name}（清除 {n} 次尝试记录）", channel=channel)
    return n


def count_attempts(path: Path, name: str) -> int:
    con = connect(path)
    try:
        return con.execute("SELECT count(*) FROM attempts WHERE key = ?", [account_key(name)]).fetchone()[0]
    finally:
        con.close()
