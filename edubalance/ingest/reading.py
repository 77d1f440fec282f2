"""Reading clerks' workbooks into raw string tables.

Excel and CSV exports arrive in many shapes: GB18030 CSVs, a title row above the header,
merged header cells, full-width digits, numbers Excel stored as floats. This module turns
every supported file into `RawTable`s of normalised strings with their Excel row numbers,
so that validation can name the exact cell of every problem. It never guesses values.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import os
import re
import stat
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree as ET

from python_calamine import CalamineWorkbook

from edubalance.ingest import xlsx_stream
from edubalance.ingest.problems import ERROR, WARNING
from edubalance.model.schema import SHEETS, Sheet, sheet_for

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
    # File-level findings made while reading (an ignored or misnamed sheet): (where, reason,
    # severity). validate() turns them into Problems so that they reach the clerk.
    issues: list[tuple[str, str, str]] = field(default_factory=list)


class UnreadableFile(Exception):
    """The file cannot be read at all (wrong format, encoding, no known sheet)."""


# Invisible characters that survive NFKC and strip(): zero-width space and joiners, word
# joiner, a BOM pasted into a cell. With them "2144000001" would not equal itself.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))


def normalise_text(value: str) -> str:
    # NFKC folds full-width digits, letters, commas and spaces to their ASCII forms, which is
    # what clerks' IMEs produce; then invisible characters and surrounding blanks go.
    return unicodedata.normalize("NFKC", value).translate(_INVISIBLE).strip()


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


def header_key(text: str) -> str:
    return normalise_text(text).replace(" ", "").lower()


def _known_headers(sheet: Sheet) -> dict[str, str]:
    known = {}
    for c in sheet.columns:
        known[header_key(c.zh)] = c.key
        known[header_key(c.key)] = c.key
    return known


def _match_count(row: list[str], known: dict[str, str]) -> int:
    return sum(1 for v in row if v and header_key(v) in known)


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

    def is_known(text: str) -> bool:
        return bool(text) and header_key(text) in known

    # A two-row header: a merged group cell ("班额" over the band columns) leaves the real
    # names one row below, and cells merged down over both rows keep their name in the upper
    # row only. Take, column by column, the known name from either row; where both rows name
    # a column, the lower row wins (the upper one is then a group label).
    below = grid[best_i + 1] if best_i + 1 < len(grid) else []
    above = grid[best_i - 1] if best_i >= 1 else []
    if _match_count(below, known) >= 2:
        upper, lower, last = header, list(below), best_i + 1
    elif _match_count(above, known) >= 1:
        upper, lower, last = list(above), header, best_i
    else:
        return best_i, header
    width = max(len(upper), len(lower))
    upper += [""] * (width - len(upper))
    lower += [""] * (width - len(lower))
    merged = [lo if is_known(lo) or not is_known(up) else up for up, lo in zip(upper, lower)]
    return last, merged


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


# Helper sheets of the template; they are skipped without a word.
TEMPLATE_HELPER_SHEETS = ("填表说明", "选项")


def _guess_sheet(grid: list[list[str]]) -> Sheet | None:
    """The one sheet whose headers a grid carries (3 or more known names, clearly ahead)."""
    scores = []
    for sheet in SHEETS:
        known = _known_headers(sheet)
        scores.append((max((_match_count(row, known) for row in grid[:MAX_HEADER_SCAN]), default=0), sheet))
    scores.sort(key=lambda x: -x[0])
    if scores[0][0] >= 3 and scores[0][0] > scores[1][0]:
        return scores[0][1]
    return None


def _xlsx_error_cells(path: Path) -> dict[str, dict[tuple[int, int], str]]:
    """Cells holding an Excel error value (#DIV/0!, #N/A …), per sheet name: {(row, col): text}.

    calamine reads them as empty cells, which would turn a broken formula into a silent NULL;
    the sheet XML marks them with t="e". Only .xlsx/.xlsm (zip) files are scanned, and a
    sheet is parsed only when the marker occurs in it at all.
    """
    out: dict[str, dict[tuple[int, int], str]] = {}
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        return out
    with zf:
        try:
            ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
            rel = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
            book = ET.fromstring(zf.read("xl/workbook.xml"))
            rels = ET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
            targets = {r.get("Id"): r.get("Target") for r in rels}
            sheets = {s.get("name"): targets.get(s.get(rel)) for s in book.iterfind("m:sheets/m:sheet", ns)}
        except (KeyError, ET.ParseError):
            return out
        cell = re.compile(rb"<c\b([^>]*?)(?<!/)>(?:(?!</c>).)*?<v>([^<]*)</v>", re.S)  # not <c …/>
        ref = re.compile(rb'\br="([A-Z]+)(\d+)"')
        for name, target in sheets.items():
            if not target:
                continue
            member = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            try:
                data = zf.read(member)
            except KeyError:
                continue
            if b't="e"' not in data:
                continue
            found = {}
            for attrs, value in cell.findall(data):
                m = ref.search(attrs)
                if b't="e"' in attrs and m:
                    col = 0
                    for ch in m.group(1).decode():
                        col = col * 26 + ord(ch) - 64
                    found[(int(m.group(2)) - 1, col - 1)] = value.decode("utf-8", "replace")
            out[name] = found
    return out


OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the compound-file container of .xls and of encrypted .xlsx
ZIP_MAGIC = b"PK\x03\x04"


def library_message(exc: BaseException) -> str:
    """A reading library's English error, wrapped in a Chinese sentence a clerk can act on.

    The original text stays in brackets for whoever supports the clerk."""
    detail = str(exc).strip() or type(exc).__name__
    low = detail.lower()
    if "password" in low or "encrypt" in low:
        why = "文件设有打开密码（已加密），无法读取；请在 Excel 中取消密码（文件→信息→保护工作簿）后另存为 .xlsx 再导入"
    elif "utf" in low or "decod" in low or "xml" in low:
        why = "文件内部的表名或内容不是有效的文本（编码错误）；请在 Excel 中打开后另存为 .xlsx 再导入"
    elif "zip" in low or "invalid" in low or "cfb" in low or "unrecognized" in low or "not supported" in low:
        why = "文件已损坏，或不是 Excel 工作簿（扩展名与内容不符）；请在 Excel 中打开后另存为 .xlsx 再导入"
    else:
        why = "文件无法解析；请在 Excel 中打开后另存为 .xlsx 再导入"
    return f"{why}（程序库信息：{detail[:200]}）"


def _sniff_workbook(path: Path) -> None:
    """Refuse, in words, what is not a workbook before calamine sees it."""
    try:
        with open(path, "rb") as f:
            head = f.read(8)
    except OSError as exc:
        raise UnreadableFile(f"无法打开文件 {path.name}（{exc.strerror or exc}）") from exc
    if not head:
        raise UnreadableFile(f"{path.name} 是空文件")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm") and head.startswith(OLE_MAGIC):
        raise UnreadableFile(
            f"{path.name} 设有打开密码（已加密），或是改了扩展名的旧版 .xls 文件；"
            "请在 Excel 中取消密码（文件→信息→保护工作簿）并另存为 .xlsx 后再导入"
        )
    if suffix in (".xlsx", ".xlsm", ".ods") and not head.startswith(ZIP_MAGIC):
        raise UnreadableFile(f"{path.name} 不是 Excel 工作簿（内容与扩展名不符）；请在 Excel 中另存为 .xlsx 后再导入")
    if suffix == ".xls" and not head.startswith(OLE_MAGIC):
        raise UnreadableFile(f"{path.name} 不是旧版 Excel（.xls）文件（内容与扩展名不符）；请在 Excel 中另存为 .xlsx")


def _sheet_grids(path: Path):
    """(sheet name, grid of cell text) per sheet: streamed for very large .xlsx files (bounded
    memory), through calamine otherwise (also .xls and .ods)."""
    # Through the module, so the threshold and the reader stay patchable in tests.
    if path.suffix.lower() in (".xlsx", ".xlsm") and xlsx_stream.sheet_xml_size(path) > xlsx_stream.STREAM_ABOVE_BYTES:
        try:
            yield from xlsx_stream.workbook_sheets(path, cell_text)
        except xlsx_stream.StreamError as exc:
            raise UnreadableFile(f"无法读取 Excel 文件 {path.name}：{library_message(exc)}") from exc
        return
    yield from calamine_grids(path)


def calamine_grids(path: Path):
    """(sheet name, grid of cell text) per sheet, read with calamine (.xlsx, .xls, .ods); the
    streaming reader must give the same grids."""
    try:
        wb = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types per format problem
        raise UnreadableFile(f"无法读取 Excel 文件 {path.name}：{library_message(exc)}") from exc
    errors = _xlsx_error_cells(path)
    for name in wb.sheet_names:
        try:
            data = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
        except Exception as exc:  # a damaged sheet in an otherwise readable file
            raise UnreadableFile(f"无法读取 {path.name} 中的工作表“{name}”：{library_message(exc)}") from exc
        grid = [[cell_text(v) for v in row] for row in data]
        del data
        for (r, c), text in errors.get(name, {}).items():
            while len(grid) <= r:
                grid.append([])
            grid[r] += [""] * (c + 1 - len(grid[r]))
            grid[r][c] = text
        yield name, grid


def _read_xlsx(path: Path) -> list[RawTable]:

    _sniff_workbook(path)
    tables, issues = [], []
    for name, grid in _sheet_grids(path):
        sheet = sheet_for(normalise_text(name))
        if sheet is None:
            if normalise_text(name) in TEMPLATE_HELPER_SHEETS or not any(any(r) for r in grid):
                continue
            # A data sheet is never dropped silently: one that carries our headers under
            # another name is an error (renaming it is the clerk's decision, not ours); any
            # other sheet is mentioned as a warning.
            guess = _guess_sheet(grid)
            if guess is not None:
                msg = f"工作表名“{name}”无法识别，但其表头像“{guess.zh}”表；请把工作表改名为“{guess.zh}”"
                issues.append((name, msg, ERROR))
            else:
                issues.append((name, f"工作表“{name}”不是可导入的表，已忽略", WARNING))
            continue
        tables.append(_table_from_grid(sheet, grid, f"{path.name}·{name}"))
    if not tables:
        names = "、".join(s.zh for s in SHEETS)
        hints = "".join(f"；{msg}" for _, msg, severity in issues if severity == ERROR)
        raise UnreadableFile(f"{path.name} 中没有可识别的工作表（应为：{names}）{hints}")
    tables[0].issues.extend(issues)
    return tables


def decode_csv_bytes(data: bytes) -> str:
    """UTF-8 (with or without BOM) first, then GB18030, the encodings Excel on Chinese Windows
    writes; UTF-16 only when it starts with its BOM (Excel's “Unicode 文本”)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnreadableFile("CSV 文件编码无法识别（请另存为 UTF-8 或 GB18030）")


def _csv_grid(text: str, delimiter: str) -> list[list[str]]:
    return [[normalise_text(v) for v in row] for row in csv.reader(io.StringIO(text), delimiter=delimiter)]


def file_stem(path: Path) -> str:
    """The file name without suffix as text. A folder unpacked from a Windows zip has GBK
    names, which Linux hands over as undecodable bytes; those are read as GB18030."""
    stem = path.stem
    try:
        stem.encode("utf-8")
    except UnicodeEncodeError:
        try:
            stem = os.fsencode(stem).decode("gb18030")
        except UnicodeDecodeError:
            stem = os.fsencode(stem).decode("utf-8", "replace")
    return stem


def _sheet_of_file(path: Path) -> Sheet | None:
    sheet = sheet_for(normalise_text(file_stem(path)))
    if sheet is None:
        # GBK bytes can also be valid UTF-8 (学校 reads as “ѧУ”): try the name as GB18030.
        try:
            sheet = sheet_for(normalise_text(os.fsencode(path.stem).decode("gb18030")))
        except UnicodeDecodeError:
            pass
    return sheet


def _read_csv(path: Path, sheet: Sheet | None = None) -> RawTable:
    sheet = sheet or _sheet_of_file(path)
    if sheet is None:
        names = "、".join(f"{s.zh}.csv" for s in SHEETS)
        raise UnreadableFile(f"无法从文件名 {file_stem(path)}{path.suffix} 判断是哪张表（应为：{names}）")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UnreadableFile(f"无法读取 {path.name}（{exc.strerror or exc}）") from None
    if not data.strip():
        raise UnreadableFile(f"{path.name} 是空文件")
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UnreadableFile(f"{path.name} 不是文本格式的 CSV 文件；Excel 工作簿请以 .xlsx 上传")
    try:
        text = decode_csv_bytes(data)
    except UnreadableFile as exc:
        raise UnreadableFile(f"{path.name}：{exc}") from exc
    # Comma first; Excel's “Unicode 文本” is tab-separated and some locales use semicolons.
    # The delimiter is the one under which the header is found; none is an error.
    first_error = None
    for delimiter in (",", "\t", ";"):
        try:
            return _table_from_grid(sheet, _csv_grid(text, delimiter), path.name)
        except UnreadableFile as exc:
            first_error = first_error or exc
    raise UnreadableFile(
        f"{path.name}：{first_error}；如编码不是 UTF-8 或 GB18030，请在 Excel 中另存为“CSV UTF-8”后重试"
    )


def _is_regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def read_source(path: str | Path) -> list[RawTable]:
    """Read an .xlsx workbook, one CSV (named after its sheet) or a folder of CSVs.

    Only regular files are opened: a FIFO would block the reader forever and a device would
    stream without end."""
    path = Path(path)
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise UnreadableFile(f"文件不存在：{path}") from None
    except OSError as exc:
        raise UnreadableFile(f"无法访问 {path}（{exc.strerror or exc}）") from None
    if stat.S_ISDIR(mode):
        tables = []
        try:
            children = sorted(path.iterdir())
        except OSError as exc:
            raise UnreadableFile(f"无法读取文件夹 {path}（{exc.strerror or exc}）") from None
        for child in children:
            if not _is_regular(child):
                continue
            if child.suffix.lower() == ".csv":
                tables.append(_read_csv(child))
            elif child.suffix.lower() in (".xlsx", ".xlsm"):
                tables.extend(_read_xlsx(child))
        if not tables:
            names = "、".join(f"{s.zh}.csv" for s in SHEETS)
            raise UnreadableFile(f"文件夹 {path} 中没有 .xlsx 工作簿或按表名命名的 .csv 文件（应为：{names}）")
        return tables
    if not stat.S_ISREG(mode):
        raise UnreadableFile(f"{path} 不是普通文件（可能是管道或设备），不予读取；请提供 .xlsx 或 .csv 文件")
    if not os.access(path, os.R_OK):
        raise UnreadableFile(f"没有读取 {path.name} 的权限")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm", ".xls", ".ods"):
        return _read_xlsx(path)
    if suffix in (".csv", ".txt"):
        return [_read_csv(path)]
    raise UnreadableFile(
        f"不支持的文件类型“{path.suffix or '无扩展名'}”（请提供 .xlsx、.xls 工作簿或按表名命名的 .csv 文件）"
    )


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
