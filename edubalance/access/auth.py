"""Admin access for the 数据管理 page: a bcrypt hash, never a password, and a lockout.

The hash comes from the environment (`EDUBALANCE_ADMIN_HASH`) or from
`.streamlit/secrets.toml` (key `admin_password_hash`); the environment wins so a deployment
can override the file. There is no default password: without a hash nobody can log in, and
the login page says how to set one (`python -m edubalance set-password`).

This bootstrap hash logs in as the account `admin` (role 管理员) for as long as the accounts
store holds no account of that name; named accounts live in the accounts store (accounts.py).

Lockout: every login attempt is first reserved in the accounts store (at most 5 per account,
and 20 per client address when a trusted proxy names it, in a 5-minute window), atomically and
before bcrypt runs, so neither parallel submissions, a reload, a restart nor a second server
process gets more guesses. Every attempt is written to the audit log.
"""

from __future__ import annotations

import getpass
import math
import os
import sys
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import bcrypt

from edubalance.access import accounts
from edubalance.store.paths import ROOT
from edubalance.store.private import private_dir

HASH_ENV = "EDUBALANCE_ADMIN_HASH"
SECRETS_ENV = "EDUBALANCE_SECRETS"  # another secrets.toml (tests, unusual deployments)
HASH_KEY = "admin_password_hash"
DEFAULT_SECRETS = ROOT / ".streamlit" / "secrets.toml"

MIN_LENGTH = 8
MAX_BYTES = 72  # bcrypt uses only the first 72 bytes; bcrypt 5 refuses longer input


class PasswordError(ValueError):
    """A new password that cannot be used (too short, too long, the two entries differ)."""


def secrets_path() -> Path:
    return Path(os.environ.get(SECRETS_ENV) or DEFAULT_SECRETS)


def _looks_like_bcrypt(value: str) -> bool:
    return value.startswith(("$2a$", "$2b$", "$2y$")) and len(value) == 60


def password_hash() -> str | None:
    """The configured bcrypt hash, or None when no (usable) hash is configured."""
    env = os.environ.get(HASH_ENV, "").strip()
    if env:
        return env if _looks_like_bcrypt(env) else None
    path = secrets_path()
    try:
        with open(path, "rb") as f:
            value = tomllib.load(f).get(HASH_KEY)
    except (OSError, tomllib.TOMLDecodeError):
        return None
    if isinstance(value, str) and _looks_like_bcrypt(value.strip()):
        return value.strip()
    return None


def verify(password: str, hashed: str | None = None) -> bool:
    hashed = hashed if hashed is not None else password_hash()
    if not hashed or not password:
        return False
    data = password.encode("utf-8")
    if len(data) > MAX_BYTES:
        return False
    try:
        return bcrypt.checkpw(data, hashed.encode("ascii"))
    except ValueError:  # a malformed hash in the configuration
        return False


def make_hash(password: str, rounds: int = 12) -> str:
    data = password.encode("utf-8")
    if len(password) < MIN_LENGTH:
        raise PasswordError(f"密码至少 {MIN_LENGTH} 个字符")
    if len(data) > MAX_BYTES:
        raise PasswordError(f"密码不能超过 {MAX_BYTES} 字节（约 24 个汉字或 72 个英文字符）")
    return bcrypt.hashpw(data, bcrypt.gensalt(rounds)).decode("ascii")


def write_hash(hashed: str, path: Path | None = None) -> Path:
    """Put the hash into secrets.toml (other keys kept), atomically and readable by the owner only."""
    if not _looks_like_bcrypt(hashed):
        raise ValueError("not a bcrypt hash")
    path = Path(path or secrets_path())
    if not path.parent.exists():
        private_dir(path.parent)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        lines = []
    kept = [ln for ln in lines if ln.split("=", 1)[0].strip() != HASH_KEY]
    # At the top: a key written after a [table] header would belong to that table.
    text = "\n".join([f'{HASH_KEY} = "{hashed}"', *kept]) + "\n"
    if tomllib.loads(text).get(HASH_KEY) != hashed:
        raise ValueError(f"{path} is not valid TOML after the update")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def read_new_password(stdin=None, prompt: str = "新的管理员密码：") -> str:
    """Twice with getpass on a terminal; the first line of stdin otherwise (scripts)."""
    stdin = stdin or sys.stdin
    if stdin.isatty():
        first = getpass.getpass(prompt)
        second = getpass.getpass("再输入一次：")
        if first != second:
            raise PasswordError("两次输入的密码不一致")
        return first
    return stdin.readline().rstrip("\r\n")


