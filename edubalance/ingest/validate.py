"""Validation of raw tables: parse every cell to its type, then check keys, references and sums.

Every problem is collected (never only the first), each naming sheet, Excel row, column
header, value and reason in Chinese. Parsing is column-wise with pandas so a province-size
workbook stays fast; messages are built only for the failing cells.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from edubalance.ingest.county_checks import (
    COUNTY_COL,
    Existing,
    assign_counties,
    tag_problems,
    target_ids,
    unknown_adcodes,
    year_conflicts,
)
from edubalance.ingest.problems import ERROR, WARNING, Problems
from edubalance.ingest.reading import RawTable, header_key
from edubalance.ingest.rules import FORMULA_PREFIXES, part_of_whole_rule
from edubalance.model import registry
from edubalance.model.schema import (
    CITY_FACTS,
    CLASS_BANDS,
    DESIGNATIONS,
    PART_OF_WHOLE,
    PRINCIPALS,
    RESEARCHERS,
    SCHOOL_YEARS,
    SCHOOLS,
    STAGES_BY_TYPE,
    TASK_PROGRESS,
    TOWNS,
    Column,
    Sheet,
)

SCHOOL_CATEGORIES = ("11", "21", "22", "31", "32", "33", "34", "35", "36", "37", "41", "42", "51", "91", "92", "93")
TRUE_WORDS = {
    "是": True,
    "y": True,
    "yes": True,
    "1": True,
    "true": True,
    "否": False,
    "n": False,
    "no": False,
    "0": False,
    "false": False,
}
THOUSANDS = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$")
SCIENTIFIC = re.compile(r"^\d(\.\d+)?[eE]\+?\d+$")
EXCEL_ERRORS = r"#(?:DIV/0!|N/A|VALUE!|REF!|NAME\?|NUM!|NULL!|SPILL!|CALC!|GETTING_DATA|FIELD!|BLOCKED!|CONNECT!|BUSY!)"
YEAR_RANGE = (1900, 2100)
LON_RANGE, LAT_RANGE = (73.0, 136.0), (3.0, 54.0)  # China's extent; outside it a coordinate is wrong


@dataclass
class Parsed:
    """A sheet after parsing: typed values keyed by English column keys, plus Excel row numbers."""

    sheet: Sheet
    frame: pd.DataFrame  # columns: schema keys + "_row"
    present: set[str]  # columns that the file had


def _excel_rows(df: pd.DataFrame, mask) -> list[int]:
    return df.loc[mask, "_row"].tolist()


def _report(problems: Problems, parsed_df, raw: pd.Series, mask, sheet: Sheet, col: Column, reason, severity="错误"):
    if not mask.any():
        return
    for row, value in zip(parsed_df.loc[mask, "_row"], raw[mask]):
        problems.add(sheet.zh, row, col.zh, value, reason, severity)


def _number_text(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Strip thousands separators and a trailing %; returns (numeric, was_percent)."""
    text = raw.copy()
    thousands = text.str.match(THOUSANDS)
    text = text.where(~thousands, text.str.replace(",", "", regex=False))
    percent = text.str.endswith("%")
    text = text.where(~percent, text.str.rstrip("%"))
    num = pd.to_numeric(text.where(text != "", None), errors="coerce")
    return num, percent


