"""What an import would change, before it commits.

The preview applies the validated workbook to a private copy of the database (the same
steps as an import: registries, data, derived tables) and compares the copy with the live
file: school years added or replaced; schools added, closed or renamed; towns whose pupils,
teachers or floor area move by more than 20% against the same town's previous year; the
差异系数 and target verdicts that would change. The live file is only read. The preview
keeps the database's sha256 so that the confirmed import can refuse if the database
changed in between (importer.import_tables(expect_sha=…)).
"""

from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from edubalance.ingest.county_checks import COUNTY_COL
from edubalance.ingest.county_tables import fill_county_columns
from edubalance.ingest.derive import create_tables, derive, refresh_reference
from edubalance.ingest.importer import DatabaseUnreadable, database_sha, open_snapshot, read_existing, write_sheets
from edubalance.ingest.problems import Problems, county_label
from edubalance.ingest.reading import RawTable
from edubalance.ingest.validate import Existing, Parsed, validate
from edubalance.model.schema import SHEETS
from edubalance.store import db as dbmod

TOWN_MOVE = 0.20  # a town total moving more than this against its previous year is shown
TOWN_MEASURES = {"students": "在校生数", "teachers": "专任教师数", "teaching_area_m2": "教学及辅助用房面积"}


@dataclass
class Preview:
    problems: Problems
    db_sha: str = ""  # the database when previewed ("" when there is none yet)
    years_added: dict[str, list[int]] = field(default_factory=dict)  # sheet (zh) -> years
    years_replaced: dict[str, list[int]] = field(default_factory=dict)
    schools_added: pd.DataFrame = field(default_factory=pd.DataFrame)
    schools_closed: pd.DataFrame = field(default_factory=pd.DataFrame)
    schools_renamed: pd.DataFrame = field(default_factory=pd.DataFrame)
    town_moves: pd.DataFrame = field(default_factory=pd.DataFrame)
    cv_changes: pd.DataFrame = field(default_factory=pd.DataFrame)
    verdict_changes: pd.DataFrame = field(default_factory=pd.DataFrame)
    seconds: float = 0.0
    counties: list[str] = field(default_factory=list)  # the 6-digit counties the workbook touches

    @property
    def ok(self) -> bool:
        return not self.problems.errors


def _years(parsed: dict[str, Parsed], existing: Existing) -> tuple[dict, dict]:
    """Per sheet, the years the import adds and those it replaces: a year is replaced when a
    county of its rows already has it (another county's same year is added, not replaced)."""
    added, replaced = {}, {}
    for sheet in SHEETS:
        if not sheet.yearly or sheet.key not in parsed:
            continue
        present = existing.years.get(sheet.key, {})
        df = parsed[sheet.key].frame
        pairs = df.loc[df["year"].notna(), [COUNTY_COL, "year"]].drop_duplicates()
        new, old = set(), set()
        for county, year in pairs.itertuples(index=False, name=None):
            (old if int(year) in present.get(county, set()) else new).add(int(year))
        if new:
            added[sheet.zh] = sorted(new)
        if old:
            replaced[sheet.zh] = sorted(old)
    return added, replaced


def _simulate(db: Path, parsed: dict[str, Parsed], folder: Path) -> duckdb.DuckDBPyConnection:
    """The database as the import would leave it, in a private file (never swapped in)."""
    copy = folder / "preview.duckdb"
    if db.is_file():
        shutil.copyfile(db, copy)
    con = duckdb.connect(str(copy))
    create_tables(con)
    fill_county_columns(con)
    refresh_reference(con)
    write_sheets(con, parsed, True)
    derive(con)
    return con


def _run(name: str, con, params=None, county: str | None = None, known: set[str] | None = None) -> pd.DataFrame:
    """A named query on one county (when the query takes the county parameter); empty when
    there is no database, or the county is not in it yet (`known`: the counties it holds)."""
    if con is None:
        return pd.DataFrame()
    params = dict(params or {})
    if county is not None and "county" in {p[0] for p in dbmod.load_query(name).params}:
        if known is not None and county not in known:
            return pd.DataFrame()
        params["county"] = county
    return dbmod.run(name, params, con=con)


def _of_county(parsed: dict[str, Parsed], county: str | None) -> dict[str, Parsed]:
    if county is None:
        return parsed
    return {k: Parsed(p.sheet, p.frame[p.frame[COUNTY_COL] == county], p.present) for k, p in parsed.items()}


