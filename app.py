"""城乡教育均衡监测看板 — entry point: page config, database check, navigation."""

import streamlit as st

from edubalance.access import session
from edubalance.store.private import restrict_umask
from edubalance.ui.bootstrap import ensure_database
from edubalance.ui.navigation import PAGES, visible_pages
from edubalance.ui.page_guard import run_guarded

st.set_page_config(page_title="城乡教育均衡监测看板", page_icon="static/favicon.png", layout="wide")

restrict_umask()  # files this server creates (database, history, accounts): owner only
# A database that cannot be opened or refreshed: the same Chinese message with an error id.
if run_guarded(ensure_database, where="ensure_database"):
    st.stop()

# Checked on every rerun: a disabled account or an idle session ends here, before any page runs.
account = session.current()
sections: dict[str, list] = {}
for spec in visible_pages(account, session.login_required()):
    sections.setdefault(spec.section, []).append(
        st.Page(
            spec.path,
            title=spec.title,
            icon=spec.icon,
            url_path=spec.url_path,
            default=spec is PAGES[0] or (spec.url_path == "login" and account is None and session.login_required()),
        )
    )

# expanded: with the admin page there are 13 pages, and Streamlit would fold the last ones
# (方法说明, 登录, 数据管理) behind "View 3 more".
page = st.navigation(sections, expanded=True)
st.sidebar.caption("城乡教育均衡监测看板")
# An exception in a page: a Chinese message with an error id, the traceback in the server log.
run_guarded(page.run, where=page.url_path)
