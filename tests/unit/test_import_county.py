"""Importing a second county (恩平 440785) into the Kaiping (440783) demo database."""

from __future__ import annotations

import duckdb
import pytest

from tests.support import two_counties
from tests.support.two_counties import DEGREE_CV, ENPING, EQUIPMENT_CV, KAIPING

two_county_db = two_counties.two_county_db  # the module-scoped fixture, made visible here


def _cv(db, indicator: str, year: int) -> float:
    """The 差异系数 of 恩平's 小学 from the per-school values: √(Σ P/ΣP (x − x̄)²) / x̄."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute(
            "SELECT numerator, denominator, value FROM d_indicator_values "
            "WHERE year = ? AND stage = '小学' AND in_cv AND indicator = ? AND substr(town_code, 1, 6) = ?",
            [year, indicator, ENPING],
        ).fetchall()
    finally:
        con.close()
    total = sum(p for _, p, _ in rows)
    mean = sum(r for r, _, _ in rows) / total * (100 if indicator.startswith("degree") else 1)
    var = sum(p / total * (x - mean) ** 2 for _, p, x in rows)
    return var**0.5 / mean


@pytest.mark.parametrize("year", [2025, 2026])
def test_two_counties_import_and_enping_cv_equals_the_oracle(two_county_db, year):
    assert _cv(two_county_db, "equipment_per_pupil", year) == pytest.approx(EQUIPMENT_CV, abs=1e-12)
    assert _cv(two_county_db, "degree_teachers_per100", year) == pytest.approx(DEGREE_CV, abs=1e-12)
    con = duckdb.connect(str(two_county_db), read_only=True)
    try:
        facts = con.execute(
            "SELECT county, year, value FROM city_facts WHERE key = 'pop_age3_5' AND year = ? ORDER BY county", [year]
        ).fetchall()
        log = con.execute("SELECT action, counties FROM import_log ORDER BY id DESC LIMIT 1").fetchone()
    finally:
        con.close()
    assert [f[0] for f in facts] == [KAIPING, ENPING]
    assert log == ("import", ENPING)