def _with_county(frames: list[tuple[str | None, pd.DataFrame]]) -> pd.DataFrame:
    """Per-county results in one frame, the county appended as the last column."""
    out = [df.assign(county=county or "") for county, df in frames]
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame()


def _schools(before: pd.DataFrame, after: pd.DataFrame, parsed: dict[str, Parsed]):
    old = before.set_index("school_id") if len(before) else pd.DataFrame(columns=["school_name", "closed_year"])
    new = after.set_index("school_id")
    added = new.loc[~new.index.isin(old.index), ["school_name", "town_code"]].reset_index()
    both = new.index.intersection(old.index)
    renamed_mask = new.loc[both, "school_name"] != old.loc[both, "school_name"]
    renamed = pd.DataFrame(
        {
            "school_id": list(both[renamed_mask.to_numpy()]),
            "old_name": list(old.loc[both, "school_name"][renamed_mask.to_numpy()]),
            "new_name": list(new.loc[both, "school_name"][renamed_mask.to_numpy()]),
        }
    )
    closed = []
    if "schools" in parsed:
        df = parsed["schools"].frame
        for sid, name, year in zip(df["school_id"], df["school_name"], df["closed_year"]):
            if sid is None or pd.isna(year):
                continue
            was = old["closed_year"].get(sid) if sid in old.index else None
            if was is None or pd.isna(was) or int(was) != int(year):
                closed.append((sid, name, f"填写了停办年份 {int(year)}"))
    if "school_years" in parsed:
        years_of = {sid: _list(ys) for sid, ys in zip(new.index, new["years"])}
        years_in_db = sorted({y for ys in years_of.values() for y in ys})
        for year in sorted(int(y) for y in parsed["school_years"].frame["year"].dropna().unique()):
            earlier = [y for y in years_in_db if y < year]
            if not earlier:
                continue
            prev = earlier[-1]
            for sid, row in new.iterrows():
                ys = years_of[sid]
                if prev in ys and year not in ys and not any(c[0] == sid for c in closed):
                    closed.append((sid, row["school_name"], f"{prev} 学年有数据，{year} 学年文件中没有"))
    closed_df = pd.DataFrame(closed, columns=["school_id", "school_name", "reason"])
    return added, closed_df, renamed


def _list(value) -> list:
    """A DuckDB list cell: a list, an array, or NULL (a school with no yearly rows)."""
    if value is None or (not hasattr(value, "__len__") and pd.isna(value)):
        return []
    return list(value)


def _town_moves(after: pd.DataFrame, parsed: dict[str, Parsed]) -> pd.DataFrame:
    rows = []
    if "school_years" not in parsed or after.empty:
        return pd.DataFrame(columns=["year", "town_code", "town_name", "measure", "previous", "current", "change"])
    years_in_db = sorted(after["year"].unique())
    for year in sorted(int(y) for y in parsed["school_years"].frame["year"].dropna().unique()):
        earlier = [y for y in years_in_db if y < year]
        if not earlier:
            continue
        prev = earlier[-1]
        cur = after[after["year"] == year].set_index("town_code")
        old = after[after["year"] == prev].set_index("town_code")
        for town in cur.index.union(old.index):
            for key, zh in TOWN_MEASURES.items():
                a = old[key].get(town) if town in old.index else None
                b = cur[key].get(town) if town in cur.index else None
                a = None if a is None or pd.isna(a) else float(a)
                b = None if b is None or pd.isna(b) else float(b)
                if a is None and b is None:
                    continue
                if a in (None, 0.0) or b is None:
                    change = None  # appears or disappears: always shown
                else:
                    change = b / a - 1
                    if abs(change) <= TOWN_MOVE:
                        continue
                name = (cur if town in cur.index else old).loc[town, "town_name"]
                rows.append((year, town, name, zh, a, b, change))
    return pd.DataFrame(rows, columns=["year", "town_code", "town_name", "measure", "previous", "current", "change"])


