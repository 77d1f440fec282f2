"""Broken files beyond single bad cells: wrong formats, encodings, names, empty files, helper
sheets, Excel error values. Each is rejected whole, with the place and a message fragment,
and the database stays byte-identical (tests/test_importer.py holds the cell-level corpus)."""

import random
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import xlsxwriter

from edubalance.ingest.importer import import_file
from edubalance.ingest.template import template_bytes
from edubalance.ingest.upload import MAX_UPLOAD_MB, check_upload, read_upload
from edubalance.model.schema import SCHOOL_YEARS
from edubalance.store.history import sha256_of
from tests.support.workbooks import frame, oracle_frames, school_id, write_csv_folder, write_xlsx

ROOT = Path(__file__).resolve().parents[2]
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def _csv(name, text, encoding="utf-8"):
    def build(tmp: Path) -> Path:
        path = tmp / name
        path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
        return path

    return build


def _years_csv(mutate=None, encoding="utf-8", name="学校年度.csv"):
    def build(tmp: Path) -> Path:
        df = oracle_frames(year=2026)["学校年度"]
        if mutate:
            df = mutate(df)
        path = tmp / name
        path.write_bytes(df.to_csv(index=False).encode(encoding))
        return path

    return build


def _xlsx(mutate):
    def build(tmp: Path) -> Path:
        frames = oracle_frames(year=2026)
        mutate(frames)
        write_xlsx(frames, tmp / "book.xlsx")
        return tmp / "book.xlsx"

    return build


def _set(df, row, col, value):
    df = df.copy()
    df.loc[row, col] = value
    return df


def _rename_sheet(old, new):
    def mutate(frames):
        frames[new] = frames.pop(old)

    return mutate


def _only_sheet(name, df):
    def mutate(frames):
        frames.clear()
        frames[name] = df

    return mutate


def _folder_with_duplicate(tmp: Path) -> Path:
    frames = oracle_frames(year=2026)
    write_csv_folder({"学校年度": frames["学校年度"]}, tmp / "csv")
    (tmp / "csv" / "school_years.csv").write_bytes(frames["学校年度"].to_csv(index=False).encode())
    return tmp / "csv"


def _error_cell_xlsx(tmp: Path) -> Path:
    """A formula that failed (#DIV/0!) in an optional numeric column."""
    df = oracle_frames(year=2026)["学校年度"]
    wb = xlsxwriter.Workbook(str(tmp / "formula.xlsx"))
    ws = wb.add_worksheet("学校年度")
    for j, h in enumerate(df.columns):
        ws.write_string(0, j, h)
    for i, row in enumerate(df.itertuples(index=False), start=1):
        for j, v in enumerate(row):
            if v != "":
                ws.write_string(i, j, v)
    ws.write_formula(3, list(df.columns).index("教学仪器设备值"), "=1/0", None, "#DIV/0!")
    wb.close()
    return tmp / "formula.xlsx"


def _template_only(tmp: Path) -> Path:
    (tmp / "template.xlsx").write_bytes(template_bytes())
    return tmp / "template.xlsx"


def _big5(tmp: Path) -> Path:
    text = "學校標識碼,學校名稱\n2199000001,一小\n"  # traditional characters in Big5: neither UTF-8 nor our headers
    (tmp / "学校.csv").write_bytes(text.encode("big5"))
    return tmp / "学校.csv"


def _binary(tmp: Path) -> Path:
    rng = random.Random(5)
    (tmp / "学校.csv").write_bytes(bytes(rng.randrange(256) for _ in range(2048)) + b"\x00\x00")
    return tmp / "学校.csv"


def _header_too_low(tmp: Path) -> Path:
    df = oracle_frames(year=2026)["学校年度"]
    (tmp / "学校年度.csv").write_bytes(("\n" * 12 + df.to_csv(index=False)).encode())
    return tmp / "学校年度.csv"


YEARS_COLS = ",".join(c.zh for c in SCHOOL_YEARS.columns if c.key != "stage")

