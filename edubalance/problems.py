"""Problems found in an import file: where (sheet, Excel row, column), what value, why."""

from __future__ import annotations

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

    def line(self) -> str:
        where = f"表“{self.sheet}”"
        if self.row is not None:
            where += f" 第{self.row}行"
        if self.column:
            where += f" 列“{self.column}”"
        value = f"（值：{self.value}）" if self.value != "" else ""
        return f"[{self.severity}] {where}：{self.reason}{value}"


class Problems:
    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, sheet, row, column, value, reason, severity=ERROR) -> None:
        self.items.append(Problem(sheet, None if row is None else int(row), column, str(value), reason, severity))

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
