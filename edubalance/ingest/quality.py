"""Data-quality findings: things worth a second look that are not errors.

Validation (validate.py) rejects what cannot be right; this module points at what is
probably wrong and leaves the decision to the analyst: empty optional cells, a school's
pupils or teachers jumping from one year to the next (thresholds from the registry),
schools that vanish without a 停办年份, totals that disagree with their parts, and
coordinates outside the county. The checks are named queries (queries/quality_*.sql) run on
either the live database or an in-memory database built from a workbook, so the 数据管理
panel and `python -m edubalance check` report the same findings.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from edubalance.geo import outline as geo
from edubalance.ingest.importer import load_in_memory, open_snapshot, read_or_problems
from edubalance.ingest.problems import MAX_PER_RULE, WARNING, Problem
from edubalance.ingest.rules import part_of_whole_rule
from edubalance.ingest.validate import Existing, validate
from edubalance.model import registry
from edubalance.model.schema import PART_OF_WHOLE, SCHOOL_YEARS, SHEETS_BY_KEY
from edubalance.store import db as dbmod
from edubalance.store.paths import internal_sql

FINDING_COLUMNS = ["category", "sheet", "year", "object_id", "object_name", "column_name", "value", "reason"]
CATEGORIES = ("缺失值", "年度突变", "学校消失", "总数不符", "口径疑点", "坐标")
JUMP_KEYS = {"students": "quality_jump_students", "teachers": "quality_jump_teachers"}
MEASURE_ZH = {"students": "在校生数", "teachers": "专任教师数"}


def _sheet_zh(table: str) -> str:
    sheet = SHEETS_BY_KEY.get(table)
    return sheet.zh if sheet else table


def _column_zh(table: str, column: str) -> str:
    sheet = SHEETS_BY_KEY.get(table)
    try:
        return sheet.column(column).zh if sheet else column
    except KeyError:
        return column


def _year(value) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def _num(value) -> str:
    if value is None or pd.isna(value):
        return ""
    value = float(value)
    return str(int(value)) if value.is_integer() else f"{value:g}"


def _schema_order(table: str, column: str) -> tuple[int, int]:
    keys = list(SHEETS_BY_KEY)
    sheet = SHEETS_BY_KEY.get(table)
    cols = sheet.keys if sheet else []
    return (keys.index(table) if table in keys else 99, cols.index(column) if column in cols else 99)


def _more(df: pd.DataFrame, category: str, sheet: str) -> list[dict]:
    """A hostile file can make a check fire on every row: list MAX_PER_RULE findings of a
    kind and one line with the total, so memory and the page stay bounded."""
    if len(df) <= MAX_PER_RULE:
        return []
    reason = f"同类问题共 {len(df)} 个，只列出前 {MAX_PER_RULE} 个"
    keys = ("category", "sheet", "year", "object_id", "object_name", "column_name", "value", "reason")
    return [dict(zip(keys, (category, sheet, None, "", "", "", str(len(df)), reason)))]


def _missing(con, county: str | None) -> list[dict]:
    out = []
    df = _run("quality_missing", con, county)
    if len(df):
        order = [
            (*_schema_order(t, c), -1 if pd.isna(y) else -int(y))
            for t, c, y in zip(df.table_name, df.column_name, df.year)
        ]
        df = df.assign(_o=order).sort_values("_o", kind="stable")
    for r in df.itertuples(index=False):
        out.append(
            {
                "category": "缺失值",
                "sheet": _sheet_zh(r.table_name),
                "year": _year(r.year),
                "object_id": "",
                "object_name": "",
                "column_name": _column_zh(r.table_name, r.column_name)
                + ("（幼儿园）" if (r.table_name, r.column_name) == ("schools", "inclusive") else ""),
                "value": f"{int(r.missing)}/{int(r.total_rows)}",
                "reason": f"{int(r.missing)} 行为空（共 {int(r.total_rows)} 行，{r.missing / r.total_rows:.0%}）",
            }
        )
    return out


def _jumps(con, county: str | None) -> list[dict]:
    present = set(
        con.execute(
            internal_sql("city_standards_present"),
            list(JUMP_KEYS.values()),
        )
        .df()["indicator_key"]
        .tolist()
    )
    out = []
    for measure, key in JUMP_KEYS.items():
        if key not in present:
            out.append(
                {
                    "category": "年度突变",
                    "sheet": "学校年度",
                    "year": None,
                    "object_id": "",
                    "object_name": "",
                    "column_name": MEASURE_ZH[measure],
                    "value": "",
                    "reason": f"标准登记表中缺少阈值 {key}（全市），未检查该项",
                }
            )
    jumps = _run("quality_jumps", con, county)
    out += _more(jumps, "年度突变", "学校年度")
    for r in jumps.head(MAX_PER_RULE).itertuples(index=False):
        way = "增加" if r.change > 0 else "减少"
        out.append(
            {
                "category": "年度突变",
                "sheet": "学校年度",
                "year": _year(r.year),
                "object_id": r.school_id,
                "object_name": f"{r.school_name or ''}（{r.stage}）",
                "column_name": MEASURE_ZH[r.measure],
                "value": _num(r.current),
                "reason": f"比上一学年（{_num(r.previous)}）{way} {abs(r.change):.0%}，超过 ±{r.threshold:.0%}，请核对",
            }
        )
    return out


def _vanished(con, county: str | None) -> list[dict]:
    out = []
    vanished = _run("quality_vanished", con, county)
    out += _more(vanished, "学校消失", "学校")
    for r in vanished.head(MAX_PER_RULE).itertuples(index=False):
        if r.kind == "vanished":
            reason = f"{int(r.last_year)} 学年有数据，{int(r.year)} 学年没有，且未填写停办年份"
            column = "停办年份"
            value = "" if pd.isna(r.closed_year) else _num(r.closed_year)
        else:
            reason = f"停办年份为 {_num(r.closed_year)}，但 {int(r.year)} 学年仍有数据"
            column, value = "停办年份", _num(r.closed_year)
        out.append(
            {
                "category": "学校消失",
                "sheet": "学校",
                "year": _year(r.year),
                "object_id": r.school_id,
                "object_name": r.school_name or "",
                "column_name": column,
                "value": value,
                "reason": reason,
            }
        )
    return out


def _totals(con, county: str | None) -> list[dict]:
    names = dict(zip(registry.indicators()["key"], registry.indicators()["name_zh"]))
    out = []
    totals = _run("quality_totals", con, county)
    out += _more(totals, "总数不符", "学校年度")
    for r in totals.head(MAX_PER_RULE).itertuples(index=False):
        if r.kind == "pupils_vs_bands":
            span = f"{_num(r.low)}—{_num(r.high)} 人" if not pd.isna(r.high) else f"至少 {_num(r.low)} 人"
            out.append(
                {
                    "category": "总数不符",
                    "sheet": "学校年度",
                    "year": _year(r.year),
                    "object_id": r.school_id,
                    "object_name": f"{r.school_name or ''}（{r.stage}）",
                    "column_name": "在校生数",
                    "value": _num(r.value),
                    "reason": f"按各班额段的班级数推算，在校生数应为 {span}",
                }
            )
        else:
            out.append(
                {
                    "category": "总数不符",
                    "sheet": "市级年度",
                    "year": _year(r.year),
                    "object_id": r.measure,
                    "object_name": names.get(r.measure, r.measure),
                    "column_name": "数值",
                    "value": _num(r.value),
                    "reason": f"大于其总数（{_num(r.high)}）",
                }
            )
    return out


def _relations(con, county: str | None) -> list[dict]:
    """Rows imported despite a part-of-whole relation that only holds under some 报送口径
    (rules.PART_OF_WHOLE_RULES marked 疑点), e.g. an exchanged-out backbone teacher."""
    out = []
    for part, whole in PART_OF_WHOLE:
        severity, why = part_of_whole_rule(part, whole)
        if severity != WARNING:
            continue
        # Column names come from schema.py, never from a workbook.
        rows = con.execute(
            f"SELECT y.year, y.school_id, s.school_name, y.stage, y.{part} AS part, y.{whole} AS whole "
            f"FROM school_years AS y LEFT JOIN schools AS s USING (school_id) "
            f"WHERE y.{part} > y.{whole} AND ($county IS NULL OR substr(s.town_code, 1, 6) = $county) "
            f"ORDER BY y.year DESC, y.school_id, y.stage",
            {"county": county},
        ).df()
        out += _more(rows, "口径疑点", SCHOOL_YEARS.zh)
        for year, sid, name, stage, a, b in rows.head(MAX_PER_RULE).itertuples(index=False):
            out.append(
                {
                    "category": "口径疑点",
                    "sheet": SCHOOL_YEARS.zh,
                    "year": _year(year),
                    "object_id": sid,
                    "object_name": f"{name or ''}（{stage}）",
                    "column_name": SCHOOL_YEARS.column(part).zh,
                    "value": _num(a),
                    "reason": f"大于“{SCHOOL_YEARS.column(whole).zh}”（{_num(b)}）：{why}",
                }
            )
    return out


def _coordinates(con, county: str | None) -> list[dict]:
    points = _run("quality_points", con, county)
    if points.empty:
        return []
    out = []
    for county, group in points.groupby("county_code"):
        try:
            outline = geo.county_outline(county)
            name = geo.county_name(county)
        except ValueError:
            out.append(
                {
                    "category": "坐标",
                    "sheet": "学校",
                    "year": None,
                    "object_id": county,
                    "object_name": "",
                    "column_name": "经度",
                    "value": "",
                    "reason": f"没有区划代码 {county} 的县界数据，未检查坐标是否在县内",
                }
            )
            continue
        inside = geo.point_in_county(group["lon"].to_numpy(), group["lat"].to_numpy(), outline)
        out += _more(group[~inside], "坐标", "学校")
        for r in group[~inside].head(MAX_PER_RULE).itertuples(index=False):
            out.append(
                {
                    "category": "坐标",
                    "sheet": _sheet_zh(r.table_name),
                    "year": None,
                    "object_id": r.object_id,
                    "object_name": r.object_name,
                    "column_name": "经度" if r.table_name == "schools" else "驻地经度",
                    "value": f"{r.lon:.6f}, {r.lat:.6f}",
                    "reason": f"坐标在{name or '本县'}县界之外",
                }
            )
    return out


def _run(name: str, con, county: str | None) -> pd.DataFrame:
    """A quality query for one county when it takes the county parameter (issue 16)."""
    takes = county is not None and "county" in {p[0] for p in dbmod.load_query(name).params}
    return dbmod.run(name, {"county": county} if takes else {}, con=con)


def _counties(con) -> list[str]:
    return [r[0] for r in con.execute("SELECT DISTINCT substr(town_code, 1, 6) FROM towns ORDER BY 1").fetchall()]


def findings_from_connection(
    con: duckdb.DuckDBPyConnection, *, geometry: bool = True, county: str | None = None
) -> pd.DataFrame:
    """Every finding, county by county (`county`: that one only). With several counties in the
    database the frame gains a last column `county`."""
    counties = [county] if county else _counties(con)
    frames = []
    for c in counties or [None]:
        rows = _missing(con, c) + _jumps(con, c) + _vanished(con, c) + _totals(con, c) + _relations(con, c)
        if geometry:
            rows += _coordinates(con, c)
        frames.append(pd.DataFrame(rows, columns=FINDING_COLUMNS).assign(county=c or ""))
    df = pd.concat(frames, ignore_index=True)
    if len(counties) < 2:
        df = df.drop(columns="county")
    df["year"] = df["year"].astype("Int64")
    return df


def findings(db: Path, *, geometry: bool = True, county: str | None = None) -> pd.DataFrame:
    """Findings on the live database (read through a snapshot connection)."""
    con = open_snapshot(Path(db))
    try:
        return findings_from_connection(con, geometry=geometry, county=county)
    finally:
        con.close()


def workbook_findings(path: str | Path, *, geometry: bool = True) -> pd.DataFrame:
    """Findings on a workbook alone, loaded into an in-memory database the way an import
    would load it. Empty when the workbook has errors (those are reported by validation)."""
    tables, problems = read_or_problems(Path(path))
    if problems.errors:
        return pd.DataFrame(columns=FINDING_COLUMNS)
    parsed, problems = validate(tables, Existing(), replace_years=True)
    if problems.errors:
        return pd.DataFrame(columns=FINDING_COLUMNS)
    con = load_in_memory(parsed)
    try:
        return findings_from_connection(con, geometry=geometry)
    finally:
        con.close()


def summary(df: pd.DataFrame) -> dict[str, int]:
    """Number of findings per category, every category present (0 when none)."""
    counts = df["category"].value_counts().to_dict() if len(df) else {}
    return {c: int(counts.get(c, 0)) for c in CATEGORIES}


def lines(df: pd.DataFrame) -> list[str]:
    """One '[警告] 数据质量·…' line per finding, for the command line."""
    out = []
    for r in df.itertuples(index=False):
        where = f"表“{r.sheet}”"
        if not pd.isna(r.year):
            where += f" {int(r.year)}学年"
        if r.object_id or r.object_name:
            where += f" {' '.join(x for x in (r.object_id, r.object_name) if x)}"
        if r.column_name:
            where += f" 列“{r.column_name}”"
        value = f"（值：{r.value}）" if r.value else ""
        out.append(f"[{WARNING}] 数据质量·{r.category}：{where}：{r.reason}{value}")
    return out


def as_problems(df: pd.DataFrame) -> list[Problem]:
    """Findings as warnings in the validator's shape (sheet, column, value, reason)."""
    out = []
    for r in df.itertuples(index=False):
        where = f"{int(r.year)}学年 " if not pd.isna(r.year) else ""
        who = " ".join(x for x in (r.object_id, r.object_name) if x)
        where += f"{who}：" if who else ""
        county = getattr(r, "county", "") or ""
        reason = f"数据质量·{r.category}：{where}{r.reason}"
        out.append(Problem(r.sheet, None, r.column_name, r.value, reason, WARNING, county))
    return out
