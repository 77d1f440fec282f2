"""Tolerant but strict reading: every tolerated variant of a workbook imports to exactly the
same database content as the clean file (every table compared with pandas)."""

import datetime as dt
import unicodedata

import duckdb
import openpyxl
import pandas as pd
import pytest
from openpyxl.utils import get_column_letter

from edubalance.ingest.importer import import_file
from edubalance.ingest.template import template_bytes
from edubalance.model.schema import SHEETS, SHEETS_BY_ZH
from tests.support.workbooks import (
    TOWN_A,
    TOWN_B,
    as_county,
    frame,
    oracle_frames,
    school_id,
    write_csv_folder,
    write_xlsx,
)


def rich_frames() -> dict[str, pd.DataFrame]:
    """The oracle county plus every other sheet, large numbers, 是/否, dates and a percentage."""
    # Kaiping's code: its 任务进展 rows name tasks of Kaiping's plan.
    f = as_county(oracle_frames(year=2025), "440783")
    f["学校"]["寄宿制"] = ["是", "否", "否", "是", ""]
    f["学校"]["建校年份"] = ["1956", "1960", "2001", "", "1988"]
    f["学校年度"]["教学仪器设备值"] = ["1234567", "137", "2935000", "160", "40200.5"]
    f["学校年度"]["教学及辅助用房面积"] = ["1500", "500", "12500.75", "500", "500"]
    f["校园长"] = frame(
        "principals",
        [
            {"year": 2025, "school_id": school_id("21", i), "birth_year": 1970 + i, "post_start_year": 2010 + i}
            for i in (1, 2, 3)
        ],
    )
    f["市级年度"] = frame(
        "city_facts",
        [
            {"year": 2025, "key": "edu_spending_10k", "value": 123456.5, "note": "决算数"},
            {"year": 2025, "key": "small_school_research_share", "value": 0.85},
            {"year": 2025, "key": "sanming_studios", "value": 50},
        ],
    )
    f["认定与结对"] = frame(
        "designations",
        [
            {"kind": "省级乡村温馨校园", "school_id": school_id("21", 4), "since_year": 2024},
            {"kind": "示范引领初中培育", "school_id": school_id("21", 3), "since_year": 2023},
        ],
    )
    f["任务进展"] = frame(
        "task_progress",
        [
            {"target_id": "Q1", "updated_on": "2025-03-01", "status": "已完成", "note": "已印发", "owner": "市教育局"},
            {"target_id": "Q2", "updated_on": "2025-11-20", "status": "推进中"},
        ],
    )
    f["教研员"] = frame(
        "researchers",
        [
            {
                "year": 2025,
                "researcher_id": "JY001",
                "researcher_name": "关志强",
                "hire_year": 2019,
                "rural_visits": 7,
                "stay_months": 0,
            },
            {"year": 2025, "researcher_id": "JY002", "hire_year": 2024, "rural_visits": 5, "stay_months": 4.5},
        ],  # fmt: skip
    )
    return f


def _map_cells(frames, fn, headers=False):
    out = {}
    for name, df in frames.items():
        df = df.map(lambda v: fn(v) if isinstance(v, str) and v != "" else v)
        if headers:
            df.columns = [fn(c) for c in df.columns]
        out[name] = df
    return out


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isdigit() or c in ",." else c for c in text)


def _thousands(text: str) -> str:
    try:
        x = float(text)
    except ValueError:
        return text
    if abs(x) < 1000 or len(text.split(".")[0]) >= 9:  # leave codes alone
        return text
    whole, _, frac = text.partition(".")
    return f"{int(whole):,}" + (f".{frac}" if frac else "")


def _numeric_value(sheet_zh: str, header: str, text: str):
    """How Excel would hold a cell typed without the text format: numbers, dates, booleans."""
    col = next(c for c in SHEETS_BY_ZH[sheet_zh].columns if c.zh == header)
    if text == "":
        return None
    if col.kind in ("code12", "code10") or col.key == "ur_code":
        return float(text)  # 990101001000.0: a code Excel turned into a number
    if col.kind in ("int", "year"):
        return int(text)
    if col.kind == "num":
        return float(text)
    if col.kind == "date":
        return dt.datetime.fromisoformat(text)
    if col.kind == "bool":
        return text == "是"
    return text


# ---- writers: each returns the path to import -------------------------------------------------


def w_csv_utf8(frames, tmp):
    write_csv_folder(frames, tmp / "csv", encoding="utf-8")
    return tmp / "csv"


def w_csv_utf8_bom(frames, tmp):
    write_csv_folder(frames, tmp / "csv", encoding="utf-8-sig")
    return tmp / "csv"


def w_csv_gb18030(frames, tmp):
    write_csv_folder(frames, tmp / "csv", encoding="gb18030")
    return tmp / "csv"


def w_csv_utf16_tab(frames, tmp):
    folder = tmp / "csv"
    folder.mkdir()
    for name, df in frames.items():  # Excel's “Unicode 文本”: UTF-16 with BOM, tab-separated
        (folder / f"{name}.csv").write_bytes(df.to_csv(index=False, sep="\t").encode("utf-16"))
    return folder


