"""Page widgets: the data banner, tables with downloads, Plotly charts, and what a click on
a chart or a table row selected."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from edubalance.model.format import school_year_label
from edubalance.model.labels import labelled
from edubalance.model.safe_text import escape_figure
from edubalance.ui.data import dataset_info
from edubalance.ui.tables import to_csv_bytes, to_xlsx_bytes


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


def chart_grid(figures, key: str, columns: int = 2) -> None:
    """(name, figure) pairs as charts side by side, ``columns`` to a row; each chart's key is
    ``f"{key}_{name}"``."""
    cols = st.columns(columns)
    for i, (name, fig) in enumerate(figures):
        with cols[i % columns]:
            chart(fig, key=f"{key}_{name}")


def selected_town(event) -> str | None:
    """The town code behind a click on a town map (a zone, or a school point), else None.

    ``event`` is what ``st.plotly_chart(on_select="rerun")`` returns (a mapping with
    ``selection.points``); zones carry the code as ``location``, points as customdata[0].
    """
    try:
        points = event["selection"]["points"]
    except (KeyError, TypeError):
        return None
    for p in points or []:
        loc = p.get("location")
        if isinstance(loc, str) and loc:
            return loc
        custom = p.get("customdata")
        if isinstance(custom, (list, tuple)) and custom and isinstance(custom[0], str) and custom[0].isdigit():
            return custom[0]
    return None


def selected_row(event, codes: list[str]) -> str | None:
    """The town code of the row picked in a table shown with ``widgets.table(on_select="rerun")``;
    ``codes`` are the table's town codes in display order."""
    try:
        rows = event["selection"]["rows"]
    except (KeyError, TypeError):
        return None
    if rows and 0 <= rows[0] < len(codes):
        return str(codes[rows[0]])
    return None
