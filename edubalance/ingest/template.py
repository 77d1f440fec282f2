"""The empty import workbook (.xlsx), written from schema.py and the registries.

One sheet per table with the documented Chinese headers; code columns formatted as text so
Excel keeps every digit; drop-down lists for every enumeration (including the registry's
designation kinds, city-level keys and task ids, kept on a hidden 选项 sheet); a 填表说明
sheet that lists every column with its type, whether it is required, its allowed values, its
definition (口径), unit and an example, then one example row per sheet and the rule table
(错误 versus 疑点, from rules.py). The reader skips 填表说明 and 选项, so a filled-in template imports as it is.
"""

from __future__ import annotations

import io
from functools import cache

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name

from edubalance.ingest.rules import rules, severity_zh
from edubalance.model import registry
from edubalance.model.column_docs import describe
from edubalance.model.schema import SHEETS, Column, Sheet

VALIDATED_ROWS = 10000  # drop-down lists and text format reach this far down each sheet
HELP_SHEET = "填表说明"
LISTS_SHEET = "选项"

KIND_ZH = {
    "code12": "12位数字编码（文本）",
    "code10": "10位数字编码（文本）",
    "code6": "6位县级区划代码（文本）",
    "text": "文本",
    "enum": "选项（下拉选择）",
    "int": "整数（≥0）",
    "num": "数字",
    "bool": "是/否",
    "year": "年份（4位）",
    "date": "日期（YYYY-MM-DD）",
}

GENERAL_NOTES = (
    "每张工作表对应一张数据表，请勿修改工作表名和列名（也可用英文键作列名）；不需要的表可以删除。",
    "标有 * 的列为必填。可选列留空表示“未知”，不要填 0。",
    "编码列（区划代码、学校标识码等）已设为文本格式：请保留全部位数，勿转成数字或科学计数法。",
    "学年以起始年表示：2025 表示 2025—2026学年（秋季统计时点）。",
    "是/否 列可填 是/否、Y/N 或 1/0。数字可带千位分隔符；全角数字会自动转换。",
    "导入前全部校验；发现任何错误则整个文件不导入，数据库保持不变。已有学年的数据只有勾选“替换已有学年”才会被替换（只替换文件中各县的这些学年，其他县不受影响）。",
    "一个文件可含多个县（市、区）：行所属的县由镇街区划代码的前6位决定；市级年度、任务进展、教研员表的“县级区划代码”在只含一个县时可留空，含多个县时必填。",
)


def _choices(sheet: Sheet, col: Column) -> list[str]:
    """The allowed values of a column, or [] when it is free."""
    if col.enum:
        return list(col.enum)
    if col.kind == "bool":
        return ["是", "否"]
    if (sheet.key, col.key) == ("designations", "kind"):
        return registry.designation_kinds()["kind"].tolist()
    if (sheet.key, col.key) == ("city_facts", "key"):
        return sorted(registry.city_keys())
    if (sheet.key, col.key) == ("task_progress", "target_id"):
        return registry.targets()["target_id"].tolist()
    return []


def _choices_text(sheet: Sheet, col: Column) -> str:
    values = _choices(sheet, col)
    if (sheet.key, col.key) == ("city_facts", "key"):
        ind = registry.indicators().set_index("key")["name_zh"]
        return "；".join(f"{k}（{ind.get(k, '')}）" for k in values)
    return "、".join(values)


def _col_letter(j: int) -> str:
    return xl_col_to_name(j)


def example_rows() -> dict[str, list[str]]:
    """One example row per sheet, column by column (the examples of column_docs)."""
    return {sheet.zh: [describe(sheet, col)[2] for col in sheet.columns] for sheet in SHEETS}


def _write_examples(ws, r: int, bold, title) -> int:
    """Each sheet's header with one filled-in example row beneath it."""
    ws.write(r, 0, "示例行（每张表一行，可照此填写）", title)
    r += 1
    for sheet in SHEETS:
        ws.write_string(r, 0, sheet.zh, bold)
        for j, col in enumerate(sheet.columns, start=1):
            ws.write_string(r, j, col.zh, bold)
        r += 1
        for j, value in enumerate(example_rows()[sheet.zh], start=1):
            ws.write_string(r, j, value)
        r += 2
    return r


