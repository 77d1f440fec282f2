"""How a number reads: one rule for the screen, the meeting deck and the Excel workbook.

The rule is ``d3_format(unit, value)``: a format specification that Python's ``format()`` and
Plotly (d3-format) read the same way (".1%", ",.0f", ".3f", ",.2f"). Text for tables and
captions (``format_number``, ``format_value``), the number format of Excel cells and native
PowerPoint charts (``excel_format``) and the on-screen charts all derive from it, so a figure
reads the same wherever it is shown:

- 比例 (and 同比增长率): a percentage with one decimal (0.4523 → 45.2%);
- 元, 元/生, 元/年: whole yuan with thousands separators (2,742 元/生);
- 系数 (the 差异系数 CV): three decimals (0.412), as the balance page shows it;
- counts (所, 个, 项, 次): whole numbers when whole (3 所), else two decimals;
- everything else (人/百名学生, 平方米/生, 人, 倍 …): two decimals with separators (4.63).

Targets are worded differently on 目标进度 (one decimal, 是/否 as words, see
``format_target_value``): that page's figures are a target's own measure, read against a goal
the plan states with one decimal or as a percentage.

Missing values (None, NaN, pd.NA, NaT) read "—" everywhere; ``is_missing`` is the one check.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd

DASH = "—"
PERCENT_UNITS = ("比例", "同比增长率")
CV_UNIT = "系数"
COUNT_UNITS = ("所", "个", "项", "次")
# Units that are a word rather than a measure: shown without the unit after the number.
BARE_UNITS = (*PERCENT_UNITS, CV_UNIT)
YES_NO = "是/否"
EPS = 1e-9

_SPEC = re.compile(r"^(,?)\.(\d+)([f%])$")


def is_missing(v) -> bool:
    """True for None, NaN, pd.NA and NaT (a scalar; strings and lists are never missing)."""
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    if isinstance(v, (float, np.floating)):
        return math.isnan(v)
    if isinstance(v, np.datetime64):
        return bool(np.isnat(v))
    return False


def school_year_label(year: int) -> str:
    """2025 → "2025—2026学年" (a school year is named by the autumn it starts)."""
    return f"{year}—{year + 1}学年"


def _is_whole(value) -> bool:
    return value is not None and not is_missing(value) and abs(float(value) - round(float(value))) < EPS


def d3_format(unit: str | None, value=None) -> str:
    """The format specification of a figure in ``unit`` (the one rule; see the module doc).

    ``value`` matters only for counts: a whole count has no decimals. Without a value (a chart
    axis, a column) counts get whole numbers."""
    if not isinstance(unit, str):
        unit = None  # a missing unit cell (NaN) is no unit
    if unit in PERCENT_UNITS:
        return ".1%"
    if unit and unit.startswith("元"):
        return ",.0f"
    if unit == CV_UNIT:
        return ".3f"
    if unit in COUNT_UNITS and (value is None or _is_whole(value)):
        return ",.0f"
    return ",.2f"


def excel_number_format(spec: str) -> str:
    """The Excel number format of a format specification: ",.2f" → "#,##0.00", ".1%" → "0.0%"."""
    m = _SPEC.match(spec)
    if m is None:
        raise ValueError(f"not a number format specification: {spec!r}")
    comma, digits, kind = m.groups()
    text = ("#,##0" if comma else "0") + ("." + "0" * int(digits) if int(digits) else "")
    return text + ("%" if kind == "%" else "")


def excel_format(unit: str | None, value=None) -> str:
    """The Excel number format of a figure in ``unit``: a cell reads as ``format_number``."""
    return excel_number_format(d3_format(unit, value))


def format_number(value, unit: str | None = None) -> str:
    """A figure without its unit (table cells, bar labels, the deck's tables)."""
    if is_missing(value):
        return DASH
    return format(float(value), d3_format(unit, value))


def format_value(value, unit: str | None = None) -> str:
    """A figure with its unit for captions and hovers ("4.63 人/百名学生", "45.2%")."""
    text = format_number(value, unit)
    if text == DASH or not isinstance(unit, str) or not unit or unit in BARE_UNITS:
        return text
    return f"{text} {unit}"


def target_spec(unit: str | None, value=None) -> str:
    """The format specification of a target's value or goal (目标进度's rule): percentages
    with one decimal, whole counts without decimals, 倍 with two, other measures with one."""
    if unit in PERCENT_UNITS:
        return ".1%"
    if unit in ("所", "个", "次") and (value is None or _is_whole(value)):
        return ".0f"
    if unit == "倍":
        return ".2f"
    return ".1f"


def format_target_value(value, unit: str | None) -> str:
    """A target's value or goal as 目标进度 words it (``target_spec``; 是/否 as a word)."""
    if is_missing(value):
        return DASH
    v = float(value)
    if unit == YES_NO:
        return "是" if v >= 1 - EPS else "否"
    text = format(v, target_spec(unit, v))
    return text if unit in PERCENT_UNITS else f"{text} {unit}"


def excel_target_format(unit: str | None, value) -> str:
    """The Excel number format of a target's figure: the cell keeps its number and reads as
    ``format_target_value`` without the unit (a 是/否 figure shows the word)."""
    if unit == YES_NO:
        return '"是"' if not is_missing(value) and float(value) >= 1 - EPS else '"否"'
    return excel_number_format(target_spec(unit, value))


def display_width(text: str) -> int:
    """The width of a text in half-em units (a CJK character is two): column widths of the
    deck's tables and the workbook's sheets."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)