def set_password_cli(path: str | None = None, stdin=None) -> int:
    """`python -m edubalance set-password`: never prints the password or the hash."""
    try:
        hashed = make_hash(read_new_password(stdin))
    except PasswordError as exc:
        print(f"未设置：{exc}", file=sys.stderr)
        return 1
    target = write_hash(hashed, Path(path) if path else None)
    print(f"已把管理员密码的 bcrypt 哈希写入 {target}（仅所有者可读写）。")
    if os.environ.get(HASH_ENV):
        print(f"注意：环境变量 {HASH_ENV} 已设置，它优先于该文件。", file=sys.stderr)
    return 0


# ----------------------------------------------------------------------------------------------
# Login: named accounts in the accounts store, plus the bootstrap admin
# ----------------------------------------------------------------------------------------------

BOOTSTRAP_NAME = "admin"
TRUSTED_PROXY_ENV = "EDUBALANCE_TRUSTED_PROXY"  # set (to the header name, or 1) behind a trusted proxy
DEFAULT_CLIENT_HEADER = "X-Forwarded-For"


# Checked when the account does not exist or is disabled, so the answer takes as long as for a
# real account and the timing does not tell which names exist.
@cache
def _dummy_hash() -> str:
    return bcrypt.hashpw(b"no account has this password", bcrypt.gensalt(12)).decode("ascii")


def find_account(store: Path, name: str) -> accounts.Account | None:
    """The named account; `admin` is the bootstrap admin while no stored account has that name."""
    found = accounts.get(store, name)
    if found is not None:
        return found
    if name == BOOTSTRAP_NAME:
        hashed = password_hash()
        if hashed:
            return accounts.Account(BOOTSTRAP_NAME, "admin", None, hashed, True, bootstrap=True)
    return None


def is_configured(store: Path | None = None) -> bool:
    """Someone can log in: a bootstrap hash, or an enabled account in the store."""
    if password_hash() is not None:
        return True
    try:
        return accounts.has_enabled_accounts(store or accounts.store_path())
    except OSError:
        return False


def client_address(headers) -> str | None:
    """The client address a trusted reverse proxy reports, or None.

    Only when EDUBALANCE_TRUSTED_PROXY is set: without a proxy in front, any client could
    write the header. With nginx's `proxy_add_x_forwarded_for` the last entry is the one
    nginx added (the address it saw); entries before it come from the client.
    """
    setting = os.environ.get(TRUSTED_PROXY_ENV, "").strip()
    if not setting or headers is None:
        return None
    header = setting if setting.lower() not in ("1", "true", "yes", "on") else DEFAULT_CLIENT_HEADER
    try:
        value = headers.get(header)
    except Exception:
        return None
    if not value:
        return None
    last = str(value).split(",")[-1].strip()
    return last[:64] or None


@dataclass(frozen=True)
class LoginResult:
    ok: bool
    account: accounts.Account | None = None
    wait: float = 0.0  # > 0: refused without checking the password (locked)
    message: str = ""


def authenticate(store: Path, name: str, password: str, address: str | None = None) -> LoginResult:
    """One login attempt: reserve it in the store (atomic, before bcrypt), check, audit."""
    name = (name or "").strip()[:64]
    if not name:
        return LoginResult(False, message="请填写账号。")
    wait = accounts.reserve_attempt(store, name, address)
    if wait:
        accounts.audit(store, name, "login_locked", f"还需等待 {math.ceil(wait)} 秒", address=address)
        return LoginResult(False, wait=wait, message=locked_message(wait))
    account = find_account(store, name)
    usable = account is not None and account.enabled
    ok = verify(password, account.hash if usable else _dummy_hash()) and usable
    if ok:
        accounts.clear_attempts(store, name)
        accounts.audit(store, name, "login_ok", f"角色 {account.role_zh}", address=address)
        return LoginResult(True, account)
    reason = "密码错误" if usable else ("账号已停用" if account is not None else "无此账号")
    accounts.audit(store, name, "login_failed", reason, address=address)
    left = max(0, accounts.MAX_PER_ACCOUNT - accounts.count_attempts(store, name))
    if left:
        return LoginResult(False, message=f"账号或密码不正确，还可尝试 {left} 次。")
    return LoginResult(False, message=locked_message(accounts.locked_for(store, name, address)))


def locked_message(wait: float) -> str:
    wait_text = accounts.duration_zh(wait if wait < 60 else math.ceil(wait / 60) * 60)
    return (
        f"该账号在 {accounts.duration_zh(accounts.lock_seconds())}内已尝试 {accounts.MAX_PER_ACCOUNT} 次，"
        f"登录已锁定，请约 {wait_text}后再试，或请管理员运行 `python -m edubalance user unlock 账号` 解除。"
    )
