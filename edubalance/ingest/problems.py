"""Problems found in an import file: where (sheet, Excel row, column), what value, why."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

import pandas as pd

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

    def frame(self) -> pd.DataFrame:
        """As a table with Chinese headers, for the UI and the Excel download."""
        cols = {"severity": "级别", "sheet": "表", "row": "行", "column": "列", "value": "值", "reason": "原因"}
        df = pd.DataFrame([asdict(p) for p in self.items], columns=list(cols))
        return df[list(cols)].rename(columns=cols)