def _parse_column(
    col: Column,
    raw: pd.Series,
    out: pd.DataFrame,
    sheet: Sheet,
    problems: Problems,
    county: str | None,
    skip_required: pd.Series | None = None,
):
    empty = raw == ""
    if col.required:
        missing = empty if skip_required is None else empty & ~skip_required
        _report(problems, out, raw, missing, sheet, col, "必填项为空")
    kind = col.kind
    if kind in ("int", "num", "year"):
        num, percent = _number_text(raw)
        bad = ~empty & num.isna()
        _report(problems, out, raw, bad, sheet, col, "不是有效的数字")
        if kind == "num":
            num = num.where(~percent, num / 100.0)
        ok = ~empty & ~bad
        if kind in ("int", "year"):
            frac = ok & percent | ok & (num % 1 != 0)
            _report(problems, out, raw, frac, sheet, col, "应为整数")
            ok &= ~frac
        neg = ok & (num < 0)
        _report(problems, out, raw, neg, sheet, col, "不能为负数")
        if kind == "year":
            out_of = ok & ((num < YEAR_RANGE[0]) | (num > YEAR_RANGE[1]))
            _report(problems, out, raw, out_of, sheet, col, f"年份应在 {YEAR_RANGE[0]}—{YEAR_RANGE[1]} 之间")
        if kind in ("int", "year"):
            out[col.key] = num.where(ok).astype("Int64")
        else:
            out[col.key] = num.where(ok).astype("Float64")
        return
    if kind == "bool":
        mapped = raw.str.lower().map(TRUE_WORDS)
        bad = ~empty & mapped.isna()
        _report(problems, out, raw, bad, sheet, col, "应填“是”或“否”")
        out[col.key] = mapped.astype("boolean")
        return
    if kind == "enum" and col.enum:
        if all(v.isdigit() for v in col.enum):
            raw = raw.str.replace(r"^(\d+)\.0+$", r"\1", regex=True)  # 220.0: Excel made the code a number
        bad = ~empty & ~raw.isin(col.enum)
        _report(problems, out, raw, bad, sheet, col, "不在允许的取值中：" + "、".join(col.enum))
        out[col.key] = raw.where(~empty & ~bad, None)
        return
    if kind in ("code12", "code10", "code6"):
        out[col.key] = _parse_code(col, raw, out, sheet, problems, county)
        return
    if kind == "date":
        text = raw.str.replace(r"[年月/.]", "-", regex=True).str.replace("日", "", regex=False)
        parsed = pd.to_datetime(text.where(~empty, None), format="%Y-%m-%d", errors="coerce")
        bad = ~empty & parsed.isna()
        _report(problems, out, raw, bad, sheet, col, "日期格式应为 YYYY-MM-DD")
        out[col.key] = parsed.dt.date
        return
    out[col.key] = raw.where(~empty, None)


def _parse_code(col: Column, raw: pd.Series, out, sheet, problems, county) -> pd.Series:
    empty = raw == ""
    sci = ~empty & raw.str.match(SCIENTIFIC)
    _report(
        problems, out, raw, sci, sheet, col, "编码被 Excel 转成了科学计数法，位数已丢失；请把该列设为文本后重新填写"
    )
    text = raw.str.replace(r"\.0+$", "", regex=True)  # 440783001000.0 from a float cell
    width = {"code12": 12, "code10": 10, "code6": 6}[col.kind]
    value = text.copy()
    if col.kind == "code12":
        # A 9-digit township code (统计用区划代码 without the 3-digit 村 part) is unambiguous.
        short = ~empty & ~sci & text.str.fullmatch(r"\d{9}")
        if short.any():
            value = value.where(~short, text + "000")
            _report(problems, out, raw, short, sheet, col, "9位乡镇代码已补足为12位（末尾加000）", WARNING)
    digits = value.str.fullmatch(rf"\d{{{width}}}")
    bad = ~empty & ~sci & ~digits
    # A code with too few digits is never padded: no 学校标识码 (category 11-93) and no
    # 区划代码 (province 11-82) starts with 0, so a short code cannot be one whose leading
    # zeros Excel dropped; any padding would be a guess.
    short = bad & value.str.fullmatch(rf"\d{{1,{width - 1}}}")
    _report(
        problems, out, raw, short, sheet, col, f"应为{width}位数字编码（位数不足；编码不以0开头，无法补齐，请核对）"
    )
    _report(problems, out, raw, bad & ~short, sheet, col, f"应为{width}位数字编码")
    if col.kind == "code10":
        cat_bad = ~empty & digits & ~value.str[:2].isin(SCHOOL_CATEGORIES)
        _report(
            problems,
            out,
            raw,
            cat_bad,
            sheet,
            col,
            "前两位不是有效的学校类别代码（如 11 幼儿园、21 小学、31 初中、34 高中、51 特教）",
        )
        bad |= cat_bad
        if county:
            prov = ~empty & digits & ~cat_bad & (value.str[2:4] != county[:2])
            _report(problems, out, raw, prov, sheet, col, f"第3—4位省级代码与本县（{county[:2]}）不一致", WARNING)
    return value.where(~empty & ~sci & ~bad, None)


