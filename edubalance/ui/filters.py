"""Page filters whose choices live in the URL (?year=, ?stage=, ...), so that a link opens
the same view."""

from __future__ import annotations

import streamlit as st

from edubalance.model.format import school_year_label
from edubalance.model.safe_text import md
from edubalance.model.schema import STAGES
from edubalance.ui.data import available_years

COMPULSORY = ("小学", "初中")


def _param(key: str, options: list, default):
    raw = st.query_params.get(key)
    for o in options:
        if str(o) == raw:
            return o
    return default


def year_filter(sidebar=True) -> int:
    """School year from the URL (?year=), chosen in the sidebar; written back to the URL."""
    years = available_years()
    if not years:
        st.warning("数据库中还没有学年数据，请先在“数据管理”中导入。")
        st.stop()
    where = st.sidebar if sidebar else st
    current = _param("year", years, years[0])
    year = where.selectbox("学年", years, index=years.index(current), format_func=school_year_label, key="flt_year")
    st.query_params["year"] = str(year)
    return year


def stage_filter(options=STAGES, default="小学", sidebar=True) -> str:
    where = st.sidebar if sidebar else st
    options = list(options)
    current = _param("stage", options, default if default in options else options[0])
    stage = where.selectbox("学段", options, index=options.index(current), key="flt_stage")
    st.query_params["stage"] = stage
    return stage


def url_choice(label: str, options, param: str, *, key: str, default=None, format_func=str, where=st, radio=False):
    """A select box (or horizontal radio) whose choice lives in the URL (?param=)."""
    options = list(options)
    if not options:
        return None
    current = _param(param, options, default if default in options else options[0])
    widget = where.radio if radio else where.selectbox
    kw = {"horizontal": True} if radio else {}
    # Radio options render Markdown (select box options are plain text and stay unescaped).
    shown = (lambda o: md(format_func(o))) if radio else format_func
    value = widget(label, options, index=options.index(current), format_func=shown, key=key, **kw)
    st.query_params[param] = str(value)
    return value


def url_multichoice(label: str, options, param: str, *, key: str, default=(), format_func=str, where=st):
    """A multiselect whose choices live in the URL (?param=a&param=b; unknown values dropped;
    none given → ``default``)."""
    options = list(options)
    by_text = {str(o): o for o in options}
    chosen = [by_text[t] for t in st.query_params.get_all(param) if t in by_text]
    if not chosen:
        chosen = [o for o in default if o in options]
    value = where.multiselect(label, options, default=chosen, format_func=format_func, key=key)
    st.query_params[param] = [str(v) for v in value]
    return value
