"""A streaming .xlsx reader for very large workbooks.

calamine loads a whole sheet into memory before handing out a single row: about 400 MB for
a sheet of 200,000 rows and 31 columns. Above STREAM_ABOVE_BYTES of sheet XML the reader
switches to this module, which parses the sheet XML row by row (lxml iterparse,
which hands over one <row> at a time) and keeps only normalised cell text, each distinct text once.
It yields the same grid as the calamine path (reading.cell_text of the value calamine
would return; Excel error values as their text), which tests/test_xlsx_stream.py checks
on the tolerated-variant corpus.
"""

from __future__ import annotations

import datetime as dt
import posixpath
import re
import zipfile
from xml.etree import ElementTree as ET

from lxml import etree

M = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
STREAM_ABOVE_BYTES = 24 * 1024 * 1024  # uncompressed sheet XML; a county workbook is ~1 MB

# Built-in number formats that are dates or times (ECMA-376 18.8.30, with the CJK ids).
DATE_FORMAT_IDS = set(range(14, 23)) | set(range(27, 37)) | set(range(45, 48)) | set(range(50, 59))
_QUOTED = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.')


class StreamError(Exception):
    """The package is not a readable workbook (missing part, broken XML)."""


def sheet_xml_size(path) -> int:
    """Total uncompressed size of the worksheet parts (0 when the file is not a zip)."""
    try:
        with zipfile.ZipFile(path) as zf:
            return sum(i.file_size for i in zf.infolist() if i.filename.startswith("xl/worksheets/"))
    except (zipfile.BadZipFile, OSError):
        return 0


def _is_date_format(code: str) -> bool:
    code = _QUOTED.sub("", code).lower()
    if "general" in code:
        return False
    return any(ch in code for ch in "ymdhs")


def _date_styles(zf: zipfile.ZipFile) -> set[int]:
    """Indexes of cellXfs whose number format is a date or time."""
    try:
        root = ET.fromstring(zf.read("xl/styles.xml"))
    except KeyError:
        return set()
    custom = {
        int(f.get("numFmtId")): f.get("formatCode", "")
        for f in root.iterfind(f"{M}numFmts/{M}numFmt")
        if f.get("numFmtId", "").isdigit()
    }
    out = set()
    for i, xf in enumerate(root.iterfind(f"{M}cellXfs/{M}xf")):
        fid = int(xf.get("numFmtId", "0") or 0)
        if fid in DATE_FORMAT_IDS or (fid in custom and _is_date_format(custom[fid])):
            out.add(i)
    return out


def _shared_strings(zf: zipfile.ZipFile, cell_text) -> list[str]:
    try:
        f = zf.open("xl/sharedStrings.xml")
    except KeyError:
        return []
    out = []
    with f:
        for _, el in ET.iterparse(f, events=("end",)):
            if el.tag == f"{M}si":
                # Plain <t>, or rich-text runs <r><t>; phonetic guides (<rPh>) are not the text.
                parts = [t.text or "" for t in el.findall(f"{M}t")]
                parts += [t.text or "" for r in el.findall(f"{M}r") for t in r.findall(f"{M}t")]
                out.append(cell_text("".join(parts)))
                el.clear()
    return out


def _col_index(ref: str) -> int:
    n = 0
    for ch in ref:
        if "A" <= ch <= "Z":
            n = n * 26 + ord(ch) - 64
        else:
            break
    return n - 1


def _excel_date(serial: float, date1904: bool) -> dt.datetime:
    if date1904:
        base = dt.datetime(1904, 1, 1)
    else:
        # Excel's 1900 system counts a 29 Feb 1900 that never was.
        base = dt.datetime(1899, 12, 30) if serial >= 61 else dt.datetime(1899, 12, 31)
    value = base + dt.timedelta(days=serial)
    # Round to the millisecond as Excel shows it, so 0.5 day is exactly 12:00.
    return value.replace(microsecond=round(value.microsecond / 1000) * 1000 % 1_000_000)