def parse_table(table: RawTable, problems: Problems, county: str | None) -> Parsed:
    sheet = table.sheet
    known = {}
    for c in sheet.columns:
        known[header_key(c.zh)] = c.key
        known[header_key(c.key)] = c.key
    positions: dict[str, int] = {}
    for j, h in enumerate(table.headers):
        if not h:
            continue
        key = known.get(header_key(h))
        if key is None:
            problems.add(sheet.zh, table.header_row, h, "", "未知的列名，已忽略", WARNING)
            continue
        if key in positions:
            problems.add(sheet.zh, table.header_row, h, "", "列名重复")
            continue
        positions[key] = j
    for c in sheet.columns:
        if c.required and c.key not in positions:
            problems.add(sheet.zh, table.header_row, c.zh, "", "缺少必填列")
    out = pd.DataFrame({"_row": pd.Series(table.row_numbers, dtype="int64")})
    for c in sheet.columns:
        if c.key in positions:
            j = positions[c.key]
            raw = pd.Series([r[j] if j < len(r) else "" for r in table.rows], dtype=object).astype(str)
            # Excel error values (#DIV/0!, #N/A …) come through CSV exports as text and from
            # .xlsx via reading.py; they are never a value, whatever the column type.
            errored = raw.str.fullmatch(EXCEL_ERRORS)
            if errored.any():
                _report(problems, out, raw, errored, sheet, c, "单元格是 Excel 公式错误值，请修正公式或直接填写数值")
                raw = raw.where(~errored, "")
            _parse_column(c, raw, out, sheet, problems, county, skip_required=errored)
        else:
            out[c.key] = _absent_column(c, len(out))
    _formula_like(sheet, table, positions, problems)
    return Parsed(sheet, out, set(positions))


def _absent_column(col: Column, n: int) -> pd.Series:
    """A column the file lacks, typed like a parsed one so cross-checks compare NA, not None
    (an object column of None made `int > None` raise in the part-of-whole checks)."""
    if col.kind in ("int", "year"):
        return pd.Series([pd.NA] * n, dtype="Int64")
    if col.kind == "num":
        return pd.Series([pd.NA] * n, dtype="Float64")
    if col.kind == "bool":
        return pd.Series([pd.NA] * n, dtype="boolean")
    return pd.Series([None] * n, dtype=object)


def _formula_like(sheet: Sheet, table: RawTable, positions: dict[str, int], problems: Problems) -> None:
    """Names that a spreadsheet would run as a formula when the data is exported again."""
    for c in sheet.columns:
        if c.kind != "text" or not c.key.endswith("_name") or c.key not in positions:
            continue
        j = positions[c.key]
        for row, r in zip(table.row_numbers, table.rows):
            v = r[j] if j < len(r) else ""
            if v.startswith(FORMULA_PREFIXES):
                problems.add(
                    sheet.zh,
                    row,
                    c.zh,
                    v,
                    "名称以 = + - @ 开头，用表格软件打开含该名称的 CSV 时可能被当作公式执行；已导入，请核对",
                    WARNING,
                )


def _duplicates(p: Parsed, keys: tuple[str, ...], problems: Problems, what: str):
    df = p.frame
    # An optional key column left empty is part of the key (任务进展 without 区划代码 is the
    # city's row), so rows count as comparable once their required key columns are filled.
    optional = [k for k in keys if not p.sheet.column(k).required and (p.sheet.key == "task_progress" or k == "county")]
    sub = df[list(keys)].astype(object)
    sub[optional] = sub[optional].where(sub[optional].notna(), "")
    complete = sub.notna().all(axis=1) if len(keys) > 1 else sub.iloc[:, 0].notna()
    dup = complete & sub.astype(str).duplicated(keep="first")
    if not dup.any():
        return
    first = {}
    for row, key in zip(df.loc[complete, "_row"], sub[complete].astype(str).itertuples(index=False, name=None)):
        first.setdefault(key, row)
    col = p.sheet.column(keys[-1]).zh
    for row, key in zip(df.loc[dup, "_row"], sub[dup].astype(str).itertuples(index=False, name=None)):
        problems.add(p.sheet.zh, row, col, "/".join(key), f"{what}重复（与第{first[key]}行相同）")


