"""A second county for the multi-county tests: 恩平市 (440785), imported into a copy of the
Kaiping (440783) demo database.

The 小学 are the hand-computed oracle of the 差异系数 (all three in the 优质均衡 assessment):

    school  pupils P  equipment (元)  teachers_above_degree
    A       100       200,000         5
    B       300       900,000         12
    C       100       100,000         3

equipment per pupil: X̄ = 1,200,000 / 500 = 2400, S² = .2·400² + .6·600² + .2·1400² = 640,000,
CV = 800 / 2400 = 1/3 exactly; degree teachers per 100 pupils: X̄ = 4, S² = .2 + 0 + .2 = .4,
CV = √.4 / 4 = 0.158114. In 2026 every equipment value doubles (the CVs are unchanged, the
means double), so a query that mixes the two years shows.

Use the fixture in a test module with
``two_county_db = two_counties.two_county_db`` after ``from tests.support import two_counties``
(module-scoped: one copy of the demo database per module; an assignment, unlike an import,
does not trip ruff's F811 when a test names the fixture as a parameter).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from tests.support.workbooks import frame

ENPING = "440785"
KAIPING = "440783"
ENPING_TOWN_STREET = ENPING + "001000"  # 恩城街道
ENPING_TOWN_TOWN = ENPING + "101000"  # 横陂镇
YEARS = (2025, 2026)

# (school id, name, type, town, 城乡分类, pupils, classes, band, teachers, above degree, equipment 2025)
PRIMARY = (
    ("2144785001", "恩平甲小学", ENPING_TOWN_STREET, "111", 100, 3, "band_31_35", 6, 5, 200_000),
    ("2144785002", "恩平乙小学", ENPING_TOWN_TOWN, "121", 300, 7, "band_41_45", 15, 12, 900_000),
    ("2144785003", "恩平丙小学", ENPING_TOWN_TOWN, "220", 100, 3, "band_31_35", 5, 3, 100_000),
)
JUNIOR = (
    ("3144785001", "恩平第一初级中学", ENPING_TOWN_STREET, "111", 400, 9, "band_41_45", 30, 24, 1_600_000),
    ("3144785002", "恩平横陂初级中学", ENPING_TOWN_TOWN, "220", 200, 5, "band_36_40", 16, 12, 600_000),
)
KINDERGARTEN = ("1144785001", "恩平市机关幼儿园", ENPING_TOWN_STREET, "111", 120, 4, "band_26_30", 8, 4, 150_000)

EQUIPMENT_CV = 1 / 3
DEGREE_CV = 0.4**0.5 / 4  # 0.158114
POP_AGE3_5 = {2025: 200, 2026: 210}


def enping_frames(years: tuple[int, ...] = YEARS) -> dict[str, pd.DataFrame]:
    """The 恩平 workbook (sheet name -> frame of text cells, like workbooks.oracle_frames)."""
    towns = [
        {
            "town_code": ENPING_TOWN_STREET,
            "town_name": "恩城街道",
            "town_kind": "街道",
            "seat_lon": 112.305,
            "seat_lat": 22.183,
        },
        {
            "town_code": ENPING_TOWN_TOWN,
            "town_name": "横陂镇",
            "town_kind": "镇",
            "seat_lon": 112.268,
            "seat_lat": 22.262,
        },
    ]
    schools, rows = [], []
    for (sid, name, town, ur, pupils, classes, band, teachers, degree, equipment), (stage, kind) in [
        *((s, ("小学", "小学")) for s in PRIMARY),
        *((s, ("初中", "初级中学")) for s in JUNIOR),
        (KINDERGARTEN, ("学前", "幼儿园")),
    ]:
        school = {
            "school_id": sid,
            "school_name": name,
            "town_code": town,
            "school_type": kind,
            "ownership": "公办",
            "ur_code": ur,
        }
        if kind == "幼儿园":
            school["inclusive"] = "是"
        schools.append(school)
        for year in years:
            rows.append(
                {
                    "year": year,
                    "school_id": sid,
                    "stage": stage,
                    "students": pupils,
                    "classes": classes,
                    band: classes,
                    "teachers": teachers,
                    "teachers_above_degree": degree,
                    "equipment_yuan": equipment * (2 if year == 2026 else 1),
                    "teaching_area_m2": 5 * pupils,
                    "sports_area_m2": 8 * pupils,
                    "multimedia_rooms": classes,
                }
            )
    facts = []
    for year in years:
        facts.append({"year": year, "key": "pop_age3_5", "value": POP_AGE3_5.get(year, 200), "note": "恩平测试"})
        facts.append({"year": year, "key": "edu_spending_10k", "value": 50_000 + 1000 * (year - 2025)})
    return {
        "镇街": frame("towns", towns),
        "学校": frame("schools", schools),
        "学校年度": frame("school_years", rows),
        "市级年度": frame("city_facts", facts),
    }


def import_enping(db: Path, **kwargs):
    """Import the 恩平 workbook into db (through the normal importer); returns the ImportResult."""
    from edubalance.ingest.importer import import_tables
    from edubalance.ingest.reading import tables_from_frames

    frames = kwargs.pop("frames", None) or enping_frames()
    return import_tables(tables_from_frames(frames, "恩平测试工作簿"), db, **kwargs)


@pytest.fixture(scope="module")
def two_county_db(demo_db, tmp_path_factory) -> Path:
    """A copy of the Kaiping demo database with 恩平 imported (module-scoped; do not write to
    it in a test: copy it first)."""
    db = tmp_path_factory.mktemp("two_counties") / "two.duckdb"
    shutil.copy2(demo_db, db)
    result = import_enping(db)
    assert result.ok, [p.line() for p in result.problems.errors[:20]]
    return db