def workbook_sheets(path, cell_text) -> list[tuple[str, list[list[str]]]]:
    """(sheet name, grid of normalised cell text from A1) for every worksheet, in order."""
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise StreamError(str(exc)) from exc
    with zf:
        try:
            book = ET.fromstring(zf.read("xl/workbook.xml"))
            rels = ET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
        except (KeyError, ET.ParseError) as exc:
            raise StreamError(f"workbook.xml: {exc}") from exc
        pr = book.find(f"{M}workbookPr")
        date1904 = pr is not None and pr.get("date1904", "0").lower() in ("1", "true")
        targets = {r.get("Id"): r.get("Target") for r in rels}
        try:
            strings = _shared_strings(zf, cell_text)
            dates = _date_styles(zf)
        except ET.ParseError as exc:
            raise StreamError(f"sharedStrings/styles: {exc}") from exc
        out = []
        for s in book.iterfind(f"{M}sheets/{M}sheet"):
            target = targets.get(s.get(R_ID))
            if not target:
                continue
            member = target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
            try:
                grid = _sheet_grid(zf, member, strings, dates, date1904, cell_text)
            except KeyError:
                continue
            except (ET.ParseError, SyntaxError) as exc:  # lxml's XMLSyntaxError is a SyntaxError
                raise StreamError(f"{member}: {exc}") from exc
            out.append((s.get("name") or "", grid))
        return out


def _sheet_grid(zf, member, strings, dates, date1904, cell_text) -> list[list[str]]:
    grid: list[list[str]] = []
    seen: dict[str, str] = {}  # one object per distinct text: counts and codes repeat a lot
    row_no = 0
    with zf.open(member) as f:
        # Only <row> ends reach Python; each row is dropped once read, so memory stays flat.
        for _, el in etree.iterparse(f, events=("end",), tag=f"{M}row", huge_tree=True, resolve_entities=False):
            r = el.get("r")
            row_no = int(r) if r and r.isdigit() else row_no + 1
            row: list[str] = []
            col = 0
            for c in el.iterchildren(f"{M}c"):
                ref = c.get("r")
                j = _col_index(ref) if ref else col
                col = j + 1
                text = _cell(c, strings, dates, date1904, cell_text)
                if text:
                    if len(row) < j:
                        row.extend([""] * (j - len(row)))
                    row.append(seen.setdefault(text, text))
            while len(grid) < row_no - 1:
                grid.append([])
            grid.append(row)
            el.clear()
            while el.getprevious() is not None:
                del el.getparent()[0]
    while grid and not any(grid[-1]):
        grid.pop()
    return grid


def _cell(el, strings, dates, date1904, cell_text) -> str:
    kind = el.get("t", "n")
    if kind == "inlineStr":
        node = el.find(f"{M}is")
        if node is None:
            return ""
        parts = [t.text or "" for t in node.iter(f"{M}t")]
        return cell_text("".join(parts))
    v = el.find(f"{M}v")
    if v is None or v.text is None:
        return ""
    raw = v.text
    if kind == "s":
        try:
            return strings[int(raw)]
        except (ValueError, IndexError):
            return ""
    if kind == "str":
        return cell_text(raw)
    if kind == "b":
        return cell_text(raw.strip() == "1")
    if kind == "e":
        return raw  # #DIV/0!, #N/A …: never a value (validate.EXCEL_ERRORS)
    if kind == "d":
        try:
            return cell_text(dt.datetime.fromisoformat(raw))
        except ValueError:
            return cell_text(raw)
    style = el.get("s")
    if style and style.isdigit() and int(style) in dates:
        try:
            return cell_text(_excel_date(float(raw), date1904))
        except (OverflowError, ValueError):
            pass
    text = _NUMBERS.get(raw)
    if text is None:
        try:
            text = cell_text(float(raw))
        except ValueError:
            text = cell_text(raw)
        if len(_NUMBERS) < 100_000:  # counts and years repeat; a bounded memo of their text
            _NUMBERS[raw] = text
    return text


_NUMBERS: dict[str, str] = {}
