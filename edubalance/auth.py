"""Admin access for the 数据管理 page: a bcrypt hash, never a password, and a lockout.

The hash comes from the environment (`EDUBALANCE_ADMIN_HASH`) or from
`.streamlit/secrets.toml` (key `admin_password_hash`); the environment wins so a deployment
can override the file. There is no default password: without a hash nobody can log in, and
the login page says how to set one (`python -m edubalance set-password`).

Lockout: 5 failed attempts lock the form for 5 minutes. Failures are counted per browser
session and per client address in a module-level table, so reloading the page (a new
session) does not reset the count while the server process runs.
"""

from __future__ import annotations

import getpass
import os
import sys
import threading
import time
import tomllib
from pathlib import Path

import bcrypt

from .paths import ROOT

HASH_ENV = "EDUBALANCE_ADMIN_HASH"
SECRETS_ENV = "EDUBALANCE_SECRETS"  # another secrets.toml (tests, unusual deployments)
HASH_KEY = "admin_password_hash"
DEFAULT_SECRETS = ROOT / ".streamlit" / "secrets.toml"

MAX_FAILURES = 5
LOCK_SECONDS = 5 * 60
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


def is_configured() -> bool:
    return password_hash() is not None


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
    path.parent.mkdir(parents=True, exist_ok=True)
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


def read_new_password(stdin=None) -> str:
    """Twice with getpass on a terminal; the first line of stdin otherwise (scripts)."""
    stdin = stdin or sys.stdin
    if stdin.isatty():
        first = getpass.getpass("新的管理员密码：")
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
# Lockout
# ----------------------------------------------------------------------------------------------

_lock = threading.Lock()
_failures: dict[str, int] = {}
_locked_until: dict[str, float] = {}


def locked_for(keys: list[str], now: float | None = None) -> float:
    """Seconds the form stays locked for any of these client keys (0 when open)."""
    now = time.time() if now is None else now
    with _lock:
        until = max((_locked_until.get(k, 0.0) for k in keys), default=0.0)
    return max(0.0, until - now)


def record_failure(keys: list[str], now: float | None = None) -> int:
    """Count a failed attempt; returns the attempts left before the lock (0 = now locked)."""
    now = time.time() if now is None else now
    left = MAX_FAILURES
    with _lock:
        for k in keys:
            if _locked_until.get(k, 0.0) <= now:
                _locked_until.pop(k, None)
            n = _failures.get(k, 0) + 1
            if n >= MAX_FAILURES:
                _locked_until[k] = now + LOCK_SECONDS
                n = 0
            _failures[k] = n
            left = min(left, 0 if k in _locked_until else MAX_FAILURES - n)
    return left


def record_success(keys: list[str]) -> None:
    with _lock:
        for k in keys:
            _failures.pop(k, None)
            _locked_until.pop(k, None)


def reset_lockouts() -> None:
    """Forget every failure (tests; a server restart does the same)."""
    with _lock:
        _failures.clear()
        _locked_until.clear()


def client_keys(session_id: str, address) -> list[str]:
    # The socket address, not X-Forwarded-For: a header the client writes could dodge the lock.
    # Without a usable address (a local run, a test harness) all sessions share one key.
    client = address if isinstance(address, str) and address else "local"
    return [f"session:{session_id}", f"client:{client}"]
