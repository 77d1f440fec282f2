"""A county's own plan registry, uploaded by an administrator (方案目标登记表).

The file has the columns of data/plans/<adcode>/targets.csv (English keys, as in that file),
plus an optional 县级区划代码 column. It is checked like a workbook — every problem with its row
and column, in Chinese — and, when clean, replaces that county's rows of plan_targets through
the importer's staging copy and atomic swap (logged as action 'plan'). The other counties'
plans are never touched; ref_targets is rebuilt from plan_targets by derive().
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from edubalance.ingest.importer import import_lock, log_import, open_snapshot, stage_and_swap
from edubalance.ingest.problems import WARNING, Problems
from edubalance.ingest.reading import UnreadableFile, calamine_grids, decode_csv_bytes, library_message, normalise_text
from edubalance.model import registry
from edubalance.store import history
from edubalance.store.paths import DERIVED_DIR

SHEET = "方案目标登记表"
COUNTY_HEADERS = ("县级区划代码", "county")
# Header cells a clerk needs, by key (the file's own English keys are the headers).
REQUIRED_COLUMNS = ("target_id", "wording", "indicator_key", "scope", "comparator", "goal", "deadline", "kind")
KINDS = ("bool", "count", "coverage", "ratio", "qualitative")
SCOPES = ("city", "zhen", "school", "urban_kindergarten", "quality_high_school")
COMPARATORS = (">=", "<=")
OPEN_DEADLINES = ("持续", "每学年")
ROUND_ENDS = ("", "是")
MAX_ROWS = 2000  # a plan has tens of targets; a larger file is not a plan
ADCODE = re.compile(r"^\d{6}$")


@dataclass
class PlanResult:
    ok: bool
    problems: Problems
    county: str = ""
    rows: int = 0
    backup_path: Path | None = field(default=None)


def read_plan_file(path: Path) -> tuple[pd.DataFrame | None, Problems]:
    """The file's first non-empty sheet (or the CSV) as text cells with its header row, and
    the reasons it cannot be read. Row labels are Excel row numbers (header = 1)."""
    problems = Problems()
    try:
        if path.suffix.lower() == ".csv":
            text = decode_csv_bytes(path.read_bytes())
            grid = [[normalise_text(v) for v in row] for row in csv.reader(io.StringIO(text))]
        else:
            grid = next((g for _, g in calamine_grids(path) if any(any(c for c in r) for r in g)), [])
    except UnreadableFile as exc:
        problems.add(path.name, None, "", "", str(exc))
        return None, problems
    except (Exception, RecursionError) as exc:  # a library failing on a hostile file: still a message
        problems.add(path.name, None, "", "", f"无法读取 {path.name}：{library_message(exc)}")
        return None, problems
    return grid_frame(grid, path.name, problems), problems


def grid_frame(grid: list[list[str]], name: str, problems: Problems) -> pd.DataFrame | None:
    grid = [[normalise_text(str(c)) for c in row] for row in grid]
    while grid and not any(grid[-1]):
        grid.pop()
    if not grid:
        problems.add(name, None, "", "", "文件是空的：第1行应为表头（target_id、wording、indicator_key……）")
        return None
    if len(grid) - 1 > MAX_ROWS:
        problems.add(name, None, "", "", f"行数 {len(grid) - 1} 超过上限 {MAX_ROWS}：这不像一份方案目标登记表")
        return None
    header = grid[0]
    width = len(header)
    rows = [(r + [""] * width)[:width] for r in grid[1:]]
    df = pd.DataFrame(rows, columns=header, dtype=object)
    df.index = range(2, len(rows) + 2)  # Excel row numbers
    return df


def known_target_keys() -> set[str]:
    """The indicator keys targets_status measures for a county's own plan: its fixed measures
    and every city-level fact of 市级年度 (designation:<kind>+<kind> is checked separately)."""
    return set(MEASURED_KEYS) | set(COMMON_KEYS) | registry.city_keys()


# The keys targets_status.sql computes itself (tests/unit/test_plans.py checks each is there).
MEASURED_KEYS = (
    "zero_pupil_decided", "public_boarding_school", "public_central_kindergarten", "standardized_special_school",
    "big_class_share+school_size", "plan_four_items", "district_management", "exchange_rate_all",
    "principals_over10y_unexplained", "rural_principals_under45_share", "researcher_rural_visits",
    "researchers_on_path_share", "new_researcher_stay_share", "teacher_pay_ratio", "edu_spending",
    "cv_falling_count", "cv_within_cap_count", "kindergarten_pairs", "high_school_pairs",
)  # fmt: skip
# The measures only the common targets define (v_common_values); targets_status reads them
# from there for an own plan too.
COMMON_KEYS = (
    "school_pass_6of7", "over_standard_class_share", "preschool_gross_enrolment", "preschool_inclusive_coverage",
    "preschool_public_share",
)  # fmt: skip


def _key_ok(key: str, known: set[str], kinds: set[str]) -> bool:
    if key.startswith("designation:"):
        parts = key[len("designation:") :].split("+")
        return all(p in kinds for p in parts) and bool(parts)
    return key in known


def validate_plan(
    df: pd.DataFrame | None, county: str | None, problems: Problems, counties_in_db: set[str] | None = None
) -> tuple[str, pd.DataFrame | None]:
    """Check the frame (grid_frame's) and return (county, clean rows with TARGET_COLUMNS);
    every problem goes to `problems` with its Excel row and column."""
    if df is None:
        return "", None
    p = problems
    headers = list(df.columns)
    for col in REQUIRED_COLUMNS:
        if col not in headers:
            p.add(SHEET, 1, col, "", f"缺少必填列“{col}”（表头应与 targets.csv 相同）")
    dupes = sorted({h for h in headers if h and headers.count(h) > 1})
    for h in dupes:
        p.add(SHEET, 1, h, "", "列名重复")
    if p.errors:
        return "", None
    county_col = next((h for h in COUNTY_HEADERS if h in headers), None)
    out = pd.DataFrame({c: (df[c] if c in headers else "") for c in registry.TARGET_COLUMNS}, index=df.index)
    out = out.fillna("").astype(str).apply(lambda s: s.str.strip())
    # the county: the form's, else the file's single value; each row's must agree
    codes = set(df[county_col].astype(str).str.strip()) - {""} if county_col else set()
    chosen = county or (next(iter(codes)) if len(codes) == 1 else "")
    if not chosen:
        why = (
            "文件含多个县级区划代码，一次只能上传一个县的方案"
            if codes
            else "请选择县（市、区）或在文件中填写“县级区划代码”"
        )
        p.add(SHEET, None, county_col or "县级区划代码", "", why)
    elif not ADCODE.match(chosen):
        p.add(SHEET, None, county_col or "县级区划代码", chosen, "县级区划代码应为6位数字")
    if county_col and chosen:
        for row, v in df[county_col].astype(str).str.strip().items():
            if v and v != chosen:
                p.add(SHEET, row, county_col, v, f"与所选县 {chosen} 不一致")
    if chosen and ADCODE.match(chosen) and counties_in_db is not None and chosen not in counties_in_db:
        p.add(SHEET, None, "县级区划代码", chosen, "数据库中还没有该县的数据；方案在导入该县数据后生效", WARNING)
    if out.empty:
        p.add(SHEET, None, "", "", "文件没有数据行")
    known = known_target_keys()
    kinds = set(registry.designation_kinds()["kind"])
    seen: dict[str, int] = {}
    for row, r in out.iterrows():
        qualitative = r["kind"] == "qualitative"
        if not r["target_id"]:
            p.add(SHEET, row, "target_id", "", "目标编号不能为空")
        elif r["target_id"] in seen:
            p.add(SHEET, row, "target_id", r["target_id"], f"目标编号重复（第{seen[r['target_id']]}行已有）")
        else:
            seen[r["target_id"]] = row
        if not r["wording"]:
            p.add(SHEET, row, "wording", "", "原文措辞不能为空")
        if r["kind"] not in KINDS:
            p.add(SHEET, row, "kind", r["kind"], f"类型应为 {'、'.join(KINDS)} 之一")
        if r["scope"] not in SCOPES:
            p.add(SHEET, row, "scope", r["scope"], f"范围应为 {'、'.join(SCOPES)} 之一")
        if not qualitative:
            if r["comparator"] not in COMPARATORS:
                p.add(SHEET, row, "comparator", r["comparator"], "比较符应为 >= 或 <=")
            if pd.isna(pd.to_numeric(r["goal"], errors="coerce")):
                p.add(SHEET, row, "goal", r["goal"], "目标值应为数字（定性任务除外）")
            if not _key_ok(r["indicator_key"], known, kinds):
                p.add(
                    SHEET, row, "indicator_key", r["indicator_key"], "看板没有这个计量指标（见方法说明的目标计量口径）"
                )
        elif r["comparator"] not in ("", *COMPARATORS):
            p.add(SHEET, row, "comparator", r["comparator"], "比较符应为 >=、<= 或空")
        d = r["deadline"]
        if not (d in OPEN_DEADLINES or (d.isdigit() and 2000 <= int(d) <= 2100)):
            p.add(SHEET, row, "deadline", d, "期限应为年份（如 2027）或“持续”“每学年”")
        b = r["baseline_year"]
        if b and not (b.isdigit() and 2000 <= int(b) <= 2100):
            p.add(SHEET, row, "baseline_year", b, "基线学年应为年份或留空")
        if r["round_ends"] not in ROUND_ENDS:
            p.add(SHEET, row, "round_ends", r["round_ends"], "应为“是”或留空")
    return chosen, out


def _counties(db: Path) -> set[str]:
    if not Path(db).is_file():
        return set()
    con = open_snapshot(db)
    try:
        return {r[0] for r in con.execute("SELECT DISTINCT substr(town_code, 1, 6) FROM towns").fetchall()}
    finally:
        con.close()


def import_plan(
    path: str | Path, db: Path, *, county: str | None = None, user: str = "命令行", file_name: str = ""
) -> PlanResult:
    """Validate the file and, when it has no error, make it the county's plan (replacing only
    that county's uploaded rows). A refused file leaves the database byte-identical."""
    path, db = Path(path), Path(db)
    df, problems = read_plan_file(path)
    return import_plan_frame(df, db, problems, county=county, user=user, file_name=file_name or path.name)


def import_plan_frame(
    df: pd.DataFrame | None,
    db: Path,
    problems: Problems,
    *,
    county: str | None = None,
    user: str = "命令行",
    file_name: str = SHEET,
) -> PlanResult:
    with import_lock(db):
        chosen, rows = validate_plan(df, county, problems, _counties(db))
        if problems.errors or rows is None:
            return PlanResult(False, problems, chosen)
        frame = rows.reset_index(drop=True)
        frame.insert(0, "county", chosen)
        frame["ord"] = range(len(frame))
        note = f"{chosen} 方案目标登记表：{len(frame)} 项"

        def work(con):
            # plan_targets is created by derived/08_plans.sql; an older file may lack it yet
            con.execute((DERIVED_DIR / "08_plans.sql").read_text(encoding="utf-8"))
            con.execute("DELETE FROM plan_targets WHERE county = ?", [chosen])
            con.register("plan_upload", frame)
            con.execute("INSERT INTO plan_targets BY NAME SELECT * FROM plan_upload")
            con.unregister("plan_upload")
            log_import(con, "plan", user, file_name, "", {"plan_targets": len(frame)}, [], len(problems.warnings), note)

        backup = stage_and_swap(db, work)
        history.after_swap(db, backup, user=user, action="plan", detail=note)
        return PlanResult(True, problems, chosen, len(frame), backup)