def _cv_changes(old_con, new_con, years: list[int], county=None, known=None) -> pd.DataFrame:
    rows = []
    for year in years:
        a = _run("balance_cv", old_con, {"year": year}, county, known)
        b = _run("balance_cv", new_con, {"year": year}, county)
        key = ["stage", "indicator"]
        a = a.set_index(key) if len(a) else pd.DataFrame(columns=["indicator_name", "cv", "passed"])
        b = b.set_index(key) if len(b) else pd.DataFrame(columns=["indicator_name", "cv", "passed"])
        for k in b.index.union(a.index):
            cv_a = a["cv"].get(k) if k in a.index else None
            cv_b = b["cv"].get(k) if k in b.index else None
            cv_a = None if cv_a is None or pd.isna(cv_a) else round(float(cv_a), 4)
            cv_b = None if cv_b is None or pd.isna(cv_b) else round(float(cv_b), 4)
            if cv_a == cv_b:
                continue
            name = (b if k in b.index else a).loc[k, "indicator_name"]
            pa = a["passed"].get(k) if k in a.index else None
            pb = b["passed"].get(k) if k in b.index else None
            rows.append((year, k[0], name, cv_a, cv_b, _passed(pa), _passed(pb)))
    return pd.DataFrame(rows, columns=["year", "stage", "indicator_name", "cv_before", "cv_after", "before", "after"])


def _passed(v) -> str:
    if v is None or pd.isna(v):
        return ""
    return "达标" if bool(v) else "未达标"


def _latest_year(con, county=None, known=None) -> int | None:
    if con is None:
        return None
    df = _run("school_years_available", con, None, county, known)
    return int(df.iloc[:, 0].max()) if len(df) else None


def _verdict_changes(old_con, new_con, county=None, known=None) -> pd.DataFrame:
    cols = ["target_id", "scope_name", "which", "before", "after"]
    y_new = _latest_year(new_con, county)
    if y_new is None:
        return pd.DataFrame(columns=cols)
    y_old = _latest_year(old_con, county, known)
    b = _run("targets_status", new_con, {"year": y_new}, county)
    a = _run("targets_status", old_con, {"year": y_old}, county, known) if y_old is not None else pd.DataFrame()
    key = ["target_id", "scope_code"]
    b = b.set_index(key)
    a = a.set_index(key) if len(a) else pd.DataFrame(columns=["scope_name", "status_2025", "status_2027"])
    rows = []
    for k in b.index:
        for col, which in (("status_2025", "2025年目标"), ("status_2027", "2027年目标")):
            after = b.loc[k, col]
            before = a.loc[k, col] if k in a.index else None
            after = "" if after is None or pd.isna(after) else str(after)
            before = "" if before is None or pd.isna(before) else str(before)
            if after != before:
                rows.append((k[0], b.loc[k, "scope_name"], which, before or "（无）", after or "（无）"))
    return pd.DataFrame(rows, columns=cols)


def _compare(pv: Preview, parsed, existing: Existing, old_con, new_con) -> None:
    """What changes, county by county (the named queries answer for one county at a time);
    each table gets the county as its last column."""
    touched = pv.counties or [None]
    known = existing.counties
    parts: dict[str, list] = {k: [] for k in ("added", "closed", "renamed", "moves", "cv", "verdicts")}
    for county in touched:
        mine = _of_county(parsed, county)
        years = sorted({int(y) for p in mine.values() if p.sheet.yearly for y in p.frame["year"].dropna()})
        after_schools = _run("preview_schools", new_con, None, county)
        before_schools = _run("preview_schools", old_con, None, county, known)
        added, closed, renamed = _schools(before_schools, after_schools, mine)
        parts["added"].append((county, added))
        parts["closed"].append((county, closed))
        parts["renamed"].append((county, renamed))
        parts["moves"].append((county, _town_moves(_run("preview_town_totals", new_con, None, county), mine)))
        parts["cv"].append((county, _cv_changes(old_con, new_con, years, county, known)))
        parts["verdicts"].append((county, _verdict_changes(old_con, new_con, county, known)))
    pv.schools_added = _with_county(parts["added"])
    pv.schools_closed = _with_county(parts["closed"])
    pv.schools_renamed = _with_county(parts["renamed"])
    pv.town_moves = _with_county(parts["moves"])
    pv.cv_changes = _with_county(parts["cv"])
    pv.verdict_changes = _with_county(parts["verdicts"])