def _reference(p: Parsed, col: str, valid: set, problems: Problems, target: str):
    df = p.frame
    vals = df[col]
    bad = vals.notna() & ~vals.isin(valid)
    for row, v in zip(df.loc[bad, "_row"], vals[bad]):
        problems.add(p.sheet.zh, row, p.sheet.column(col).zh, v, f"在“{target}”中找不到该编码")


def _check_towns(p: Parsed, problems: Problems):
    # A workbook may hold several counties (issue 16): the county of a town is its code's
    # first 6 digits, and nothing requires the towns to share one.
    _coordinates(p, "seat_lon", "seat_lat", problems)


def _coordinates(p: Parsed, lon: str, lat: str, problems: Problems):
    df = p.frame
    for key, (lo, hi) in ((lon, LON_RANGE), (lat, LAT_RANGE)):
        v = df[key]
        bad = v.notna() & ((v < lo) | (v > hi))
        for row, x in zip(df.loc[bad, "_row"], v[bad]):
            problems.add(
                p.sheet.zh, row, p.sheet.column(key).zh, x, f"坐标超出中国范围（{lo}—{hi}），请检查经纬度是否填反"
            )
    one = df[lon].isna() != df[lat].isna()
    for row in df.loc[one, "_row"]:
        problems.add(p.sheet.zh, row, p.sheet.column(lon).zh, "", "经度和纬度应同时填写或同时留空")


def _check_schools(p: Parsed, all_schools: dict[str, str], problems: Problems):
    df = p.frame
    tp = df["school_type"]
    is_point = tp == "教学点"
    parent = df["parent_school_id"]
    missing = is_point & parent.isna()
    for row in df.loc[missing, "_row"]:
        problems.add(SCHOOLS.zh, row, SCHOOLS.column("parent_school_id").zh, "", "教学点必须填写所属学校标识码")
    has_parent = parent.notna()
    unknown = has_parent & ~parent.isin(set(all_schools))
    for row, v in zip(df.loc[unknown, "_row"], parent[unknown]):
        problems.add(SCHOOLS.zh, row, SCHOOLS.column("parent_school_id").zh, v, "在“学校”中找不到所属学校")
    selfref = has_parent & (parent == df["school_id"])
    for row, v in zip(df.loc[selfref, "_row"], parent[selfref]):
        problems.add(SCHOOLS.zh, row, SCHOOLS.column("parent_school_id").zh, v, "所属学校不能是自己")
    parent_point = has_parent & ~unknown & parent.map(all_schools).eq("教学点")
    for row, v in zip(df.loc[parent_point, "_row"], parent[parent_point]):
        problems.add(SCHOOLS.zh, row, SCHOOLS.column("parent_school_id").zh, v, "所属学校不能是另一个教学点")
    inc = df["inclusive"].notna() & (tp != "幼儿园") & tp.notna()
    for row, v in zip(df.loc[inc, "_row"], df.loc[inc, "inclusive"]):
        problems.add(
            SCHOOLS.zh,
            row,
            SCHOOLS.column("inclusive").zh,
            "是" if v else "否",
            "“普惠性”只适用于幼儿园，其他学校请留空",
            WARNING,
        )
    closed = df["closed_year"].notna() & df["opened_year"].notna() & (df["closed_year"] < df["opened_year"])
    for row, v in zip(df.loc[closed, "_row"], df.loc[closed, "closed_year"]):
        problems.add(SCHOOLS.zh, row, SCHOOLS.column("closed_year").zh, v, "停办年份早于建校年份")
    _coordinates(p, "lon", "lat", problems)
    no_decision = df["decision_year"].notna() & df["zero_pupil_decision"].isna()
    for row, v in zip(df.loc[no_decision, "_row"], df.loc[no_decision, "decision_year"]):
        problems.add(SCHOOLS.zh, row, SCHOOLS.column("zero_pupil_decision").zh, v, "填写了研判年份，但没有研判结论")
    no_year = df["zero_pupil_decision"].notna() & df["decision_year"].isna()
    for row, v in zip(df.loc[no_year, "_row"], df.loc[no_year, "zero_pupil_decision"]):
        problems.add(
            SCHOOLS.zh,
            row,
            SCHOOLS.column("decision_year").zh,
            v,
            "有研判结论但未填研判年份，按最早学年计为已研判",
            WARNING,
        )


