"""Small hand-made workbooks for tests: a fictional county (adcode 990101) with known answers."""

from __future__ import annotations

import pandas as pd

from edubalance.model.schema import SHEETS_BY_KEY

COUNTY = "990101"
TOWN_A = COUNTY + "001000"  # 街道
TOWN_B = COUNTY + "101000"  # 镇
TOWN_C = COUNTY + "102000"  # 镇

# The 差异系数 worked example (docs/METHODS.md, 差异系数): 5 primary schools, pupils P and resource R (k = 1).
ORACLE_P = [45, 37, 89, 76, 55]
ORACLE_R = [279, 137, 935, 160, 402]
ORACLE_UR = ["220", "220", "111", "220", "121"]  # 城镇 = {3, 5}, 乡村 = {1, 2, 4} (docs/METHODS.md, 泰尔指数)


def school_id(cat: str, n: int) -> str:
    return f"{cat}99{n:06d}"


def frame(sheet_key: str, rows: list[dict]) -> pd.DataFrame:
    """Rows keyed by English column keys -> a sheet with Chinese headers and string cells."""
    sheet = SHEETS_BY_KEY[sheet_key]
    data = [[("" if r.get(c.key) is None else str(r.get(c.key))) for c in sheet.columns] for r in rows]
    return pd.DataFrame(data, columns=[c.zh for c in sheet.columns], dtype=object)


def oracle_frames(year: int = 2025) -> dict[str, pd.DataFrame]:
    towns = [
        {"town_code": TOWN_A, "town_name": "甲街道", "town_kind": "街道", "seat_lon": 113.1, "seat_lat": 23.1},
        {"town_code": TOWN_B, "town_name": "乙镇", "town_kind": "镇", "seat_lon": 113.2, "seat_lat": 23.2},
        {"town_code": TOWN_C, "town_name": "丙镇", "town_kind": "镇", "seat_lon": 113.3, "seat_lat": 23.0},
    ]
    town_of = [TOWN_B, TOWN_B, TOWN_A, TOWN_C, TOWN_A]
    schools, years = [], []
    for i, (p, r, ur, town) in enumerate(zip(ORACLE_P, ORACLE_R, ORACLE_UR, town_of), start=1):
        sid = school_id("21", i)
        schools.append(
            {
                "school_id": sid,
                "school_name": f"小学{i}",
                "town_code": town,
                "school_type": "小学",
                "ownership": "公办",
                "ur_code": ur,
            }
        )
        years.append(
            {
                "year": year,
                "school_id": sid,
                "stage": "小学",
                "students": p,
                "classes": 2,
                "band_41_45": 2,
                "teachers": 10,
                "teachers_above_degree": 5,
                "backbone_teachers": 1,
                "pe_art_teachers": 1,
                "teaching_area_m2": 500,
                "sports_area_m2": 700,
                "equipment_yuan": r,
                "multimedia_rooms": 2,
            }
        )
    return {
        "镇街": frame("towns", towns),
        "学校": frame("schools", schools),
        "学校年度": frame("school_years", years),
    }


def write_xlsx(frames: dict[str, pd.DataFrame], path, title_rows: dict[str, str] | None = None) -> None:
    """Write sheets with every cell as text (as a careful clerk would); optional title row above."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path))
    for name, df in frames.items():
        ws = wb.add_worksheet(name)
        r0 = 0
        if title_rows and name in title_rows:
            ws.write_string(0, 0, title_rows[name])
            r0 = 1
        for j, h in enumerate(df.columns):
            ws.write_string(r0, j, str(h))
        for i, row in enumerate(df.itertuples(index=False, name=None), start=r0 + 1):
            for j, v in enumerate(row):
                if v is not None and v != "":
                    ws.write_string(i, j, str(v))
    wb.close()


def write_csv_folder(frames: dict[str, pd.DataFrame], folder, encoding: str = "utf-8") -> None:
    from pathlib import Path

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, df in frames.items():
        (folder / f"{name}.csv").write_bytes(df.to_csv(index=False).encode(encoding))


def as_county(frames: dict[str, pd.DataFrame], county: str) -> dict[str, pd.DataFrame]:
    """The same workbook with the oracle county's codes (towns and every code under them)
    moved to another 6-digit county code."""

    def move(value):
        return county + value[len(COUNTY) :] if isinstance(value, str) and value.startswith(COUNTY) else value

    return {name: df.map(move) for name, df in frames.items()}


def full_frames(year: int = 2026) -> dict[str, pd.DataFrame]:
    """The oracle county with one row or more in every sheet of the schema, so that removing
    or emptying any required column of any sheet is a change the validator must see. Keyed to
    Kaiping's code: its 任务进展 row names a task of Kaiping's plan (a county without a plan of
    its own has none)."""
    frames = as_county(oracle_frames(year=year), "440783")
    frames["校园长"] = frame(
        "principals",
        [{"year": year, "school_id": school_id("21", i), "birth_year": 1975, "post_start_year": 2020} for i in (1, 2)],
    )
    frames["市级年度"] = frame("city_facts", [{"year": year, "key": "edu_spending_10k", "value": 1000}])
    frames["认定与结对"] = frame(
        "designations", [{"kind": "省级乡村温馨校园", "school_id": school_id("21", 1), "since_year": year}]
    )
    frames["任务进展"] = frame(
        "task_progress", [{"target_id": "Q1", "updated_on": f"{year}-03-01", "status": "推进中", "owner": "市教育局"}]
    )
    frames["教研员"] = frame(
        "researchers",
        [{"year": year, "researcher_id": "JY001", "hire_year": 2019, "rural_visits": 7, "stay_months": 0}],
    )
    return frames