# (id, builder, sheet, Excel row, column, message fragment)
CORPUS = [
    ("empty_csv", _csv("学校年度.csv", b""), "学校年度.csv", None, "", "是空文件"),
    ("blank_csv", _csv("学校.csv", "\n\n  \n"), "学校.csv", None, "", "是空文件"),
    ("csv_named_after_no_sheet", _years_csv(name="data.csv"), "data.csv", None, "", "无法从文件名"),
    ("txt_named_after_no_sheet", _csv("说明.txt", "请导入"), "说明.txt", None, "", "无法从文件名"),
    ("pdf_upload", _csv("report.pdf", PDF), "report.pdf", None, "", "不支持的文件类型"),
    ("pdf_renamed_xlsx", _csv("学校.xlsx", PDF), "学校.xlsx", None, "", "不是 Excel 工作簿"),
    ("binary_renamed_csv", _binary, "学校.csv", None, "", "不是文本格式"),
    ("utf16_without_bom", _years_csv(encoding="utf-16-le"), "学校年度.csv", None, "", "不是文本格式"),
    ("big5_bytes", _big5, "学校.csv", None, "", "找不到“学校”表的表头"),
    ("csv_title_only", _csv("学校.csv", "开平市学校名单\n（无数据）\n"), "学校.csv", None, "", "找不到"),
    ("header_below_scan", _header_too_low, "学校年度.csv", None, "", "找不到"),
    (
        "headers_only_required_missing",
        _csv("学校年度.csv", YEARS_COLS + "\n"),
        "学校年度",
        1,
        "学段",
        "缺少必填列",
    ),
    (
        "headers_only_all_sheets",
        _template_only,
        "镇街、学校、学校年度、校园长、市级年度、认定与结对、任务进展、教研员",
        None,
        "",
        "没有数据行",
    ),
    ("sheet_misnamed", _xlsx(_rename_sheet("学校年度", "Sheet1")), "Sheet1", None, "", "请把工作表改名为“学校年度”"),
    (
        "no_known_sheet",
        _xlsx(_only_sheet("数据", pd.DataFrame({"名称": ["甲"], "数量": ["1"]}))),
        "book.xlsx",
        None,
        "",
        "没有可识别的工作表",
    ),
    ("same_sheet_twice", _folder_with_duplicate, "学校年度", None, "", "同一张表出现了两次"),
    (
        "duplicate_column",
        _years_csv(lambda df: pd.concat([df, df[["在校生数"]]], axis=1)),
        "学校年度",
        1,
        "在校生数",
        "列名重复",
    ),
    (
        "csv_bad_number",
        _years_csv(lambda df: _set(df, 1, "在校生数", "三十七")),
        "学校年度",
        3,
        "在校生数",
        "不是有效的数字",
    ),
    (
        "gb18030_bad_code",
        _years_csv(lambda df: _set(df, 0, "学校标识码", "21990000O1"), encoding="gb18030"),
        "学校年度",
        2,
        "学校标识码",
        "应为10位数字编码",
    ),
    (
        "csv_scientific_code",
        _years_csv(lambda df: _set(df, 2, "学校标识码", "2.199E+09")),
        "学校年度",
        4,
        "学校标识码",
        "科学计数法",
    ),
    (
        "csv_excel_error_text",
        _years_csv(lambda df: _set(df, 4, "专任教师数", "#N/A"), encoding="utf-8-sig"),
        "学校年度",
        6,
        "专任教师数",
        "Excel 公式错误值",
    ),
    ("xlsx_formula_error", _error_cell_xlsx, "学校年度", 4, "教学仪器设备值", "Excel 公式错误值"),
    (
        "lost_leading_digit",
        _years_csv(lambda df: _set(df, 0, "学校标识码", school_id("21", 1)[1:])),
        "学校年度",
        2,
        "学校标识码",
        "位数不足",
    ),
    (
        "school_year_written_as_range",
        _years_csv(lambda df: _set(df, 0, "学年", "2026—2027学年")),
        "学校年度",
        2,
        "学年",
        "不是有效的数字",
    ),
    (
        "date_as_serial_number",
        _xlsx(
            _only_sheet(
                "任务进展",
                frame("task_progress", [{"target_id": "Q1", "updated_on": "46082", "status": "推进中"}]),
            )
        ),
        "任务进展",
        2,
        "更新日期",
        "日期格式",
    ),
    (
        "percent_in_count",
        _years_csv(lambda df: _set(df, 0, "专任教师数", "10%")),
        "学校年度",
        2,
        "专任教师数",
        "应为整数",
    ),
    (
        "total_row_at_bottom",
        _years_csv(lambda df: pd.concat([df, pd.DataFrame([{"学年": "合计", "在校生数": "302"}])], ignore_index=True)),
        "学校年度",
        7,
        "学年",
        "不是有效的数字",
    ),
]


