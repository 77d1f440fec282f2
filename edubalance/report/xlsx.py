"""The Excel workbook of tables: every named query the dashboard shows whose parameters are
only the school year and the stage, plus the reference registries, one sheet each.

Layout of every sheet: row 1 is the title (table, school year, demo flag), row 2 the Chinese
headers with units (labels.COLUMN_LABELS), data from row 3; panes frozen below the headers,
column widths fitted to the text, number formats by column (percent for shares, thousands
separators for counts, the unit of the row for mixed-unit value columns). A 目录 sheet first
lists every sheet with its source query and row count.
"""

from __future__ import annotations

import io
import logging
import re
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter

from edubalance.metrics import progress
from edubalance.model import registry
from edubalance.model.format import display_width, excel_format, excel_target_format, is_missing, school_year_label
from edubalance.model.labels import COLUMN_LABELS
from edubalance.model.safe_text import XLSX_OPTIONS
from edubalance.model.schema import STAGES
from edubalance.report.fetch import Fetch, open_fetch
from edubalance.store import db as dbmod

log = logging.getLogger(__name__)

INDEX_SHEET = "目录"
# Sheet titles of the known queries; a query added later gets its own name as the title.
SHEET_TITLES = {
    "balance_cv": "差异系数",
    "balance_inputs": "差异系数计算数据",
    "school_compliance": "学校达标明细",
    "town_gaps": "镇街差距",
    "urban_rural": "城乡对比",
    "class_size_summary": "班额情况",
    "oversized_schools": "大校额学校",
    "town_coverage": "镇街配置",
    "school_list": "学校名录",
    "school_years_available": "学年概况",
    "dataset_info": "数据说明",
    "import_history": "导入记录",
    "targets_status": "目标进度",
    "town_targets": "镇街目标",
    "town_list": "镇街名录",
    "town_profile": "镇街概况",
    "town_ranking": "镇街排名",
    "town_school_types": "镇街学校类型",
    "teacher_policy": "教师交流轮岗",
    "teacher_distribution": "教师分布",
    "teacher_trend": "教师队伍趋势",
    "principals_summary": "校长队伍",
    "principals_list": "校长名单",
    "small_schools": "小规模学校",
    "school_locations": "学校位置",
    "export_lagging_towns": "滞后镇街",
    "preschool_summary": "学前普及普惠",
    "preschool_towns": "学前镇街",
    "preschool_classes": "幼儿园班额",
    "kindergarten_pairs": "幼儿园结对",
    "special_groups": "特殊群体",
    "task_progress_latest": "任务进展",
    "town_indicator_trend": "镇街指标历年",
    "quality_jumps": "数据质量_突变",
    "quality_missing": "数据质量_缺失",
    "quality_points": "数据质量_坐标",
    "quality_totals": "数据质量_合计",
    "quality_vanished": "数据质量_消失学校",
    "group_scorecard": "教育集团对比",
    "disabled_enrolment": "残疾儿童入学率",
}
REGISTRY_SHEETS = {
    "ref_indicators": "指标登记表",
    "ref_standards": "标准登记表",
    "ref_targets": "目标登记表",
    "ref_designation_kinds": "认定类型登记表",
}
# Registry columns: several share a key with a query column of another meaning (value, status).
REGISTRY_LABELS = {
    "key": "指标代码",
    "name_zh": "指标名称",
    "short_zh": "简称",
    "unit": "单位",
    "group_zh": "分组",
    "stages": "适用学段",
    "level": "层级",
    "numerator": "分子",
    "denominator": "分母",
    "scale": "倍数k",
    "formula_zh": "计算方法",
    "direction": "方向",
    "source": "来源",
    "status": "核实标记",
    "indicator_key": "指标代码",
    "scope": "适用范围",
    "comparator": "比较",
    "value": "标准值",
    "note": "说明",
    "target_id": "目标编号",
    "plan_clause": "方案条款",
    "wording": "目标内容",
    "goal": "目标值",
    "deadline": "期限",
    "baseline_year": "基准学年",
    "kind": "类型",
    "owner": "责任单位",
    "form": "填报方式",
    "description": "说明",
}
YEAR_COLUMNS = {
    "year",
    "first_year",
    "last_year",
    "since_year",
    "opened_year",
    "closed_year",
    "birth_year",
    "post_start_year",
    "baseline_year",
    "value_year",
    "baseline_value_year",
    "deadline_2025",
    "deadline_2027",
    "sort_key",
    "met_year",
    "overdue_since",
    "join_year",
    "before_year",
    "after_year",
}
# Queries whose rows are plan targets (their figures follow 目标进度's format).
TARGET_SHEETS = {"targets_status", "town_targets"}
# Value columns whose unit is given per row by a `unit` column.
UNIT_VALUE_COLUMNS = {
    "value",
    "town_value",
    "city_value",
    "gap",
    "standard",
    "mean",
    "sd",
    "goal",
    "baseline_value",
    "shortfall",
    "needed_2025",
    "needed_2027",
}
TEXT_CODE_COLUMNS = {
    "school_id",
    "town_code",
    "scope_code",
    "parent_school_id",
    "partner_school_id",
    "county_code",
    "ur_code",
}
PERCENT_HINTS = ("_share", "_rate", "rate_", "ratio_to_", "_ratio_to_city", "share_")
PERCENT_COLUMNS = {
    "rate",
    "criterion",
    "national_aim",
    "min_ratio",
    "ratio_to_city",
    "ratio_to_standard",
    "worst_ratio_to_city",
    "between_share",
}


