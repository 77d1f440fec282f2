"""Reading clerks' workbooks into raw string tables.

Excel and CSV exports arrive in many shapes: GB18030 CSVs, a title row above the header,
merged header cells, full-width digits, numbers Excel stored as floats. This module turns
every supported file into `RawTable`s of normalised strings with their Excel row numbers,
so that validation can name the exact cell of every problem. It never guesses values.
"""

from __future__ import annotations

import datetime as dt
import math
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from .schema import SHEETS, Sheet, sheet_for

MAX_HEADER_SCAN = 10


@dataclass
class RawTable:
    sheet: Sheet
    source: str  # file name (and sheet) for messages
    headers: list[str]  # normalised header text per column position
    rows: list[list[str]]  # normalised cell text, "" for empty
    row_numbers: list[int]  # Excel row number of each data row (header row = its own number)
    header_row: int = 1
    notes: list[str] = field(default_factory=list)


class UnreadableFile(Exception):
    """The file cannot be read at all (wrong format, encoding, no known sheet)."""


def normalise_text(value: str) -> str:
    # NFKC folds full-width digits, letters, commas and spaces to their ASCII forms,
    # which is what clerks' IMEs produce; then surrounding blanks go.
    return unicodedata.normalize("NFKC", value).strip()


def cell_text(value) -> str:
    """A calamine/CSV cell as text; integral floats lose their '.0' (Excel stores numbers as floats)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    return normalise_text(str(value))


def _header_key(text: str) -> str:
    return normalise_text(text).replace(" ", "").lower()


def _known_headers(sheet: Sheet) -> dict[str, str]:
    known = {}
    for c in sheet.columns:
        known[_header_key(c.zh)] = c.key
        known[_header_key(c.key)] = c.key
    return known


def _match_count(row: list[str], known: dict[str, str]) -> int:
    return sum(1 for v in row if v and _header_key(v) in known)


def _locate_header(sheet: Sheet, grid: list[list[str]]) -> tuple[int, list[str]]:
    """Find the header row (allowing title rows above it) and merge a two-row header.

    Returns the 0-based index of the last header row and the header text per column.
    """
    known = _known_headers(sheet)
    best, best_i = 0, -1
    for i, row in enumerate(grid[:MAX_HEADER_SCAN]):
        n = _match_count(row, known)
        if n > best:
            best, best_i = n, i
    if best_i < 0 or best < min(2, len(sheet.columns)):
        raise UnreadableFile(f"在前 {MAX_HEADER_SCAN} 行中找不到“{sheet.zh}”表的表头（如“{sheet.columns[0].zh}”）")
    header = list(grid[best_i])
    # A merged group cell ("班额" over the band columns) leaves the real names one row
    # below; take, column by column, whichever of the two rows holds a known header.
    if best_i + 1 < len(grid):
        below = grid[best_i + 1]
        if _match_count(below, known) >= 2:
            width = max(len(header), len(below))
            header += [""] * (width - len(header))
            merged = []
            for j in range(width):
                top = header[j]
                low = below[j] if j < len(below) else ""
                merged.append(low if (low and _header_key(low) in known) else top)
            header = merged
            best_i += 1
    return best_i, header


def _table_from_grid(sheet: Sheet, grid: list[list[str]], source: str) -> RawTable:
    header_i, header = _locate_header(sheet, grid)
    rows, numbers = [], []
    width = len(header)
    for i in range(header_i + 1, len(grid)):
        row = grid[i]
        if not any(row):
            continue  # blank lines between or after the data
        row = (row + [""] * width)[:width] if len(row) < width else row
        rows.append(row)
        numbers.append(i + 1)
    return RawTable(sheet, source, header, rows, numbers, header_row=header_i + 1)


def _read_xlsx(path: Path) -> list[RawTable]:
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types per format problem
        raise UnreadableFile(f"无法读取 Excel 文件 {path.name}：{exc}") from exc
    tables = []
    for name in wb.sheet_names:
        sheet = sheet_for(normalise_text(name))
        if sheet is None:
            continue  # 填表说明 and other helper sheets
        data = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
        grid = [[cell_text(v) for v in row] for row in data]
        tables.append(_table_from_grid(sheet, grid, f"{path.name}·{name}"))
    if not tables:
        names = "、".join(s.zh for s in SHEETS)
        raise UnreadableFile(f"{path.name} 中没有可识别的工作表（应为：{names}）")
    return tables


def decode_csv_bytes(data: bytes) -> str:
    """UTF-8 (with or without BOM) first, then GB18030, the encodings Excel on Chinese Windows writes."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnreadableFile("CSV 文件编码无法识别（请另存为 UTF-8 或 GB18030）")


def _read_csv(path: Path, sheet: Sheet | None = None) -> RawTable:
    import csv
    import io

    sheet = sheet or sheet_for(path.stem)
    if sheet is None:
        names = "、".join(f"{s.zh}.csv" for s in SHEETS)
        raise UnreadableFile(f"无法从文件名 {path.name} 判断是哪张表（应为：{names}）")
    text = decode_csv_bytes(path.read_bytes())
    grid = [[normalise_text(v) for v in row] for row in csv.reader(io.StringIO(text))]
    return _table_from_grid(sheet, grid, path.name)


def read_source(path: str | Path) -> list[RawTable]:
    """Read an .xlsx workbook, one CSV (named after its sheet) or a folder of CSVs."""
    path = Path(path)
    if not path.exists():
        raise UnreadableFile(f"文件不存在：{path}")
    if path.is_dir():
        tables = []
        for child in sorted(path.iterdir()):
            if child.suffix.lower() == ".csv":
                tables.append(_read_csv(child))
            elif child.suffix.lower() in (".xlsx", ".xlsm"):
                tables.extend(_read_xlsx(child))
        if not tables:
            raise UnreadableFile(f"文件夹 {path} 中没有 .xlsx 或 .csv 文件")
        return tables
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm", ".xls", ".ods"):
        return _read_xlsx(path)
    if suffix in (".csv", ".txt"):
        return [_read_csv(path)]
    raise UnreadableFile(f"不支持的文件类型 {path.suffix}（请上传 .xlsx 或 .csv）")


def tables_from_frames(frames: dict, source: str = "内置数据") -> list[RawTable]:
    """Raw tables from in-memory DataFrames of strings (the demo recipe uses this path)."""
    tables = []
    for name, df in frames.items():
        sheet = sheet_for(name)
        if sheet is None:
            raise UnreadableFile(f"未知的表：{name}")
        header = [normalise_text(str(c)) for c in df.columns]
        rows = [[cell_text(v) for v in r] for r in df.itertuples(index=False, name=None)]
        keep = [i for i, r in enumerate(rows) if any(r)]
        tables.append(RawTable(sheet, f"{source}·{sheet.zh}", header, [rows[i] for i in keep], [i + 2 for i in keep]))
    return tables
