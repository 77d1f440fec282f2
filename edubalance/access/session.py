"""Who is logged in to this browser session, checked against the accounts store on every rerun.

The login lives in st.session_state (server side; nothing in a cookie). Every rerun looks the
account up again, so a disabled account, a changed role or an idle session ends at once, on
the next click. Settings (environment):

- EDUBALANCE_REQUIRE_LOGIN=1: every page needs a login (default: viewing needs none);
- EDUBALANCE_SESSION_IDLE_HOURS: idle time after which a session ends (default 8).
"""

from __future__ import annotations

import os
import time

import streamlit as st

from edubalance.access import accounts, auth

REQUIRE_LOGIN_ENV = "EDUBALANCE_REQUIRE_LOGIN"
IDLE_ENV = "EDUBALANCE_SESSION_IDLE_HOURS"
DEFAULT_IDLE_HOURS = 8.0
KEYS = ("account", "role", "county", "last_seen")


def login_required() -> bool:
    return os.environ.get(REQUIRE_LOGIN_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def idle_seconds() -> float:
    try:
        return max(60.0, float(os.environ.get(IDLE_ENV, DEFAULT_IDLE_HOURS)) * 3600)
    except ValueError:
        return DEFAULT_IDLE_HOURS * 3600


def store():
    return accounts.store_path()


def client_address() -> str | None:
    try:
        return auth.client_address(st.context.headers)
    except Exception:  # outside a browser request (AppTest)
        return None


def sign_in(account: accounts.Account) -> None:
    state = st.session_state
    state["account"] = account.name
    state["role"] = account.role
    state["county"] = account.county
    state["last_seen"] = time.time()


def sign_out(reason: str = "", action: str = "logout") -> None:
    state = st.session_state
    name = state.get("account")
    for key in KEYS:
        state.pop(key, None)
    if name:
        accounts.audit(store(), name, action, reason, address=client_address())
    if reason:
        state["login_message"] = reason


def current() -> accounts.Account | None:
    """The account logged in to this session, or None (and the session ended, when it may no
    longer be: disabled, removed, idle too long)."""
    state = st.session_state
    name = state.get("account")
    if not name:
        return None
    now = time.time()
    account = auth.find_account(store(), name)
    if account is None or not account.enabled:
        sign_out("账号已停用，请联系管理员。", "session_ended")
        return None
    if now - float(state.get("last_seen") or 0) > idle_seconds():
        sign_out(f"超过 {idle_seconds() / 3600:g} 小时未操作，已自动退出，请重新登录。", "session_ended")
        return None
    state["last_seen"] = now
    state["role"] = account.role
    state["county"] = account.county
    return account


def data_account() -> accounts.Account | None:
    """The account when it may change data (管理员 or 数据管理员), else None."""
    account = current()
    return account if account is not None and account.may_change_data else None
