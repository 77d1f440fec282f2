"""管理员登录: unlocks 数据管理 for this browser session (bcrypt hash, lockout after failures)."""

import math
import uuid

import streamlit as st

from edubalance import auth, ui
from edubalance.safe_text import md

st.title("管理员登录")
ui.banner()

state = st.session_state
if "auth_client" not in state:
    state["auth_client"] = uuid.uuid4().hex  # the per-session half of the lockout key
keys = auth.client_keys(state["auth_client"], st.context.ip_address)


def _link_to_admin() -> None:
    try:
        st.page_link("views/admin.py", label="进入数据管理", icon=":material/database:")
    except st.errors.StreamlitAPIException:
        st.caption("请在左侧导航中打开“数据管理”。")  # the page runs outside the app's navigation


if state.get("is_admin"):
    st.success(f"已以管理员身份登录：{md(state.get('admin_name', ''))}。登录只在本浏览器会话内有效。")
    _link_to_admin()
    if st.button("退出登录", key="logout"):
        state["is_admin"] = False
        state.pop("admin_name", None)
        st.rerun()
    st.stop()

if not auth.is_configured():
    st.info(
        "尚未设置管理员密码，因此“数据管理”（导入、恢复、任务进展）暂不可用。系统没有默认密码。\n\n"
        "请由服务器管理员在项目目录中运行：\n\n"
        "`python -m edubalance set-password`\n\n"
        f"按提示输入两次新密码，其 bcrypt 哈希会写入 `.streamlit/secrets.toml`（键 `{auth.HASH_KEY}`，"
        f"该文件不进入版本库）。也可以把哈希放在环境变量 `{auth.HASH_ENV}` 中。设置后刷新本页即可登录。",
        icon=":material/key:",
    )
    st.stop()

st.caption(
    f"数据管理仅限管理员使用。连续 {auth.MAX_FAILURES} 次密码错误后，登录将锁定 "
    f"{auth.LOCK_SECONDS // 60} 分钟。姓名会记入导入日志。"
)
message = state.pop("login_message", None)  # set before the rerun that shows the new lock state
if message:
    st.error(message)
wait = auth.locked_for(keys)
if wait:
    st.error(f"密码错误次数过多，登录已锁定，请约 {math.ceil(wait / 60)} 分钟后再试。", icon=":material/lock:")

with st.form("login", clear_on_submit=True):
    name = st.text_input("姓名", max_chars=30, placeholder="记入导入日志，如：张三")
    password = st.text_input("密码", type="password")
    submitted = st.form_submit_button("登录", type="primary", disabled=bool(wait))

if submitted:
    if auth.locked_for(keys):
        st.error("登录已锁定，请稍后再试。")
    elif not name.strip():
        st.error("请填写姓名。")
    elif auth.verify(password):
        auth.record_success(keys)
        state["is_admin"] = True
        state["admin_name"] = name.strip()
        st.rerun()
    else:
        left = auth.record_failure(keys)
        if left:
            state["login_message"] = f"密码不正确，还可尝试 {left} 次。"
        else:
            state["login_message"] = (
                f"密码不正确。已连续 {auth.MAX_FAILURES} 次错误，登录锁定 {auth.LOCK_SECONDS // 60} 分钟。"
            )
        st.rerun()