def _check_school_years(p: Parsed, all_schools: dict[str, str], problems: Problems):
    df = p.frame
    sh = SCHOOL_YEARS
    tp = df["school_id"].map(all_schools)
    allowed = tp.map(lambda t: STAGES_BY_TYPE.get(t, ()) if isinstance(t, str) else ())
    wrong = (
        df["stage"].notna() & tp.notna() & ~pd.Series([s in a for s, a in zip(df["stage"], allowed)], index=df.index)
    )
    for row, s, t in zip(df.loc[wrong, "_row"], df.loc[wrong, "stage"], tp[wrong]):
        problems.add(sh.zh, row, sh.column("stage").zh, s, f"{t}不应有“{s}”学段的数据")
    bands = [k for k, *_ in CLASS_BANDS]
    band_frame = df[bands]
    any_band = band_frame.notna().any(axis=1)
    band_sum = band_frame.fillna(0).sum(axis=1)
    mismatch = any_band & df["classes"].notna() & (band_sum != df["classes"])
    for row, total, classes in zip(df.loc[mismatch, "_row"], band_sum[mismatch], df.loc[mismatch, "classes"]):
        problems.add(sh.zh, row, sh.column("classes").zh, classes, f"各班额段班级数之和为 {int(total)}，与班级数不一致")
    st, cl = df["students"], df["classes"]
    no_class = st.notna() & cl.notna() & (st > 0) & (cl == 0)
    for row, v in zip(df.loc[no_class, "_row"], cl[no_class]):
        problems.add(sh.zh, row, sh.column("classes").zh, v, "在校生数大于0时班级数不能为0")
    no_pupil = st.notna() & cl.notna() & (st == 0) & (cl > 0)
    for row, v in zip(df.loc[no_pupil, "_row"], cl[no_pupil]):
        problems.add(sh.zh, row, sh.column("classes").zh, v, "在校生数为0时班级数应为0")
    for part, whole in PART_OF_WHOLE:
        a, b = df[part], df[whole]
        over = (a.notna() & b.notna() & (a > b)).fillna(False).astype(bool)
        severity, why = part_of_whole_rule(part, whole)
        if severity == WARNING:
            reason = "大于“{}”（{}）：{}，已导入，请核对".format(sh.column(whole).zh, "{}", why)
        else:
            reason = "不能大于“{}”（{}）".format(sh.column(whole).zh, "{}")
        for row, x, y in zip(df.loc[over, "_row"], a[over], b[over]):
            problems.add(sh.zh, row, sh.column(part).zh, x, reason.format(y), severity)


def _flag(problems: Problems, sh, df: pd.DataFrame, mask: pd.Series, column: str, reason: str, severity=ERROR):
    """One problem per row where `mask` holds, naming the cell of `column` and its value."""
    for row, v in zip(df.loc[mask, "_row"], df.loc[mask, column]):
        problems.add(sh.zh, row, sh.column(column).zh, v, reason, severity)


def _after_school_year(df: pd.DataFrame, column: str) -> pd.Series:
    return df[column].notna() & df["year"].notna() & (df[column] > df["year"])


def _check_principals(p: Parsed, problems: Problems):
    df = p.frame
    sh = PRINCIPALS
    _flag(problems, sh, df, _after_school_year(df, "post_start_year"), "post_start_year", "任现职年份晚于学年")
    age = df["year"] - df["birth_year"]
    odd = age.notna() & ((age < 18) | (age > 80))
    for row, v in zip(df.loc[odd, "_row"], df.loc[odd, "birth_year"]):
        problems.add(sh.zh, row, sh.column("birth_year").zh, v, "按出生年份计算的年龄不在 18—80 岁之间", WARNING)


def _check_city_facts(p: Parsed, problems: Problems):
    keys = registry.city_keys()
    df = p.frame
    bad = df["key"].notna() & ~df["key"].isin(keys)
    for row, v in zip(df.loc[bad, "_row"], df.loc[bad, "key"]):
        problems.add(CITY_FACTS.zh, row, CITY_FACTS.column("key").zh, v, "指标登记表中没有这个市级指标代码")


