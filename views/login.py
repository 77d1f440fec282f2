"""登录: named accounts (管理员 / 数据管理员 / 只读); attempts are reserved in the accounts store
before bcrypt runs, so at most 5 per account per window are ever checked."""

import streamlit as st

from edubalance.access import accounts, auth, session
from edubalance.model.safe_text import md
from edubalance.ui import widgets

st.title("登录")
widgets.banner()

state = st.session_state
store = session.store()


def _link_to_admin() -> None:
    try:
        st.page_link("views/admin.py", label="进入数据管理", icon=":material/database:")
    except st.errors.StreamlitAPIException:
        st.caption("请在左侧导航中打开“数据管理”。")  # the page runs outside the app's navigation


account = session.current()
message = state.pop("login_message", None)  # set before the rerun that shows the new state
if account is not None:
    county = f"，限县级区划代码 {account.county}" if account.county else ""
    st.success(f"已登录：{md(account.name)}（{account.role_zh}{county}）。登录只在本浏览器会话内有效。")
    if account.may_change_data:
        _link_to_admin()
    if st.button("退出登录", key="logout"):
        session.sign_out()
        st.rerun()
    st.stop()

if message:
    st.error(message, icon=":material/lock:" if "锁定" in message else None)

if not auth.is_configured(store):
    st.info(
        "尚未设置任何账号，因此无法登录，“数据管理”（导入、恢复、任务进展）暂不可用。系统没有默认账号。\n\n"
        "请由服务器管理员在项目目录中运行（按提示输入两次密码）：\n\n"
        "`python -m edubalance user add 账号名 --role admin`\n\n"
        f"账号保存在数据库旁的 `accounts.sqlite`（只保存 bcrypt 哈希）。也可以用 `python -m edubalance set-password` "
        f"设置引导管理员 `{auth.BOOTSTRAP_NAME}` 的密码（哈希写入 `.streamlit/secrets.toml`，键 `{auth.HASH_KEY}`，"
        f"或放在环境变量 `{auth.HASH_ENV}` 中）。设置后刷新本页即可登录。",
        icon=":material/key:",
    )
    st.stop()

window = accounts.lock_seconds()
st.caption(
    f"角色：管理员（全部功能）、数据管理员（导入、恢复、任务进展）、只读（查看）。"
    f"同一账号在 {accounts.duration_zh(window)}内最多尝试 {accounts.MAX_PER_ACCOUNT} 次，超过即锁定；每次登录都记入审计日志。"
)

with st.form("login", clear_on_submit=True):
    name = st.text_input("账号", max_chars=32, placeholder="如：zhangsan")
    password = st.text_input("密码", type="password")
    submitted = st.form_submit_button("登录", type="primary")

if submitted:
    result = auth.authenticate(store, name, password, session.client_address())
    if result.ok:
        session.sign_in(result.account)
    else:
        state["login_message"] = result.message
    st.rerun()