@pytest.mark.parametrize("case", CORPUS, ids=[c[0] for c in CORPUS])
def test_broken_file_is_rejected_whole(case, oracle_db, tmp_path):
    _, build, sheet, row, column, fragment = case
    path = build(tmp_path)
    before = sha256_of(oracle_db)
    result = import_file(path, oracle_db)
    assert not result.ok
    hits = [
        p
        for p in result.problems.errors
        if p.sheet == sheet and p.row == row and p.column == column and fragment in p.reason
    ]
    assert hits, "\n".join(p.line() for p in result.problems.items)
    assert sha256_of(oracle_db) == before


def test_corpus_is_large_enough():
    from tests.unit.test_importer import BROKEN

    names = {c[0] for c in CORPUS} | {c[0] for c in BROKEN}
    assert len(names) == len(CORPUS) + len(BROKEN) >= 60


def test_rejected_file_creates_no_database(tmp_path):
    frames = oracle_frames()
    frames["学校年度"].loc[0, "在校生数"] = "-1"
    write_xlsx(frames, tmp_path / "bad.xlsx")
    result = import_file(tmp_path / "bad.xlsx", tmp_path / "new.duckdb")
    assert not result.ok
    assert not (tmp_path / "new.duckdb").exists()


def test_cli_rejects_a_csv_with_exit_1_and_names_the_cell(oracle_db, tmp_path):
    path = _years_csv(lambda df: _set(df, 1, "在校生数", "三十七"), encoding="gb18030")(tmp_path)
    before = sha256_of(oracle_db)
    out = subprocess.run(
        [sys.executable, "-m", "edubalance", "import", str(path), "--db", str(oracle_db)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 1
    assert "表“学校年度” 第3行 列“在校生数”：不是有效的数字" in out.stdout
    assert sha256_of(oracle_db) == before


# ---- uploads through the browser ----------------------------------------------------------


def test_upload_over_the_cap_is_refused_before_reading(tmp_path):
    big = b"0" * (MAX_UPLOAD_MB * 1024 * 1024 + 1)
    upload = read_upload([("学校年度.csv", big)])
    assert not upload.readable
    assert any("文件过大" in p.reason for p in upload.problems.errors)


def test_upload_of_a_pdf_and_a_path_is_refused(tmp_path):
    upload = read_upload([("../../etc/passwd.pdf", PDF)])
    assert not upload.readable
    [p] = upload.problems.errors
    assert p.sheet == "passwd.pdf" and "不支持的文件类型" in p.reason


def test_upload_of_several_csvs_is_checked_against_the_database(oracle_db, tmp_path):
    frames = oracle_frames(year=2025)  # the year the database already holds
    files = [(f"{name}.csv", df.to_csv(index=False).encode("gb18030")) for name, df in frames.items()]
    upload = read_upload(files)
    assert upload.readable and upload.rows == {"镇街": 3, "学校": 5, "学校年度": 5}
    problems = check_upload(upload, oracle_db, replace_years=False)
    assert any("已有 2025 学年" in p.reason for p in problems.errors)
    assert not check_upload(upload, oracle_db, replace_years=True).errors
