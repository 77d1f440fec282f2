"""Run a page so that a viewer never sees a traceback: an unexpected exception is logged on
the server with an error id, and the page shows a short Chinese message with that id.

Streamlit's own control flow (st.rerun, st.stop, st.switch_page) raises
``ScriptControlException`` subclasses; they pass through untouched. With
``client.showErrorDetails = "none"`` (.streamlit/config.toml) anything that escapes this
guard still shows no details."""

from __future__ import annotations

import logging
import sys
import uuid
from collections.abc import Callable

import streamlit as st
from streamlit.runtime.scriptrunner_utils.exceptions import ScriptControlException

log = logging.getLogger("edubalance.pages")
if not log.handlers:
    _handler = logging.StreamHandler(sys.stderr)
    _handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    log.addHandler(_handler)
    log.setLevel(logging.INFO)
    log.propagate = False


def error_message(error_id: str) -> str:
    return f"页面出现意外错误，未能完整显示。请刷新重试；如仍出错，请把错误编号 {error_id} 告知系统管理员。"


def run_guarded(run: Callable[[], object], where: str = "") -> str | None:
    """Call ``run()``; on an unexpected exception log it with a new error id, show the Chinese
    message and return the id (None when the page ran through)."""
    try:
        run()
    except ScriptControlException:
        raise
    except Exception:
        error_id = uuid.uuid4().hex[:10]
        log.exception("page error id=%s page=%s", error_id, where or "?")
        st.error(error_message(error_id), icon=":material/error:")
        return error_id
    return None