def _write_rules(ws, r: int, bold, wrap, title) -> int:
    """The rule table: what refuses a workbook (错误) and what is imported and listed (疑点)."""
    ws.write(r, 0, "校验规则：错误（整份拒绝导入）与疑点（导入并列出，请核对）", title)
    r += 1
    for j, h in enumerate(["表", "规则", "级别", "理由"]):
        ws.write(r, j, h, bold)
    r += 1
    for rule in rules():
        ws.write_row(r, 0, [rule.sheet, rule.rule, severity_zh(rule.severity), rule.why], wrap)
        r += 1
    return r


@cache
def template_bytes() -> bytes:
    """The template as .xlsx bytes (the registries are read once per process)."""
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    bold = wb.add_format({"bold": True, "bg_color": "#DCE6F1", "border": 1, "text_wrap": True, "valign": "top"})
    required = wb.add_format({"bold": True, "bg_color": "#FCE4D6", "border": 1, "text_wrap": True, "valign": "top"})
    text = wb.add_format({"num_format": "@"})
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    title = wb.add_format({"bold": True, "font_size": 14})

    # 填表说明 first, so the workbook opens on it.
    help_ws = wb.add_worksheet(HELP_SHEET)
    help_ws.write(0, 0, "城乡教育均衡监测看板 数据导入模板 · 填表说明", title)
    for i, note in enumerate(GENERAL_NOTES, start=2):
        help_ws.write(i - 1, 0, f"{i - 1}. {note}")
    r = len(GENERAL_NOTES) + 2
    heads = ["工作表", "列名", "英文键", "类型", "必填", "允许取值", "口径（定义）", "单位", "示例", "说明"]
    for j, h in enumerate(heads):
        help_ws.write(r, j, h, bold)
    r += 1
    for sheet in SHEETS:
        for col in sheet.columns:
            definition, unit, example = describe(sheet, col)
            help_ws.write_row(
                r,
                0,
                [
                    sheet.zh,
                    col.zh,
                    col.key,
                    KIND_ZH.get(col.kind, col.kind),
                    "是" if col.required else "",
                    _choices_text(sheet, col),
                    definition,
                    unit,
                    example,
                    col.note,
                ],
                wrap,
            )
            r += 1
    r = _write_examples(help_ws, r + 1, bold, title)
    _write_rules(help_ws, r + 1, bold, wrap, title)
    for j, width in enumerate([10, 20, 22, 20, 6, 50, 40, 8, 16, 30]):
        help_ws.set_column(j, j, width)
    help_ws.freeze_panes(len(GENERAL_NOTES) + 3, 0)

    lists_ws = wb.add_worksheet(LISTS_SHEET)
    list_col = 0
    list_ranges: dict[tuple[str, ...], str] = {}  # one list per distinct set of values

    for sheet in SHEETS:
        ws = wb.add_worksheet(sheet.zh)
        for j, col in enumerate(sheet.columns):
            label = col.zh + (" *" if col.required else "")
            ws.write_string(0, j, col.zh, required if col.required else bold)
            tip = f"{label}\n{KIND_ZH.get(col.kind, col.kind)}" + (f"\n{col.note}" if col.note else "")
            ws.write_comment(0, j, tip, {"x_scale": 1.6, "y_scale": 1.2})
            width = max(10, min(24, 2 * len(col.zh) + 2))
            is_text = col.kind in ("code12", "code10", "code6", "text", "enum")
            ws.set_column(j, j, width, text if is_text else None)
            choices = _choices(sheet, col)
            if choices:
                key = tuple(choices)
                if key not in list_ranges:
                    letter = _col_letter(list_col)
                    head = "是/否" if col.kind == "bool" else f"{sheet.zh}·{col.zh}"
                    lists_ws.write_string(0, list_col, head)
                    for i, v in enumerate(choices, start=1):
                        lists_ws.write_string(i, list_col, v)
                    list_ranges[key] = f"='{LISTS_SHEET}'!${letter}$2:${letter}${len(choices) + 1}"
                    list_col += 1
                ws.data_validation(
                    1,
                    j,
                    VALIDATED_ROWS,
                    j,
                    {
                        "validate": "list",
                        "source": list_ranges[key],
                        "error_title": col.zh,
                        "error_message": "请从下拉列表中选择（详见“填表说明”）",
                    },
                )
        ws.freeze_panes(1, 0)
    lists_ws.hide()
    wb.close()
    return buf.getvalue()


TEMPLATE_FILE_NAME = "教育均衡数据导入模板.xlsx"
