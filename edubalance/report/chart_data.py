"""python-pptx chart data whose embedded workbook keeps data text as text.

PowerPoint's 编辑数据 opens a workbook embedded in each native chart; python-pptx writes it
with xlsxwriter's defaults, which turn a category or series name starting with "=" into a live
formula. This writer uses the same text-safe options as every other workbook we write."""

from __future__ import annotations

from contextlib import contextmanager

import xlsxwriter
from pptx.chart.data import CategoryChartData
from pptx.chart.xlsx import CategoryWorkbookWriter
from pptx.util import lazyproperty

from edubalance.model.safe_text import XLSX_OPTIONS


class TextSafeWriter(CategoryWorkbookWriter):
    @contextmanager
    def _open_worksheet(self, xlsx_file):
        workbook = xlsxwriter.Workbook(xlsx_file, {"in_memory": True, **XLSX_OPTIONS})
        worksheet = workbook.add_worksheet()
        yield workbook, worksheet
        workbook.close()


class TextSafeCategoryChartData(CategoryChartData):
    @lazyproperty
    def _workbook_writer(self):
        return TextSafeWriter(self)


def category_chart_data(**kwargs) -> TextSafeCategoryChartData:
    """python-pptx ``CategoryChartData`` whose embedded workbook (PowerPoint's 编辑数据) writes
    category and series names as text: python-pptx's own writer turns "=…" into a formula."""
    return TextSafeCategoryChartData(**kwargs)