@dataclass
class SheetPlan:
    sheet: str
    title: str
    source: str  # query name or registry table
    params: dict
    df: pd.DataFrame
    purpose: str = ""


@dataclass
class WorkbookResult:
    data: bytes
    sheets: list[SheetPlan]
    seconds: float
    skipped: list[tuple[str, str]]  # (query, reason)


def exportable_queries() -> list[tuple[str, tuple[str, ...]]]:
    """Named queries whose parameters are only year and/or stage (and the county every query
    takes, which the fetch supplies), with the year/stage parameters."""
    out = []
    for name in dbmod.list_queries():
        try:
            q = dbmod.load_query(name)
        except dbmod.QueryError:
            continue
        params = tuple(p for p, _, _ in q.params if p != "county")
        if set(params) <= {"year", "stage"}:
            out.append((name, params))
    return out


_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def sheet_name(title: str, used: set[str]) -> str:
    """An Excel sheet name: no []:*?/\\, at most 31 characters, unique (case-insensitive)."""
    base = _BAD_SHEET_CHARS.sub("_", title).strip("'") or "表"
    base = base[:31]
    name, i = base, 2
    while name.lower() in used:
        suffix = f"~{i}"
        name = base[: 31 - len(suffix)] + suffix
        i += 1
    used.add(name.lower())
    return name


def plan(fetch: Fetch, year: int) -> tuple[list[SheetPlan], list[tuple[str, str]]]:
    """Every sheet's content: the query results (per stage where a query takes one and the stage
    has rows) and the registries."""
    used = {INDEX_SHEET.lower()}
    sheets, skipped = [], []
    for name, params in exportable_queries():
        title = SHEET_TITLES.get(name, name)
        purpose = dbmod.load_query(name).purpose
        stages = STAGES if "stage" in params else (None,)
        for stage in stages:
            args = {}
            if "year" in params:
                args["year"] = year
            if stage is not None:
                args["stage"] = stage
            try:
                df = fetch(name, **args)
            except Exception as exc:  # noqa: BLE001 — one broken query must not sink the workbook
                log.exception("workbook: query %s failed", name)
                skipped.append((name, f"{type(exc).__name__}: {str(exc)[:120]}"))
                break
            if stage is not None and df.empty:
                continue  # a stage without rows (e.g. town_gaps for 特教 when no such school)
            label = f"{title}_{stage}" if stage is not None else title
            sheets.append(SheetPlan(sheet_name(label, used), label, name, args, df, purpose))
    for table, title in REGISTRY_SHEETS.items():
        # the targets are the exported county's (its plan, or the common G1–G7), from the database
        df = fetch("county_plan")[list(registry.TARGET_COLUMNS)] if table == "ref_targets" else registry.load(table)
        sheets.append(SheetPlan(sheet_name(title, used), title, table, {}, df.copy(), "参考登记表"))
    return sheets, skipped


