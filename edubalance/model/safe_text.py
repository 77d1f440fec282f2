"""Text from a workbook, the database or the URL, made inert for where it is shown.

Streamlit renders most strings as Markdown (st.markdown, captions, alerts, titles, metric
labels and values, tab, expander, radio and button labels, st.table cells), some as HTML
(``unsafe_allow_html``), and Plotly renders its own tags (``<a href>``, ``<b>``, ``<br>``) in
every text, label and tick of a figure. Spreadsheets run cells that start with ``=`` as
formulas. Each function here turns data text into text that shows literally in one of these
places; a page wraps every value it did not write itself.

- ``md(s)``: for Markdown (every ASCII punctuation mark backslash-escaped, so no link, image,
  emphasis, directive, math or autolink can form).
- ``html_text(s)``: for HTML, and for HTML inside Markdown (every ASCII punctuation mark as a
  numeric character reference).
- ``plot_text(s)`` and ``escape_figure(fig)``: for Plotly.
- ``csv_cell(v)`` and ``csv_safe(df)``: for CSV files opened in a spreadsheet.

Selectbox and multiselect options are plain text in Streamlit and must NOT be escaped (the
backslashes would show).
"""

from __future__ import annotations

import html
import re
import string

import pandas as pd
from plotly.basedatatypes import BaseFigure

_PUNCT = frozenset(string.punctuation)
# Line breaks and other control characters would end a paragraph or an HTML block early.
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")


# GFM turns "http://…", "www.…" and "a@b.c" in the text into links after escapes are resolved
# (a find-and-replace over the parsed text), so backslashes alone do not stop it. An invisible
# WORD JOINER inside each such pattern does: it is neither a word character nor whitespace.
_WJ = "\u2060"
_AUTOLINK = re.compile(r"(?i)(https?)(?=:)|(www)(?=\.)|(?=@)")


def _flat(value) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return _CONTROL.sub(" ", str(value))


def _unlinked(text: str) -> str:
    return _AUTOLINK.sub(lambda m: (m.group(0) or "") + _WJ, text)


def md(value) -> str:
    """``value`` as Markdown that renders as exactly its text, on one line."""
    return "".join("\\" + ch if ch in _PUNCT else ch for ch in _unlinked(_flat(value)))


def html_text(value) -> str:
    """``value`` as HTML text that shows literally, also where Streamlit runs Markdown over the HTML."""
    return "".join(f"&#{ord(ch)};" if ch in _PUNCT else ch for ch in _unlinked(_flat(value)))


def md_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells and headers are Markdown-escaped (st.table renders Markdown)."""
    out = df.copy()
    for c in out.columns:
        if out[c].dtype == object or pd.api.types.is_string_dtype(out[c]):
            out[c] = out[c].map(lambda v: md(v) if isinstance(v, str) else v)
    out.columns = [md(c) if isinstance(c, str) else c for c in out.columns]
    return out


# --- Plotly ---------------------------------------------------------------------------------


def plot_text(value) -> str:
    """``value`` as Plotly text: ``< > &`` as entities, so Plotly draws no tag or link from it."""
    if value is None:
        return ""
    return html.escape(str(value), quote=False)


# Trace attributes that can carry data text shown in the figure (tick labels come from x/y).
_TRACE_TEXT = ("x", "y", "text", "hovertext", "customdata", "labels", "parents", "name", "legendgroup")
_AXIS_TEXT = ("categoryarray", "ticktext")


_MARKUP = re.compile(r"[<>&]")


def _needs_escaping(value) -> bool:
    if isinstance(value, str):
        return _MARKUP.search(value) is not None
    if isinstance(value, (list, tuple)):
        return any(_needs_escaping(v) for v in value)
    if hasattr(value, "dtype") and getattr(value, "ndim", 0) >= 1 and value.dtype.kind in "OU":
        return any(_needs_escaping(v) for v in value.ravel().tolist())
    return False


def _escaped(value):
    if isinstance(value, str):
        return plot_text(value)
    if isinstance(value, (list, tuple)):
        return [_escaped(v) for v in value]
    if hasattr(value, "dtype") and getattr(value, "ndim", 0) >= 1:
        if value.dtype.kind == "O" or value.dtype.kind == "U":
            flat = [_escaped(v) for v in value.tolist()]
            return flat
        return value
    return value


def escape_figure(fig):
    """Escape the data text of every trace and the category labels of every axis, in place.

    Titles, annotations and hover templates are written by the chart code (with tags on
    purpose); a builder that puts data text into them wraps it in ``plot_text``. Marks the
    figure so that a second call is a no-op (escaping twice would show ``&amp;lt;``)."""
    if isinstance(fig, (list, tuple)):  # a builder may return several figures (or none)
        for f in fig:
            escape_figure(f)
        return fig
    if not isinstance(fig, BaseFigure) or getattr(fig, "_eb_text_safe", False):
        return fig
    for trace in fig.data:
        for attr in _TRACE_TEXT:
            try:
                value = trace[attr]
            except (KeyError, ValueError):
                continue
            # Re-assigning makes Plotly validate the whole array again: only when text changes.
            if value is not None and _needs_escaping(value):
                trace[attr] = _escaped(value)
    layout = fig.layout
    for name in layout:
        if name.startswith(("xaxis", "yaxis")) or name in ("polar", "ternary"):
            axis = layout[name]
            for attr in _AXIS_TEXT:
                value = getattr(axis, attr, None) if hasattr(axis, attr) else None
                if value is not None and _needs_escaping(value):
                    axis[attr] = _escaped(value)
    fig._eb_text_safe = True
    return fig


# --- Excel ----------------------------------------------------------------------------------

# xlsxwriter options for every workbook of data: a text cell stays text (by default "=…"
# becomes a live formula, "http://…" a hyperlink and "12" a number). Numbers written as
# numbers stay numbers.
XLSX_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}

_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\\x00-\x1f]")


def sheet_name(title, limit: int = 31) -> str:
    """A worksheet name Excel accepts made from a title that may hold data text: at most
    ``limit`` characters, no ``[ ] : * ? / \\``, no apostrophe at either end, never empty."""
    name = _SHEET_FORBIDDEN.sub("_", _flat(title))[:limit].strip().strip("'")
    return name or "数据"


# --- CSV --------------------------------------------------------------------------------------

# A spreadsheet treats a cell starting with one of these as a formula (tab and CR too, which
# some strip before looking).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value):
    """A text cell a spreadsheet will not run: ``'`` put before a leading = + - @ tab or CR.
    Anything that is not text (numbers, a negative number included) is returned as is."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def csv_safe(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` with every text cell (and header) passed through ``csv_cell``."""
    out = df.copy()
    for c in out.columns:
        if out[c].dtype == object or pd.api.types.is_string_dtype(out[c]):
            out[c] = out[c].map(csv_cell)
    out.columns = [csv_cell(c) for c in out.columns]
    return out
