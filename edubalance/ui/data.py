"""Shared Streamlit plumbing for the pages: data access with caching, filters in the URL,
banners, and the table-with-download block. Pages stay thin and hold no SQL."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import streamlit as st

from edubalance.model.format import school_year_label
from edubalance.model.labels import labelled
from edubalance.model.safe_text import XLSX_OPTIONS, csv_safe, escape_figure, md, sheet_name
from edubalance.model.schema import STAGES
from edubalance.store import db as dbmod
from edubalance.store.paths import db_path

COMPULSORY = ("小学", "初中")


@st.cache_resource(show_spinner=False, max_entries=4)
def _connection(signature: tuple):
    # One read-only connection per database file; a swapped-in file has a new signature.
    return dbmod.connect(Path(signature[0]))


@st.cache_data(show_spinner=False, max_entries=512)
def _query(name: str, params: tuple, signature: tuple) -> pd.DataFrame:
    # run() reads through its own cursor, so script threads can share the connection.
    return dbmod.run(name, dict(params), con=_connection(signature))


def database() -> Path:
    return db_path()


def query(name: str, **params) -> pd.DataFrame:
    """A named query's result (cached per database file version)."""
    return _query(name, tuple(sorted(params.items())), dbmod.signature(database())).copy()


def forget_connections() -> None:
    """Drop the cached connections and results after this process swapped a new database in.

    DuckDB keeps one instance per path while any connection to it is open, so a connection
    made for the new file would still read the old one; dropping ours releases it.
    """
    _connection.clear()
    _query.clear()
    _query_then.clear()


def dataset_info() -> dict:
    return query("dataset_info").iloc[0].to_dict()


def available_years() -> list[int]:
    return [int(y) for y in query("school_years_available")["year"]]


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


def banner(year: int | None = None) -> None:
    info = dataset_info()
    parts = []
    if year is not None:
        parts.append(f"数据学年：**{school_year_label(year)}**（秋季统计时点）")
    if info.get("first_year") is not None and not pd.isna(info.get("first_year")):
        parts.append(f"库中学年：{int(info['first_year'])}—{int(info['last_year'])}")
    if info.get("is_demo"):
        st.warning("**演示数据**：本库为按开平市真实镇街结构生成的模拟数据，不是官方统计数字。", icon="⚠️")
    if parts:
        st.caption(" · ".join(parts))


def to_xlsx_bytes(df: pd.DataFrame, title: str) -> bytes:
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="xlsxwriter", engine_kwargs={"options": XLSX_OPTIONS}) as xw:
        sheet = sheet_name(title, 28)
        df.to_excel(xw, sheet_name=sheet, index=False, startrow=1)
        xw.sheets[sheet].write(0, 0, title)
    return buf.getvalue()


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    """CSV for a person with a spreadsheet: UTF-8 with BOM (Excel shows Chinese), and text
    cells that a spreadsheet would run as a formula prefixed with ' (numbers untouched).
    ``python -m edubalance query --format csv`` is machine output and stays raw."""
    return csv_safe(df).to_csv(index=False).encode("utf-8-sig")


# Rows a table sends to the browser. Beyond this a page carries megabytes nobody scrolls
# through (a province-sized county's school × indicator table is 90,000 rows, 25 MB);
# the downloads always hold every row.
TABLE_ROWS_SHOWN = 2000


def table(
    df: pd.DataFrame,
    title: str,
    key: str,
    *,
    column_config=None,
    height=None,
    on_select="ignore",
    max_rows: int = TABLE_ROWS_SHOWN,
):
    """A table with Chinese headers and Excel and CSV downloads (CSV as UTF-8 with BOM so
    Excel shows Chinese). With on_select="rerun" a row can be picked; returns the selection.
    Shows the first `max_rows` rows; the downloads hold all of them."""
    df = labelled(df)
    shown = df if len(df) <= max_rows else df.head(max_rows)
    if len(shown) < len(df):
        st.caption(f"共 {len(df):,} 行，此处显示前 {max_rows:,} 行；下载 Excel 或 CSV 可得全部数据。")
    event = st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        column_config=column_config,
        height=height or "auto",
        on_select=on_select,
        selection_mode="single-row",
        key=f"df_{key}" if on_select != "ignore" else None,
    )
    c1, c2, _ = st.columns([1, 1, 4])
    c1.download_button(
        "下载 Excel",
        lambda: to_xlsx_bytes(df, title),  # built only when clicked
        file_name=f"{title}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"xlsx_{key}",
    )
    c2.download_button(
        "下载 CSV",
        lambda: to_csv_bytes(df),
        file_name=f"{title}.csv",
        mime="text/csv",
        key=f"csv_{key}",
    )
    return event


@st.cache_resource(show_spinner=False, max_entries=256)
def _figure(_builder, name: str, args: tuple, kwargs: tuple):
    return escape_figure(_builder(*args, **dict(kwargs)))


def figure(builder, *args, **kwargs):
    """A chart builder's figure, built once per distinct input (plotly figures are slow to build)."""
    name = f"{builder.__module__}.{builder.__qualname__}"
    return _figure(builder, name, args, tuple(sorted(kwargs.items())))


@st.cache_data(show_spinner=False, max_entries=256)
def _computed(_fn, name: str, args: tuple, kwargs: tuple):
    return _fn(*args, **dict(kwargs))


@st.cache_data(show_spinner=False, max_entries=64)
def _query_then(_fn, fn_name: str, name: str, params: tuple, signature: tuple):
    return _fn(_query(name, params, signature))


def query_then(fn, name: str, **params):
    """A pure function of a named query's result, computed once per database file version
    (keyed by the query, not by hashing the result: target rollups of a large county take
    seconds)."""
    fn_name = f"{fn.__module__}.{fn.__qualname__}"
    return _query_then(fn, fn_name, name, tuple(sorted(params.items())), dbmod.signature(database()))


def computed(fn, *args, **kwargs):
    """A pure function's result (e.g. edubalance.metrics.analytics), computed once per distinct input;
    each call gets its own copy."""
    name = f"{fn.__module__}.{fn.__qualname__}"
    return _computed(fn, name, args, tuple(sorted(kwargs.items())))


def chart(fig, key: str, *, on_select="ignore", selection_mode=("points", "box", "lasso")):
    # on_select="rerun" returns the selection (town maps open 镇街详情 on a click).
    # Data text in traces and category axes is escaped once per figure (Plotly renders tags).
    escape_figure(fig)
    return st.plotly_chart(
        fig,
        width="stretch",
        key=key,
        config={"displaylogo": False, "topojsonURL": "app/static/topojson/"},
        on_select=on_select,
        selection_mode=selection_mode,
    )