def column_format(name: str, s: pd.Series) -> str | None:
    """The Excel number format of a column (None: text or per-row unit formats)."""
    if name in YEAR_COLUMNS:
        return "0"
    if pd.api.types.is_bool_dtype(s):
        return None
    if pd.api.types.is_datetime64_any_dtype(s):
        return "yyyy-mm-dd hh:mm"
    if pd.api.types.is_integer_dtype(s):
        return "#,##0"
    if pd.api.types.is_float_dtype(s):
        # Shares read as 比例 figures, the CV and its cap as 系数, the rest by model.format's rule
        # for a plain figure (whole numbers without decimals).
        if name in PERCENT_COLUMNS or any(h in name for h in PERCENT_HINTS) or name.endswith("_share"):
            return excel_format("比例")
        if name in ("cv", "threshold", "parity_to_urban"):
            return excel_format("系数")
        if s.dropna().apply(float.is_integer).all() and len(s.dropna()):
            return "#,##0"
        return excel_format(None)
    return None


def _cell_value(v):
    """A value xlsxwriter writes well: 是/否 for booleans, text for lists, None for missing."""
    if isinstance(v, np.generic):
        v = v.item()
    if v is None:
        return None
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, (list, tuple, np.ndarray)):
        return "、".join("" if x is None else (f"{x:g}" if isinstance(x, float) else str(x)) for x in list(v))
    if is_missing(v):
        return None
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime()
    return v


def headers(sp: SheetPlan) -> list[str]:
    if sp.source in REGISTRY_SHEETS:
        return [REGISTRY_LABELS.get(c, COLUMN_LABELS.get(c, c)) for c in sp.df.columns]
    return [COLUMN_LABELS.get(c, c) for c in sp.df.columns]


def title_text(sp: SheetPlan, year: int, is_demo: bool) -> str:
    parts = [sp.title, school_year_label(year)]
    if "stage" in sp.params:
        parts.append(f"学段：{sp.params['stage']}")
    if sp.source in REGISTRY_SHEETS:
        parts.append(f"来源：data/{registry.source_file(sp.source)}")
    else:
        parts.append(f"查询：{sp.source}")
    if is_demo:
        parts.append("演示数据（模拟，非官方统计）")
    return " · ".join(parts)


