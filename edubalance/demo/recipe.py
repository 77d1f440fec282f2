"""The deterministic demo-data recipe (docs/ARCHITECTURE.md, demo data): a synthetic but plausible 开平 workbook.

No school-level statistics for 开平 are public, so the first run imports this instead. It is
shaped on real facts only where they are public (data/demo/towns.csv: the 15 towns and
翠山湖新区, their NBS codes, seats and counts of 村/居委会 by urban–rural class); every school,
name and number below is invented.

`build_demo_tables()` returns the eight sheets exactly as a clerk's workbook would hold them:
Chinese headers in schema order, every cell a Python ``str`` (integers without ".0",
decimals with at most two places except coordinates, 是/否, "" for an empty optional cell).
It draws from ``numpy.random.default_rng(seed)`` only and iterates over lists and tuples
only, so the same seed gives the same bytes on every run and machine.

This module assembles and serialises the sheets; the parts live beside it: ``shape`` (the
story's constants), ``plan`` (towns and schools), ``sampling`` (the school-year rows), ``rows``
(principals, city facts, designations, task progress) and ``story`` (the plan deadlines). The
order of the random draws is fixed here, in ``build_demo_tables``.

The story the data tells (what the dashboard exists to show):
- 街道 primary schools crowded in 2022 (classes of 56–65 and a few of 66+, two schools above
  2000 pupils); a new school (2024), new buildings and teachers shrink them by 2026, though
  not every large class is gone.
- Rural enrolment falls 3–6 % a year; three 教学点 reach 0 pupils, two or three drop below 50.
- Rural teachers are fewer above the required degree and fewer are 骨干; rural principals
  under 45 rise from 30 % (2022) to 45 % (2026) against a 50 % goal for 2027.
- 金鸡镇, 赤水镇 and 大沙镇 lag on most indicators; none of the three has a public boarding
  school; 赤水镇's central kindergarten is private and 金鸡镇's is not 规范化.
- The 7 优质均衡 indicators scatter around their standards: pupil-weighted CVs of 0.15–0.75,
  equipment about 0.15–0.2, 骨干 above the cap (0.57–0.61), the others 0.2–0.5, slowly
  improving; a few schools pass the 6-of-7 rule in 2022, more by 2026; crowded urban
  schools fail on space.

The plan's deadlines (issue 12 of the project), drawn from a stream of their own so the
numbers above do not move:
- 赤水镇 opens a public boarding school in 2026: T2 missed in 2025 (未按期达标), met in 2026.
- The 教学点 that empty get their 办学研判 late or not at all (T1); 大沙镇 records 学区
  “走教” only in 2026 and 金鸡镇、赤水镇 have no 学区 (T7); principals newly over 10 years in
  post are explained a year later, all by 2026 (T9).
- 48 of the 50 “三名” studios are active in 2025 (T21 未按期达标, final: the round ends);
  新入职教研员蹲点 reaches 100 % in 2026 (T24 met late); 公开课 every term from 2023 (T25).
- The 2023 layout plan (Q1) is still not approved (逾期); Q29 has no report yet (数据不足);
  three towns report their own progress on a task (任务进展 with 区划代码).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter

from edubalance.demo.plan import calibrate, is_open, load_towns, plan_schools, special_paths
from edubalance.demo.rows import city_fact_rows, designation_rows, principal_rows, task_rows
from edubalance.demo.sampling import school_year_rows
from edubalance.demo.shape import DEMO_SEED, STORY_SEED_OFFSET, YEARS
from edubalance.demo.story import (
    boarding_school_opens,
    plan_designation_rows,
    plan_fact_rows,
    plan_task_rows,
    principal_names_and_notes,
    researcher_rows,
    zero_pupil_decisions,
)
from edubalance.model import schema


# ---------------------------------------------------------------------------------------------
# Formatting: every cell a str, as a clerk's workbook holds it
def _empty(v) -> bool:
    return v is None or (isinstance(v, str) and v == "") or (isinstance(v, float) and math.isnan(v))


def _decimal(v) -> str:
    """At most two decimals, no trailing zeros ("4521.5", "3215400.25", "12")."""
    text = f"{float(v):.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _texts(values: list, kind: str, places: int | None) -> list[str]:
    """One column's cells as a clerk's workbook holds them."""
    if places is not None:
        return ["" if _empty(v) else f"{float(v):.{places}f}" for v in values]
    if kind == "bool":
        return ["" if v is None else ("是" if v else "否") for v in values]
    if kind in ("int", "year"):
        return ["" if _empty(v) else str(int(v)) for v in values]
    if kind == "num":
        return ["" if _empty(v) else _decimal(v) for v in values]
    return ["" if _empty(v) else str(v) for v in values]


def _frame(sheet: schema.Sheet, rows: list[dict] | pd.DataFrame, places: dict[str, int] | None = None) -> pd.DataFrame:
    places = places or {}
    n = len(rows)
    data = {}
    for c in sheet.columns:
        if isinstance(rows, pd.DataFrame):
            values = rows[c.key].tolist() if c.key in rows else [None] * n
        else:
            values = [r.get(c.key) for r in rows]
        data[c.zh] = _texts(values, c.kind, places.get(c.key))
    return pd.DataFrame(data, columns=[c.zh for c in sheet.columns], dtype=object)


def build_demo_tables(seed: int = DEMO_SEED) -> dict[str, pd.DataFrame]:
    """The demo workbook: {sheet name (Chinese): DataFrame of str cells, Chinese headers}."""
    rng = np.random.default_rng(seed)
    towns = load_towns()
    schools = plan_schools(towns, rng)
    special_paths(schools)
    calibrate(schools)
    sy = school_year_rows(schools, rng)
    principals = principal_rows(schools, rng)
    city = city_fact_rows(sy)
    designations = designation_rows(schools, towns, rng)
    tasks = task_rows(rng)

    # The plan-deadline story: its own stream, so everything above keeps its numbers.
    story = np.random.default_rng(seed + STORY_SEED_OFFSET)
    opened = boarding_school_opens(schools, towns, story)
    with np.errstate(invalid="ignore", divide="ignore"):  # no teachers in the years before it opens
        new_rows = school_year_rows([opened], story)
    sy = pd.concat([sy, new_rows], ignore_index=True)
    sy = sy.sort_values(["year", "school_id", "stage"], kind="stable").reset_index(drop=True)
    principals += [{"year": y, "school_id": opened["sid"], "birth_year": y - 41, "post_start_year": y} for y in YEARS
                   if is_open(opened, y)]  # fmt: skip
    principals.sort(key=lambda r: (r["year"], r["school_id"]))
    principal_names_and_notes(principals, story)
    zero_pupil_decisions(schools, sy)
    city += plan_fact_rows()
    designations += plan_designation_rows(schools, towns)
    tasks = plan_task_rows(tasks, towns)
    researchers = researcher_rows(story)

    town_rows = [
        {
            "town_code": t["code"],
            "town_name": t["name"],
            "town_kind": t["kind"],
            "seat_lon": t["seat_text"][0],
            "seat_lat": t["seat_text"][1],
        }
        for t in towns
    ]
    school_rows = [
        {
            "school_id": s["sid"],
            "school_name": s["name"],
            "town_code": s["town"]["code"],
            "school_type": s["type"],
            "ownership": s["own"],
            "inclusive": s["inclusive"] if s["type"] == "幼儿园" else None,
            "ur_code": s["ur"],
            "is_central": s["central"],
            "is_boarding": s["boarding"],
            "is_standardized": s["standardized"],
            "parent_school_id": s["parent"],
            "group_name": s["group"],
            "lon": s["lon"],
            "lat": s["lat"],
            "opened_year": s["opened"],
            "closed_year": s["closed"],
            "zero_pupil_decision": s.get("decision"),
            "decision_year": s.get("decision_year"),
            "decision_note": s.get("decision_note"),
        }
        for s in sorted(schools, key=lambda s: s["sid"])
    ]

    return {
        schema.TOWNS.zh: _frame(schema.TOWNS, town_rows, {"seat_lon": 6, "seat_lat": 6}),
        schema.SCHOOLS.zh: _frame(schema.SCHOOLS, school_rows, {"lon": 6, "lat": 6}),
        schema.SCHOOL_YEARS.zh: _frame(schema.SCHOOL_YEARS, sy),
        schema.PRINCIPALS.zh: _frame(schema.PRINCIPALS, principals),
        schema.CITY_FACTS.zh: _frame(schema.CITY_FACTS, city),
        schema.DESIGNATIONS.zh: _frame(schema.DESIGNATIONS, designations),
        schema.TASK_PROGRESS.zh: _frame(schema.TASK_PROGRESS, tasks),
        schema.RESEARCHERS.zh: _frame(schema.RESEARCHERS, researchers),
    }


def write_demo_workbook(path: Path | str, seed: int = DEMO_SEED) -> Path:
    """Write the demo tables as an .xlsx (codes and dates as text, counts and amounts as numbers)."""
    path = Path(path)
    tables = build_demo_tables(seed)
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False})
    try:
        head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        text = wb.add_format({"num_format": "@"})
        for sheet in schema.SHEETS:
            df = tables[sheet.zh]
            ws = wb.add_worksheet(sheet.zh)
            for j, c in enumerate(sheet.columns):
                ws.write_string(0, j, c.zh, head)
                width = max(8, 2 * len(c.zh) + 2)
                if c.kind in ("code10", "code12", "text", "date"):
                    width = max(width, 14 if c.kind != "text" else 22)
                ws.set_column(j, j, width, text if c.kind in ("code10", "code12", "date") else None)
            for i, line in enumerate(df.itertuples(index=False), start=1):
                for j, (c, v) in enumerate(zip(sheet.columns, line)):
                    if v == "":
                        continue
                    if c.kind in ("int", "year", "num"):
                        num = float(v)
                        ws.write_number(i, j, int(num) if num.is_integer() and "." not in v else num)
                    elif c.kind in ("code10", "code12", "date"):
                        ws.write_string(i, j, v, text)
                    else:
                        ws.write_string(i, j, v)
            ws.freeze_panes(1, 0)
    finally:
        wb.close()
    return path