def _check_designations(p: Parsed, problems: Problems):
    kinds = registry.designation_kinds().set_index("kind")["form"].to_dict()
    df = p.frame
    sh = DESIGNATIONS
    bad = df["kind"].notna() & ~df["kind"].isin(set(kinds))
    for row, v in zip(df.loc[bad, "_row"], df.loc[bad, "kind"]):
        problems.add(sh.zh, row, sh.column("kind").zh, v, "不在认定类型登记表中：" + "、".join(kinds))
    form = df["kind"].map(kinds)
    need_school = form.isin(["school", "pair"]) & df["school_id"].isna()
    for row in df.loc[need_school, "_row"]:
        problems.add(sh.zh, row, sh.column("school_id").zh, "", "该类型须填写学校标识码")
    need_partner = (form == "pair") & df["partner_school_id"].isna()
    for row in df.loc[need_partner, "_row"]:
        problems.add(sh.zh, row, sh.column("partner_school_id").zh, "", "结对类型须填写对象学校标识码")
    need_town = (form == "town") & df["town_code"].isna()
    for row in df.loc[need_town, "_row"]:
        problems.add(sh.zh, row, sh.column("town_code").zh, "", "该类型须填写区划代码")
    same = df["partner_school_id"].notna() & (df["partner_school_id"] == df["school_id"])
    for row, v in zip(df.loc[same, "_row"], df.loc[same, "partner_school_id"]):
        problems.add(sh.zh, row, sh.column("partner_school_id").zh, v, "对象学校不能是学校自己")


def _check_researchers(p: Parsed, problems: Problems):
    df = p.frame
    sh = RESEARCHERS
    _flag(problems, sh, df, _after_school_year(df, "hire_year"), "hire_year", "入职年份晚于学年")
    months = df["stay_months"]
    _flag(problems, sh, df, months.notna() & ((months < 0) | (months > 12)), "stay_months", "蹲点月数应在 0—12 之间")
    _flag(problems, sh, df, df["rural_visits"].notna() & (df["rural_visits"] < 0), "rural_visits", "次数不能为负")


def _check_tasks(p: Parsed, existing: Existing, problems: Problems):
    """A task id must be in its row's county's registry (its own plan, or the common targets)."""
    df = p.frame
    ids = {c: target_ids(c, existing) for c in df[COUNTY_COL].dropna().unique()}
    known = pd.Series([t in ids.get(c, ()) for t, c in zip(df["target_id"], df[COUNTY_COL])], index=df.index)
    bad = df["target_id"].notna() & df[COUNTY_COL].notna() & ~known
    for row, v in zip(df.loc[bad, "_row"], df.loc[bad, "target_id"]):
        problems.add(TASK_PROGRESS.zh, row, TASK_PROGRESS.column("target_id").zh, v, "目标登记表中没有这个任务编号")


