"""First start: build the demo database when none exists; refresh one built by older code."""

from __future__ import annotations

import streamlit as st

from edubalance.ingest.build import build_database
from edubalance.ingest.importer import refresh_if_outdated
from edubalance.store.paths import db_path


@st.cache_resource(show_spinner=False)
def _checked(path: str) -> bool:
    return refresh_if_outdated(db_path(path))


def ensure_database() -> None:
    db = db_path()
    if not db.exists():
        with st.spinner("首次启动：正在生成演示数据库（约需数秒）……"):
            result = build_database(db)
        if not result.ok:
            st.error("演示数据构建失败：\n\n" + "\n".join(p.line() for p in result.problems.errors[:20]))
            st.stop()
    _checked(str(db))
