"""No traceback, on any file: every required column of every sheet removed or emptied (generated
from schema.py, so a new column is covered without editing this file), every sheet other
sheets depend on missing, files that are not spreadsheets, a password, a non-UTF-8 sheet
name, an old .xls, folders, FIFOs, devices and bad --db paths. Each case runs the command
line in-process: Chinese message, exit code 1, database byte-identical."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from edubalance.cli import main
from edubalance.ingest.importer import import_file
from edubalance.model.schema import SHEETS
from edubalance.store.history import sha256_of
from tests.support.workbooks import full_frames, write_csv_folder, write_xlsx

UNEXPECTED = "意外错误"  # the CLI's last line of defence: a case reaching it is a bug


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """The database (school year 2025) and the workbook frames of 2026, built once."""
    tmp = tmp_path_factory.mktemp("hostile")
    write_xlsx(full_frames(2025), tmp / "2025.xlsx")
    db = tmp / "base.duckdb"
    assert import_file(tmp / "2025.xlsx", db).ok
    return db, sha256_of(db)


def _run(capsys, *argv) -> tuple[int, str]:
    rc = main(list(map(str, argv)))  # an exception here fails the test: that is a traceback
    out = capsys.readouterr()
    return rc, out.out + out.err


def _refused(capsys, base, path: Path, *where: str) -> str:
    db, before = base
    rc, text = _run(capsys, "import", path, "--db", db)
    assert rc == 1, text
    assert UNEXPECTED not in text and "Traceback" not in text
    assert "[错误]" in text
    for fragment in where:
        assert fragment in text, text
    assert sha256_of(db) == before
    return text


# Every required column of every sheet, removed or emptied.
COLUMN_CASES = [
    (sheet.zh, col.zh, how)
    for sheet in SHEETS
    for col in sheet.columns
    if col.required
    for how in ("removed", "emptied")
]


@pytest.mark.parametrize("sheet,column,how", COLUMN_CASES, ids=[f"{s}-{c}-{h}" for s, c, h in COLUMN_CASES])
def test_required_column_removed_or_emptied(sheet, column, how, base, capsys, tmp_path):
    frames = full_frames(2026)
    if how == "removed":
        frames[sheet] = frames[sheet].drop(columns=[column])
    else:
        frames[sheet] = frames[sheet].assign(**{column: ""})
    write_xlsx(frames, tmp_path / "book.xlsx")
    reason = "缺少必填列" if how == "removed" else "必填项为空"
    text = _refused(capsys, base, tmp_path / "book.xlsx", f"表“{sheet}”", f"列“{column}”")
    assert any(f"表“{sheet}”" in line and f"列“{column}”" in line and reason in line for line in text.splitlines())


def test_the_column_cases_cover_the_schema():
    required = sum(c.required for s in SHEETS for c in s.columns)
    assert len(COLUMN_CASES) == 2 * required >= 50


@pytest.mark.parametrize("missing", ["镇街", "学校"])
def test_a_sheet_others_depend_on_is_missing(missing, capsys, tmp_path):
    """Into an empty database: without 镇街 the schools point nowhere, without 学校 the yearly rows."""
    frames = full_frames(2026)
    del frames[missing]
    write_xlsx(frames, tmp_path / "book.xlsx")
    db = tmp_path / "new.duckdb"
    result = import_file(tmp_path / "book.xlsx", db)
    assert not result.ok and not db.exists()
    assert any(f"在“{missing}”中找不到" in p.reason for p in result.problems.errors)


def test_every_sheet_missing(base, capsys, tmp_path):
    write_xlsx({"说明": pd.DataFrame({"备注": ["这份工作簿没有任何一张数据表"]})}, tmp_path / "book.xlsx")
    _refused(capsys, base, tmp_path / "book.xlsx", "没有可识别的工作表", "镇街、学校、学校年度")


def _zip_of_text(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("readme.txt", "not a workbook")
    return path


def _gbk_sheet_name(path: Path) -> Path:
    write_xlsx(full_frames(2026), path.with_suffix(".src.xlsx"))
    with zipfile.ZipFile(path.with_suffix(".src.xlsx")) as zin, zipfile.ZipFile(path, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/workbook.xml":
                data = data.replace("镇街".encode(), "镇街".encode("gbk"))
            zout.writestr(item, data)
    return path


def _encrypted(path: Path) -> Path:
    from msoffcrypto.format.ooxml import OOXMLFile

    plain = path.with_suffix(".plain.xlsx")
    write_xlsx(full_frames(2026), plain)
    with open(plain, "rb") as src, open(path, "wb") as out:
        OOXMLFile(src).encrypt("secret", out)
    return path


def _write(name: str, data: bytes):
    def build(tmp: Path) -> Path:
        (tmp / name).write_bytes(data)
        return tmp / name

    return build


FILE_CASES = [
    ("pdf", _write("学校.pdf", b"%PDF-1.4\n%%EOF\n"), "不支持的文件类型"),
    ("pdf_named_xlsx", _write("book.xlsx", b"%PDF-1.4\n%%EOF\n"), "不是 Excel 工作簿"),
    ("random_bytes_xlsx", _write("book.xlsx", os.urandom(4096)), "不是 Excel 工作簿"),
    ("zip_of_text_xlsx", lambda tmp: _zip_of_text(tmp / "book.xlsx"), "无法读取 Excel 文件"),
    ("truncated_xlsx", lambda tmp: _truncated(tmp / "book.xlsx"), "无法读取 Excel 文件"),
    ("empty_xlsx", _write("book.xlsx", b""), "空文件"),
    ("no_suffix", _write("book", b"a,b\n"), "不支持的文件类型"),
    ("text_named_xls", _write("book.xls", "镇街,学校\n".encode()), "不是旧版 Excel"),
    ("password_protected", lambda tmp: _encrypted(tmp / "book.xlsx"), "设有打开密码"),
    ("gbk_sheet_name", lambda tmp: _gbk_sheet_name(tmp / "book.xlsx"), "编码错误"),
]


def _truncated(path: Path) -> Path:
    write_xlsx(full_frames(2026), path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


@pytest.mark.parametrize("case", FILE_CASES, ids=[c[0] for c in FILE_CASES])
def test_a_file_that_cannot_be_read(case, base, capsys, tmp_path):
    _, build, fragment = case
    text = _refused(capsys, base, build(tmp_path), fragment)
    # English library text is only ever inside a Chinese sentence.
    for line in text.splitlines():
        if "程序库信息" in line:
            assert line.index("程序库信息") > 10 and any("\u4e00" <= ch <= "\u9fff" for ch in line[:10])


def test_an_old_xls_is_read_through_calamine(tmp_path):
    import xlwt

    frames = full_frames(2025)
    wb = xlwt.Workbook()
    for name, df in frames.items():
        ws = wb.add_sheet(name)
        for j, h in enumerate(df.columns):
            ws.write(0, j, h)
        for i, row in enumerate(df.itertuples(index=False), start=1):
            for j, v in enumerate(row):
                ws.write(i, j, v)
    wb.save(str(tmp_path / "old.xls"))
    write_xlsx(frames, tmp_path / "new.xlsx")
    a, b = tmp_path / "a.duckdb", tmp_path / "b.duckdb"
    assert import_file(tmp_path / "old.xls", a).ok
    assert import_file(tmp_path / "new.xlsx", b).ok
    q = "SELECT * EXCLUDE (school_id), school_id FROM school_years ORDER BY school_id"
    with duckdb.connect(str(a), read_only=True) as ca, duckdb.connect(str(b), read_only=True) as cb:
        pd.testing.assert_frame_equal(ca.execute(q).df(), cb.execute(q).df())


def test_folder_without_any_sheet(base, capsys, tmp_path):
    (tmp_path / "empty").mkdir()
    _refused(capsys, base, tmp_path / "empty", "没有 .xlsx 工作簿或按表名命名的 .csv 文件")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("备忘")
    (tmp_path / "other" / "photo.png").write_bytes(b"\x89PNG\r\n")
    _refused(capsys, base, tmp_path / "other", "没有 .xlsx 工作簿")


def test_folder_of_csv_sheets_stays_valid(base, capsys, tmp_path):
    write_csv_folder(full_frames(2026), tmp_path / "csv", encoding="gb18030")
    os.mkfifo(tmp_path / "csv" / "学校年度备份.csv")  # a FIFO in the folder is skipped, not opened
    rc, text = _run(capsys, "check", tmp_path / "csv")
    assert rc == 0, text


def test_fifo_and_devices_are_not_opened(base, capsys, tmp_path):
    fifo = tmp_path / "book.xlsx"
    os.mkfifo(fifo)  # opening it for reading would block forever
    _refused(capsys, base, fifo, "不是普通文件")
    _refused(capsys, base, Path("/dev/null"), "不是普通文件")
    _refused(capsys, base, Path("/dev/zero"), "不是普通文件")


def test_missing_file(base, capsys, tmp_path):
    _refused(capsys, base, tmp_path / "nope.xlsx", "文件不存在")


def test_missing_or_unreadable_db(capsys, tmp_path):
    write_xlsx(full_frames(2026), tmp_path / "book.xlsx")
    book = tmp_path / "book.xlsx"
    for argv in (
        ("import", book, "--db", tmp_path / "no" / "such.duckdb"),
        ("import", book, "--db", tmp_path / "no" / "such.duckdb", "--dry-run"),
        ("check", book, "--db", tmp_path / "no" / "such.duckdb"),
    ):
        rc, text = _run(capsys, *argv)
        assert rc == 1 and "数据库文件不存在" in text and UNEXPECTED not in text, text
    assert not (tmp_path / "no").exists()
    garbage = tmp_path / "garbage.duckdb"
    garbage.write_bytes(b"this is not a database" * 100)
    before = sha256_of(garbage)
    for extra in ((), ("--dry-run",)):
        rc, text = _run(capsys, "import", book, "--db", garbage, *extra)
        assert rc == 1 and "不是 DuckDB 数据库文件" in text, text
    assert sha256_of(garbage) == before
    rc, text = _run(capsys, "import", book, "--db", tmp_path)
    assert rc == 1 and "是一个文件夹" in text, text


def test_gbk_file_names_in_a_csv_folder_are_read(capsys, tmp_path):
    """A folder unpacked from a zip made on Chinese Windows: the names are GBK bytes."""
    folder = tmp_path / "gbk"
    write_csv_folder(full_frames(2026), tmp_path / "utf8")
    folder.mkdir()
    for csv in (tmp_path / "utf8").iterdir():
        name = os.fsencode(folder) + b"/" + csv.stem.encode("gbk") + b".csv"
        with open(name, "wb") as f:
            f.write(csv.read_bytes())
    rc, text = _run(capsys, "check", folder)
    assert rc == 0, text
