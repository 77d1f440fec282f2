"""Tables as the pages show and download them: display formats and heights for
``st.dataframe``, the town ranking table, and the Excel and CSV bytes of a table.

Pure pandas, no Streamlit (the table widget itself is in ``ui.widgets``). The ranking table
lives here, not in ``metrics``: its mean rank only orders the display (it is no plan measure),
and its Chinese headers and column order are made for the page.
"""

from __future__ import annotations

import io

import pandas as pd

from edubalance.charts.base import indicator_short
from edubalance.model.labels import COLUMN_LABELS
from edubalance.model.safe_text import XLSX_OPTIONS, csv_safe, sheet_name


def number_formats(unit: str | None, columns=("town_value", "city_value", "gap", "standard")) -> dict[str, str]:
    """Display formats (Streamlit NumberColumn) for value columns in ``unit``, keyed by the
    columns' Chinese headers: shares as percentages, 元 without decimals, others 2 decimals."""
    fmt = "percent" if unit == "比例" else "%.0f" if unit and unit.startswith("元") else "%.2f"
    return {COLUMN_LABELS.get(c, c): fmt for c in columns}


def table_height(rows: int) -> int:
    """A table height (px) that shows ``rows`` rows without an inner scroll bar."""
    return 38 + 35 * max(rows, 1)


def ranking_table(rank_rows: pd.DataFrame, indicators: list[str]) -> pd.DataFrame:
    """Towns × chosen indicators: each indicator's rank (1 = best) and the mean rank, sorted
    by the mean rank. Columns carry Chinese headers already (they are built from names)."""
    d = rank_rows[rank_rows["indicator"].isin(indicators)]
    if d.empty:
        return pd.DataFrame(columns=["town_code", "town_name"])
    names = d.drop_duplicates("indicator").set_index("indicator").apply(indicator_short, axis=1)
    wide = d.pivot(index=["town_code", "town_name"], columns="indicator", values="rank")
    wide = wide.reindex(columns=[i for i in indicators if i in wide.columns])
    out = wide.reset_index()
    out.columns = ["town_code", "town_name"] + [f"{names[c]}名次" for c in wide.columns]
    ranks = out.iloc[:, 2:]
    out["平均名次"] = ranks.mean(axis=1).round(1)
    out["参与排名指标数"] = ranks.notna().sum(axis=1)
    out = out.sort_values(["平均名次", "town_code"], na_position="last").reset_index(drop=True)
    for c in out.columns[2:-2]:
        out[c] = out[c].astype("Int64")
    # Names first (phones show the first columns), the code last.
    return out[["town_name", *out.columns[2:], "town_code"]]


def default_indicators(rank_rows: pd.DataFrame, n: int = 6) -> list[str]:
    """The first ``n`` indicators (registry order) that have a standard, else the first 4."""
    ind = rank_rows.drop_duplicates("indicator")
    with_std = ind.loc[ind["standard"].notna(), "indicator"].tolist()
    return with_std[:n] if with_std else ind["indicator"].tolist()[:4]


def default_towns(rank_rows: pd.DataFrame, indicators: list[str], n: int = 3) -> list[str]:
    """The ``n`` best and ``n`` worst towns by mean rank over ``indicators`` (all when few)."""
    table = ranking_table(rank_rows, indicators)
    if "平均名次" not in table:
        return []
    table = table[table["平均名次"].notna()]
    codes = table["town_code"].tolist()
    return codes if len(codes) <= 2 * n else codes[:n] + codes[-n:]


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