def validate(
    tables: list[RawTable], existing: Existing, replace_years: bool = False, *, release_raw: bool = False
) -> tuple[dict[str, Parsed], Problems]:
    """Parse and check all tables; returns parsed sheets keyed by table name and all problems.

    release_raw empties each table's raw rows once parsed (for a caller that owns the tables
    and needs them no more: the text grid and the typed frame are then never both whole)."""
    problems = Problems()
    seen: dict[str, RawTable] = {}
    for t in tables:
        for where, reason, severity in t.issues:
            problems.add(where, None, "", "", reason, severity)
    for t in tables:
        if t.sheet.key in seen:
            problems.add(t.sheet.zh, None, "", t.source, f"同一张表出现了两次（另见 {seen[t.sheet.key].source}）")
        seen[t.sheet.key] = t
    county = existing.county
    if TOWNS.key in seen:
        # Take the county from the town codes the file brings (for the 学校标识码 province check).
        t = seen[TOWNS.key]
        codes = [r[i] for r in t.rows for i, h in enumerate(t.headers) if header_key(h) in ("区划代码", "town_code")]
        prefixes = [c[:6] for c in codes if re.fullmatch(r"\d{9}|\d{12}", c or "")]
        if prefixes and county not in prefixes:
            county = max(set(prefixes), key=prefixes.count)
    if county is None and existing.counties:
        county = min(existing.counties)  # only its province digits are used
    parsed = {}
    for key, t in seen.items():
        parsed[key] = parse_table(t, problems, county)
        if release_raw:
            t.rows.clear()
    if not parsed:
        problems.add("", None, "", "", "文件中没有可导入的数据")
        return parsed, problems
    if all(len(p.frame) == 0 for p in parsed.values()):
        # Only headers (an untouched template): importing it would log a change that is none.
        problems.add("、".join(p.sheet.zh for p in parsed.values()), None, "", "", "文件中没有数据行（各表只有表头）")
    assign_counties(parsed, existing, problems)

    for sheet in (TOWNS, SCHOOLS, SCHOOL_YEARS, PRINCIPALS, CITY_FACTS, DESIGNATIONS, TASK_PROGRESS, RESEARCHERS):
        if sheet.key in parsed:
            _duplicates(
                parsed[sheet.key],
                sheet.unique,
                problems,
                "“" + "+".join(sheet.column(k).zh for k in sheet.unique) + "”",
            )
            for extra in sheet.extra_unique:
                _duplicates(parsed[sheet.key], extra, problems, "“" + "+".join(sheet.column(k).zh for k in extra) + "”")

    towns = set(existing.towns)
    if TOWNS.key in parsed:
        _check_towns(parsed[TOWNS.key], problems)
        unknown_adcodes(parsed, existing, problems)
        towns |= set(parsed[TOWNS.key].frame["town_code"].dropna())
    schools = dict(existing.schools)
    if SCHOOLS.key in parsed:
        df = parsed[SCHOOLS.key].frame
        schools.update(
            {k: v for k, v in zip(df["school_id"], df["school_type"]) if k is not None and isinstance(v, str)}
        )
        _reference(parsed[SCHOOLS.key], "town_code", towns, problems, "镇街")
        _check_schools(parsed[SCHOOLS.key], schools, problems)
    school_ids = set(schools)
    for sheet in (SCHOOL_YEARS, PRINCIPALS):
        if sheet.key in parsed:
            _reference(parsed[sheet.key], "school_id", school_ids, problems, "学校")
    if SCHOOL_YEARS.key in parsed:
        _check_school_years(parsed[SCHOOL_YEARS.key], schools, problems)
    if PRINCIPALS.key in parsed:
        _check_principals(parsed[PRINCIPALS.key], problems)
    if CITY_FACTS.key in parsed:
        _check_city_facts(parsed[CITY_FACTS.key], problems)
    if DESIGNATIONS.key in parsed:
        p = parsed[DESIGNATIONS.key]
        _check_designations(p, problems)
        _reference(p, "school_id", school_ids, problems, "学校")
        _reference(p, "partner_school_id", school_ids, problems, "学校")
        _reference(p, "town_code", towns, problems, "镇街")
    if RESEARCHERS.key in parsed:
        _check_researchers(parsed[RESEARCHERS.key], problems)
    if TASK_PROGRESS.key in parsed:
        _check_tasks(parsed[TASK_PROGRESS.key], existing, problems)
        _reference(parsed[TASK_PROGRESS.key], "town_code", towns, problems, "镇街")

    if not replace_years:
        year_conflicts(parsed, existing, problems)
    tag_problems(parsed, problems)
    return parsed, problems


def typed_frame(p: Parsed) -> pd.DataFrame:
    """The parsed sheet with plain column types, ready for the database (no row numbers)."""
    df = p.frame[p.sheet.keys].copy()
    for c in p.sheet.columns:
        if c.kind in ("int", "year"):
            df[c.key] = df[c.key].astype("Int64")
        elif c.kind == "num":
            df[c.key] = df[c.key].astype("Float64")
        elif c.kind == "bool":
            df[c.key] = df[c.key].astype("boolean")
        elif c.kind == "date":
            df[c.key] = pd.to_datetime(df[c.key])
        else:
            df[c.key] = df[c.key].astype(object).where(df[c.key].notna(), None)
    return df
