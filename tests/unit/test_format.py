"""One formatter: the same figures read the same on screen, in the deck and in the workbook.

Screen text is model.format's (charts/towns labels and hovers, the d3 format of the on-screen
charts); the deck is written by report.deck.render_pptx and read back with python-pptx; the
workbook is written by report.xlsx.write_workbook and read back with openpyxl, where a figure
must stay a number whose number format displays it as the screen does."""

from __future__ import annotations

import io
import math

import numpy as np
import openpyxl
import pandas as pd
import pytest
from pptx import Presentation

from edubalance.model.format import (
    d3_format,
    excel_format,
    excel_number_format,
    format_number,
    format_target_value,
    format_value,
    is_missing,
    school_year_label,
)
from edubalance.report import xlsx
from edubalance.report.content import ChartSpec, DeckContext, Section
from edubalance.report.deck import render_pptx

# (value, unit, what the screen shows without the unit, with it)
FIGURES = [
    (0.41234, "系数", "0.412", "0.412"),  # a 差异系数, three decimals as on 义务教育优质均衡
    (2742.4, "元/生", "2,742", "2,742 元/生"),  # whole yuan with separators
    (0.4523, "比例", "45.2%", "45.2%"),  # a share, one decimal
    (3.0, "所", "3", "3 所"),  # a whole count
]


def excel_text(value: float, number_format: str) -> str:
    """What Excel displays for ``value`` under the simple formats the workbook uses
    ("0.000", "#,##0", "#,##0.00", "0.0%")."""
    percent = number_format.endswith("%")
    core = number_format.rstrip("%")
    decimals = len(core.split(".")[1]) if "." in core else 0
    spec = ("," if core.startswith("#,##") else "") + f".{decimals}f"
    return format(value * 100 if percent else value, spec) + ("%" if percent else "")


@pytest.mark.parametrize(("value", "unit", "bare", "with_unit"), FIGURES)
def test_screen_text(value, unit, bare, with_unit):
    assert format_number(value, unit) == bare
    assert format_value(value, unit) == with_unit
    # The on-screen charts format with d3: the same specification as Python's format().
    assert format(value, d3_format(unit, value)) == bare


def test_screen_deck_and_workbook_read_the_same(tmp_path):
    # Deck: one native chart per figure and a table of the figures, written by render_pptx.
    ctx = DeckContext(2025, "测试县", "990101", False, "", 2025, 2025)
    charts = [
        ChartSpec(
            source=f"t|{unit}", title=unit, categories=["甲"], series={"值": [value]}, value_format=d3_format(unit)
        )
        for value, unit, _, _ in FIGURES
    ]
    table = pd.DataFrame({"单位": [u for _, u, _, _ in FIGURES], "值": [format_number(v, u) for v, u, _, _ in FIGURES]})
    deck = render_pptx(
        [
            Section(key="t", title="格式", charts=charts[:1], table=table),
            *[Section(key=f"c{i}", title="格式", charts=[c]) for i, c in enumerate(charts[1:])],
        ],
        ctx,
    )
    prs = Presentation(io.BytesIO(deck.data))
    frames = [sh for slide in prs.slides for sh in slide.shapes if sh.has_chart]
    assert len(frames) == len(FIGURES)
    for (value, unit, bare, _), frame in zip(FIGURES, frames):
        labels = frame.chart.plots[0].data_labels
        assert labels.number_format == excel_format(unit)
        assert excel_text(value, labels.number_format) == bare
        assert list(frame.chart.plots[0].series[0].values) == [value]
    (tbl,) = [sh.table for sh in prs.slides[0].shapes if sh.has_table]
    assert [tbl.cell(i, 1).text for i in range(1, len(FIGURES) + 1)] == [bare for _, _, bare, _ in FIGURES]

    # Workbook: a sheet whose value column takes its format from the row's unit, as town_gaps does.
    df = pd.DataFrame({"unit": [u for _, u, _, _ in FIGURES], "value": [v for v, _, _, _ in FIGURES]})
    plan = xlsx.SheetPlan("格式", "格式", "town_gaps", {"year": 2025}, df)
    book = openpyxl.load_workbook(io.BytesIO(xlsx.write_workbook([plan], 2025, False)))
    ws = book["格式"]
    for row, (value, unit, bare, _) in enumerate(FIGURES, start=3):  # title, headers, then data
        cell = ws.cell(row, 2)
        assert cell.data_type == "n" and cell.value == pytest.approx(value)  # a number, not text
        assert cell.number_format == excel_format(unit, value)
        assert excel_text(cell.value, cell.number_format) == bare


def test_counts_keep_decimals_when_not_whole():
    assert format_value(2.5, "次") == "2.50 次"
    assert excel_format("次", 2.5) == "#,##0.00"
    assert excel_format("次", 2.0) == "#,##0"


def test_excel_number_format_of_a_spec():
    assert [excel_number_format(s) for s in (",.2f", ".1%", ",.0f", ".3f", ".0%")] == [
        "#,##0.00",
        "0.0%",
        "#,##0",
        "0.000",
        "0%",
    ]
    with pytest.raises(ValueError):
        excel_number_format("%Y")


def test_one_null_check():
    for v in (None, float("nan"), np.float32("nan"), np.nan, pd.NA, pd.NaT, np.datetime64("NaT")):
        assert is_missing(v), v
        assert format_value(v, "比例") == "—" and format_target_value(v, "所") == "—"
    for v in (0, 0.0, "", "—", [], [float("nan")], math.inf):
        assert not is_missing(v), v
    # A missing unit cell (NaN in a query result) is no unit, not a crash.
    assert format_value(4.6349, float("nan")) == "4.63"


def test_target_values_as_the_targets_page_words_them():
    assert format_target_value(0.4523, "比例") == "45.2%"
    assert format_target_value(3.0, "所") == "3 所"
    assert format_target_value(1.0, "是/否") == "是"
    assert format_target_value(1.234, "倍") == "1.23 倍"
    assert format_target_value(13.21, "人") == "13.2 人"


# A target's figure on 目标进度 (screen) → the number format of its cell in the 目标进度 sheet
# → what Excel shows (the unit is in its own column there).
TARGET_FIGURES = [
    (13.24, "人", "13.2 人", "0.0", "13.2"),
    (3.0, "所", "3 所", "0", "3"),
    (3.5, "所", "3.5 所", "0.0", "3.5"),
    (0.4523, "比例", "45.2%", "0.0%", "45.2%"),
    (1.234, "倍", "1.23 倍", "0.00", "1.23"),
    (1.0, "是/否", "是", '"是"', "是"),
    (0.0, "是/否", "否", '"否"', "否"),
]


def test_target_figures_read_the_same_on_the_page_and_in_the_workbook():
    df = pd.DataFrame({"unit": [f[1] for f in TARGET_FIGURES], "value": [f[0] for f in TARGET_FIGURES]})
    plan = xlsx.SheetPlan("目标", "目标", "targets_status", {"year": 2025}, df)
    ws = openpyxl.load_workbook(io.BytesIO(xlsx.write_workbook([plan], 2025, False)))["目标"]
    for row, (value, unit, screen, number_format, shown) in enumerate(TARGET_FIGURES, start=3):
        assert format_target_value(value, unit) == screen
        cell = ws.cell(row, 2)
        assert cell.data_type == "n" and cell.value == pytest.approx(value)  # a number, not text
        assert cell.number_format == number_format
        literal = number_format.startswith('"')
        assert (number_format.strip('"') if literal else excel_text(cell.value, number_format)) == shown
        assert screen.startswith(shown)


def test_school_year_label():
    assert school_year_label(2025) == "2025—2026学年"