def preview_tables(tables: list[RawTable], db: Path, replace_years: bool = False) -> Preview:
    """Validate the tables against the database and, when they would import, say what changes."""
    start = time.perf_counter()
    db = Path(db)
    sha = database_sha(db)
    try:
        existing = read_existing(db)
    except DatabaseUnreadable as exc:
        problems = Problems()
        problems.add(db.name, None, "", "", str(exc))
        return Preview(problems, sha)
    parsed, problems = validate(tables, existing, replace_years=replace_years)
    pv = Preview(problems, sha)
    pv.counties = sorted({c for p in parsed.values() if COUNTY_COL in p.frame for c in p.frame[COUNTY_COL].dropna()})
    if problems.errors:
        pv.seconds = time.perf_counter() - start
        return pv
    pv.years_added, pv.years_replaced = _years(parsed, existing)
    with tempfile.TemporaryDirectory(prefix="edubalance-preview-") as folder:
        old_con = open_snapshot(db) if db.is_file() else None
        new_con = _simulate(db, parsed, Path(folder))
        try:
            _compare(pv, parsed, existing, old_con, new_con)
        finally:
            new_con.close()
            if old_con is not None:
                old_con.close()
    pv.seconds = time.perf_counter() - start
    return pv


def _fmt(v) -> str:
    if v is None or pd.isna(v):
        return "—"
    v = float(v)
    return f"{int(v)}" if v.is_integer() else f"{v:.4g}"


def summary_lines(pv: Preview) -> list[str]:
    """The preview in words, for the command line (the admin page shows the same tables)."""
    frames = (pv.schools_added, pv.schools_closed, pv.schools_renamed, pv.town_moves, pv.cv_changes, pv.verdict_changes)
    several = len({c for df in frames if "county" in df for c in df["county"] if c}) > 1

    def who(r) -> str:  # the county in front of a line when the workbook touches several
        return f"{county_label(r.county)} " if several and getattr(r, "county", "") else ""

    out = []
    for sheet, years in pv.years_added.items():
        out.append(f"新增学年：{sheet} " + "、".join(map(str, years)))
    for sheet, years in pv.years_replaced.items():
        out.append(f"替换学年：{sheet} " + "、".join(map(str, years)))
    out.append(f"新增学校 {len(pv.schools_added)} 所" + _names(pv.schools_added, "school_name"))
    out.append(f"停办或不再上报的学校 {len(pv.schools_closed)} 所")
    for r in pv.schools_closed.itertuples(index=False):
        out.append(f"  {who(r)}{r.school_id} {r.school_name}：{r.reason}")
    out.append(f"改名的学校 {len(pv.schools_renamed)} 所")
    for r in pv.schools_renamed.itertuples(index=False):
        out.append(f"  {who(r)}{r.school_id}：{r.old_name} → {r.new_name}")
    out.append(f"与上一学年相比变化超过 {TOWN_MOVE:.0%} 的镇街数字 {len(pv.town_moves)} 项")
    for r in pv.town_moves.itertuples(index=False):
        change = "新出现或消失" if r.change is None or pd.isna(r.change) else f"{r.change:+.0%}"
        out.append(
            f"  {who(r)}{r.year} 学年 {r.town_name} {r.measure}：{_fmt(r.previous)} → {_fmt(r.current)}（{change}）"
        )
    out.append(f"将改变的差异系数 {len(pv.cv_changes)} 项")
    for r in pv.cv_changes.itertuples(index=False):
        verdict = f"，{r.before or '（无）'} → {r.after}" if r.before != r.after else ""
        out.append(
            f"  {who(r)}{r.year} 学年 {r.stage} {r.indicator_name}：{_fmt(r.cv_before)} → {_fmt(r.cv_after)}{verdict}"
        )
    out.append(f"将改变的目标判断 {len(pv.verdict_changes)} 项")
    for r in pv.verdict_changes.itertuples(index=False):
        out.append(f"  {who(r)}{r.target_id} {r.scope_name} {r.which}：{r.before} → {r.after}")
    out.append(f"（预览用时 {pv.seconds:.1f} 秒；数据库未改动）")
    return out


def _names(df: pd.DataFrame, col: str, limit: int = 10) -> str:
    if df.empty:
        return ""
    names = [str(x) for x in df[col].head(limit)]
    more = f" 等 {len(df)} 所" if len(df) > limit else ""
    return "：" + "、".join(names) + more