def write_workbook(sheets: list[SheetPlan], year: int, is_demo: bool, skipped=()) -> bytes:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, **XLSX_OPTIONS})
    base = {"font_name": "Microsoft YaHei", "font_size": 10}
    f_title = wb.add_format({**base, "bold": True, "font_size": 13, "font_color": "#1F5FA8"})
    f_head = wb.add_format(
        {
            **base,
            "bold": True,
            "bg_color": "#1F5FA8",
            "font_color": "#FFFFFF",
            "text_wrap": True,
            "valign": "top",
            "border": 1,
        }
    )
    f_text = wb.add_format({**base, "num_format": "@"})
    formats: dict[str, object] = {}

    def cell_format(num_format: str | None):
        key = num_format or "General"
        if key not in formats:
            formats[key] = wb.add_format({**base, "num_format": key}) if num_format else wb.add_format(base)
        return formats[key]

    # The index sheet first.
    ws = wb.add_worksheet(INDEX_SHEET)
    ws.write(
        0,
        0,
        f"工作簿目录 · {school_year_label(year)}" + (" · 演示数据（模拟，非官方统计）" if is_demo else ""),
        f_title,
    )
    index_head = ["工作表", "来源", "参数", "行数", "说明（查询头注）"]
    for j, h in enumerate(index_head):
        ws.write(1, j, h, f_head)
    for i, sp in enumerate(sheets, start=2):
        ws.write_url(i, 0, f"internal:'{sp.sheet}'!A1", string=sp.sheet)
        ws.write(i, 1, sp.source, cell_format(None))
        ws.write(i, 2, "，".join(f"{k}={v}" for k, v in sp.params.items()), cell_format(None))
        ws.write_number(i, 3, len(sp.df), cell_format("#,##0"))
        ws.write(i, 4, sp.purpose[:250], cell_format(None))
    row = len(sheets) + 3
    for name, reason in skipped:
        ws.write(row, 0, f"未导出：{name}（{reason}）", cell_format(None))
        row += 1
    # The status words of the 目标进度 sheet, as the page's legend words them (below the list,
    # from column B: column A lists only sheets).
    ws.write(row + 1, 1, "状态说明（目标进度）", f_head)
    ws.write(row + 1, 2, "含义", f_head)
    for i, (word, meaning) in enumerate(progress.STATUS_MEANING.items(), start=row + 2):
        ws.write(i, 1, word, cell_format(None))
        ws.write(i, 2, meaning, cell_format(None))
    ws.freeze_panes(2, 0)
    for j, w in enumerate((24, 26, 24, 8, 100)):
        ws.set_column(j, j, w)

    for sp in sheets:
        ws = wb.add_worksheet(sp.sheet)
        df = sp.df.reset_index(drop=True)
        ws.write(0, 0, title_text(sp, year, is_demo), f_title)
        heads = headers(sp)
        for j, h in enumerate(heads):
            ws.write(1, j, h, f_head)
        units = df["unit"].tolist() if "unit" in df.columns else None
        # A target's figures read as on 目标进度 (one decimal, 是/否 as a word), others by unit.
        unit_format = excel_target_format if sp.source in TARGET_SHEETS else excel_format
        widths = [min(max(display_width(h), 6), 28) for h in heads]
        for j, c in enumerate(df.columns):
            # Column by column: one conversion and one writer per column keeps 10k-row sheets fast.
            values = [_cell_value(v) for v in df[c].tolist()]
            widths[j] = min(
                max(widths[j], max((display_width(str(v)) for v in values[:300] if v is not None), default=0) + 2), 60
            )
            if c in TEXT_CODE_COLUMNS:
                for i, v in enumerate(values, start=2):
                    if v is not None:
                        ws.write_string(i, j, str(v), f_text)
                continue
            nf = column_format(c, df[c])
            per_unit = units is not None and c in UNIT_VALUE_COLUMNS
            for i, v in enumerate(values, start=2):
                if v is None:
                    continue
                if isinstance(v, str):
                    ws.write_string(i, j, v, cell_format(None))
                elif isinstance(v, (int, float)):
                    ws.write_number(i, j, v, cell_format(unit_format(units[i - 2], v) if per_unit else nf))
                elif hasattr(v, "year") and hasattr(v, "month"):
                    ws.write_datetime(i, j, v, cell_format(nf or "yyyy-mm-dd hh:mm"))
                else:
                    ws.write_string(i, j, str(v), cell_format(None))
        for j, w in enumerate(widths):
            ws.set_column(j, j, w)
        ws.set_row(1, 32)
        ws.freeze_panes(2, 0)
        if len(df.columns):
            ws.autofilter(1, 0, max(1, len(df) + 1), len(df.columns) - 1)
    wb.close()
    return buf.getvalue()


def build_workbook(year: int, db: Path | str | None = None, fetch: Fetch | None = None) -> WorkbookResult:
    """The workbook of every table for a school year (bytes of an .xlsx)."""
    t0 = time.perf_counter()
    if fetch is None:
        with open_fetch(db) as f:
            info = f("dataset_info").iloc[0].to_dict()
            sheets, skipped = plan(f, year)
    else:
        info = fetch("dataset_info").iloc[0].to_dict()
        sheets, skipped = plan(fetch, year)
    data = write_workbook(sheets, year, bool(info.get("is_demo")), skipped)
    return WorkbookResult(data, sheets, time.perf_counter() - t0, skipped)