def w_csv_float_codes(frames, tmp):
    def floaty(v):
        return f"{v}.0" if v.isdigit() else v

    write_csv_folder(_map_cells(frames, floaty), tmp / "csv", encoding="utf-8")
    return tmp / "csv"


def w_xlsx_title_rows(frames, tmp):
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, df in frames.items():
        ws = wb.create_sheet(name)
        ws.append([f"开平市 2025—2026学年 {name}统计表"])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(df.columns))
        ws.append(["填报单位：市教育局", None, "单位：人、元"])
        ws.append([])
        ws.append(list(df.columns))
        for row in df.itertuples(index=False):
            ws.append([v if v != "" else None for v in row])
    wb.save(tmp / "title.xlsx")
    return tmp / "title.xlsx"


def w_xlsx_merged_header(frames, tmp):
    """Two-row headers with merged cells, as statistics offices lay them out."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    bands = {"25人及以下", "26-30人", "31-35人", "36-40人", "41-45人", "46-50人", "51-55人", "56-65人", "66人及以上"}
    for name, df in frames.items():
        ws = wb.create_sheet(name)
        cols = list(df.columns)
        if name == "学校年度":
            # Names merged down over both header rows; a group cell over the band columns.
            band_js = [j for j, c in enumerate(cols, start=1) if c in bands]
            for j, c in enumerate(cols, start=1):
                if c in bands:
                    ws.cell(2, j, c)
                else:
                    ws.cell(1, j, c)
                    ws.merge_cells(start_row=1, start_column=j, end_row=2, end_column=j)
            ws.cell(1, band_js[0], "班额情况（班）")
            ws.merge_cells(start_row=1, start_column=band_js[0], end_row=1, end_column=band_js[-1])
            start = 3
        elif name == "学校":
            # The lower row names most columns; two names sit in cells merged down from above.
            for j, c in enumerate(cols, start=1):
                if j <= 2:
                    ws.cell(1, j, c)
                    ws.merge_cells(start_row=1, start_column=j, end_row=2, end_column=j)
                else:
                    ws.cell(2, j, c)
            ws.cell(1, 3, "学校属性")
            ws.merge_cells(start_row=1, start_column=3, end_row=1, end_column=len(cols))
            start = 3
        else:
            for j, c in enumerate(cols, start=1):
                ws.cell(1, j, c)
            start = 2
        for i, row in enumerate(df.itertuples(index=False), start=start):
            for j, v in enumerate(row, start=1):
                if v != "":
                    ws.cell(i, j, v)
    wb.save(tmp / "merged.xlsx")
    return tmp / "merged.xlsx"


def w_xlsx_numeric_cells(frames, tmp):
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, df in frames.items():
        ws = wb.create_sheet(name)
        ws.append(list(df.columns))
        for row in df.itertuples(index=False):
            ws.append([_numeric_value(name, h, v) for h, v in zip(df.columns, row)])
    wb.save(tmp / "numeric.xlsx")
    return tmp / "numeric.xlsx"


def w_fullwidth(frames, tmp):
    write_xlsx(_map_cells(frames, _fullwidth), tmp / "fullwidth.xlsx")
    return tmp / "fullwidth.xlsx"


def w_thousands(frames, tmp):
    write_csv_folder(_map_cells(frames, _thousands), tmp / "csv", encoding="gb18030")
    return tmp / "csv"


def w_spaces(frames, tmp):
    def pad(v):
        return f" \u3000{v}\u00a0 \u200b"

    write_xlsx(_map_cells(frames, pad, headers=True), tmp / "spaces.xlsx")
    return tmp / "spaces.xlsx"


def w_blank_rows(frames, tmp):
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, df in frames.items():
        ws = wb.create_sheet(name)
        ws.append(list(df.columns))
        for row in df.itertuples(index=False):
            ws.append([v if v != "" else None for v in row])
            ws.append([None, "  ", None])  # a blank (or blank-looking) row between data rows
        for r in range(ws.max_row + 1, ws.max_row + 40):  # formatted but empty trailing rows
            ws.cell(r, 1).number_format = "@"
            ws.cell(r, 2, "")
    wb.save(tmp / "blank.xlsx")
    return tmp / "blank.xlsx"


def w_english_reordered(frames, tmp):
    out = {}
    for name, df in frames.items():
        sheet = SHEETS_BY_ZH[name]
        keys = {c.zh: c.key for c in sheet.columns}
        out[sheet.key] = df.rename(columns=keys)[list(reversed([keys[c] for c in df.columns]))]
    write_xlsx(out, tmp / "english.xlsx")
    return tmp / "english.xlsx"


def w_short_town_codes(frames, tmp):
    out = _map_cells(frames, lambda v: v[:9] if len(v) == 12 and v.isdigit() and v.endswith("000") else v)
    write_xlsx(out, tmp / "short.xlsx")
    return tmp / "short.xlsx"


def w_words_and_dates(frames, tmp):
    out = {k: v.copy() for k, v in frames.items()}
    out["学校"]["寄宿制"] = out["学校"]["寄宿制"].map({"是": "Y", "否": "0", "": ""})
    out["任务进展"]["更新日期"] = ["2025/3/1", "2025年11月20日"]
    out["市级年度"].loc[1, "数值"] = "85%"
    write_xlsx(out, tmp / "words.xlsx")
    return tmp / "words.xlsx"


def w_sheet_names_and_helpers(frames, tmp):
    out = {f" {name} ": df for name, df in frames.items()}
    out["填表说明"] = pd.DataFrame({"说明": ["请按表填写"]})
    out["Sheet1"] = pd.DataFrame()
    write_xlsx(out, tmp / "names.xlsx")
    return tmp / "names.xlsx"


def w_filled_template(frames, tmp):
    path = tmp / "template.xlsx"
    path.write_bytes(template_bytes())
    wb = openpyxl.load_workbook(path)
    for name, df in frames.items():
        ws = wb[name]
        headers = [c.value for c in ws[1]]
        for i, row in enumerate(df.to_dict("records"), start=2):
            for h, v in row.items():
                if v != "":
                    ws.cell(i, headers.index(h) + 1, v)
    wb.save(path)
    return path


VARIANTS = [
    w_csv_utf8,
    w_csv_utf8_bom,
    w_csv_gb18030,
    w_csv_utf16_tab,
    w_csv_float_codes,
    w_xlsx_title_rows,
    w_xlsx_merged_header,
    w_xlsx_numeric_cells,
    w_fullwidth,
    w_thousands,
    w_spaces,
    w_blank_rows,
    w_english_reordered,
    w_short_town_codes,
    w_words_and_dates,
    w_sheet_names_and_helpers,
    w_filled_template,
]


def _content(db) -> dict[str, pd.DataFrame]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {s.key: con.execute(f"SELECT * FROM {s.key} ORDER BY ALL").df() for s in SHEETS}
    finally:
        con.close()


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("clean")
    write_xlsx(rich_frames(), tmp / "clean.xlsx")
    result = import_file(tmp / "clean.xlsx", tmp / "clean.duckdb")
    assert result.ok, [p.line() for p in result.problems.errors]
    content = _content(tmp / "clean.duckdb")
    assert all(len(content[s.key]) for s in SHEETS), "the clean file must fill every table"
    return content


@pytest.mark.parametrize("writer", VARIANTS, ids=[w.__name__[2:] for w in VARIANTS])
def test_tolerated_variant_imports_exactly_like_the_clean_file(writer, clean, tmp_path):
    path = writer(rich_frames(), tmp_path)
    result = import_file(path, tmp_path / "variant.duckdb")
    assert result.ok, [p.line() for p in result.problems.errors]
    got = _content(tmp_path / "variant.duckdb")
    for key, expected in clean.items():
        pd.testing.assert_frame_equal(got[key], expected, check_dtype=True, obj=key)


def test_restorations_are_announced_as_warnings(tmp_path):
    result = import_file(w_short_town_codes(rich_frames(), tmp_path), tmp_path / "x.duckdb")
    assert result.ok
    warned = [p for p in result.problems.warnings if "9位乡镇代码已补足为12位" in p.reason]
    assert {(p.sheet, p.column) for p in warned} >= {("镇街", "区划代码"), ("学校", "区划代码")}


def test_ignored_sheet_is_mentioned(tmp_path):
    frames = rich_frames()
    frames["备注"] = pd.DataFrame({"内容": ["本表由市教育局汇总"]})
    write_xlsx(frames, tmp_path / "extra.xlsx")
    result = import_file(tmp_path / "extra.xlsx", tmp_path / "x.duckdb")
    assert result.ok
    assert any(p.sheet == "备注" and "已忽略" in p.reason for p in result.problems.warnings)


# ---- what stays ambiguous is an error, never a guess ---------------------------------------


def test_short_school_id_is_not_padded(tmp_path):
    frames = rich_frames()
    frames["学校"].loc[0, "学校标识码"] = school_id("21", 1)[1:]  # nine digits: no zero can be meant
    write_xlsx(frames, tmp_path / "short_id.xlsx")
    result = import_file(tmp_path / "short_id.xlsx", tmp_path / "x.duckdb")
    assert not result.ok
    assert any(p.sheet == "学校" and p.row == 2 and "位数不足" in p.reason for p in result.problems.errors)


def test_numeric_code_with_lost_digits_is_an_error(tmp_path):
    frames = rich_frames()
    frames["镇街"].loc[0, "区划代码"] = "9.90101E+11"
    write_xlsx(frames, tmp_path / "sci.xlsx")
    result = import_file(tmp_path / "sci.xlsx", tmp_path / "x.duckdb")
    assert not result.ok
    assert any(p.sheet == "镇街" and "科学计数法" in p.reason for p in result.problems.errors)


def test_fullwidth_helper_really_changes_the_text():
    # Guard for the variant above: the writer must produce what a Chinese IME produces.
    assert _fullwidth(TOWN_A) != TOWN_A and unicodedata.normalize("NFKC", _fullwidth(TOWN_A)) == TOWN_A
    assert _thousands("1234567") == "1,234,567" and _thousands(TOWN_B) == TOWN_B
    assert get_column_letter(1) == "A"
