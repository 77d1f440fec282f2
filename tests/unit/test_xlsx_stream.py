"""The streaming .xlsx reader (used above STREAM_ABOVE_BYTES of sheet XML) reads every cell
exactly as the calamine path does: the tolerated-variant corpus of test_tolerant, dates,
booleans, Excel error values, rich text, and the openpyxl-written and template workbooks."""

import datetime as dt

import openpyxl
import pytest

from edubalance.ingest import reading
from edubalance.ingest.reading import calamine_grids, cell_text, read_source
from edubalance.ingest.xlsx_stream import workbook_sheets
from tests.unit.test_tolerant import VARIANTS, rich_frames


def _same(path):
    stream = [(name, grid) for name, grid in workbook_sheets(path, cell_text)]
    calamine = [(name, [list(r) for r in grid]) for name, grid in calamine_grids(path)]

    def trim(grid):
        rows = [list(r) for r in grid]
        for r in rows:
            while r and r[-1] == "":
                r.pop()
        while rows and not rows[-1]:
            rows.pop()
        return rows

    assert [n for n, _ in stream] == [n for n, _ in calamine]
    for (name, a), (_, b) in zip(stream, calamine):
        assert trim(a) == trim(b), name


@pytest.mark.parametrize(
    "writer",
    [
        w
        for w in VARIANTS
        if "xlsx" in w.__name__ or "template" in w.__name__ or "words" in w.__name__ or "sheet_names" in w.__name__
    ],
)
def test_stream_reads_the_tolerated_variants_like_calamine(writer, tmp_path):
    path = writer(rich_frames(), tmp_path)
    if path.suffix != ".xlsx":
        pytest.skip("not an .xlsx variant")
    _same(path)


def test_dates_booleans_errors_and_formulas(tmp_path):
    path = tmp_path / "kinds.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "任务进展"
    ws.append(["任务编号", "更新日期", "状态", "说明"])
    ws.append(["Q1", dt.date(2025, 3, 1), "推进中", True])
    ws.append(["Q2", dt.datetime(2025, 3, 1, 12, 30), "已完成", "=1/0"])
    ws.append(["Q3", 45717, "推进中", "  全角１２３ "])
    ws["B5"] = dt.date(1900, 2, 28)
    ws["C5"] = "a&b<c>"
    wb.save(path)
    _same(path)


def test_a_large_workbook_is_read_through_the_stream(tmp_path, monkeypatch):
    from tests.support.workbooks import write_xlsx

    write_xlsx(rich_frames(), tmp_path / "big.xlsx")
    calls = []
    real = workbook_sheets

    def spy(path, fn):
        calls.append(path)
        return real(path, fn)

    monkeypatch.setattr("edubalance.ingest.xlsx_stream.STREAM_ABOVE_BYTES", 0)
    monkeypatch.setattr("edubalance.ingest.xlsx_stream.workbook_sheets", spy)
    streamed = read_source(tmp_path / "big.xlsx")
    monkeypatch.undo()
    plain = read_source(tmp_path / "big.xlsx")
    assert calls and reading  # the stream was used
    assert [(t.sheet.key, t.headers, t.rows, t.row_numbers) for t in streamed] == [
        (t.sheet.key, t.headers, t.rows, t.row_numbers) for t in plain
    ]
