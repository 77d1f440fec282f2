-- name: town_projection
-- purpose: "if nothing changes": each town's (and the city's) pupil-weighted value k·ΣR/ΣP of
--          a school-level indicator per school year (all segments of the stage, as town_gaps),
--          a least-squares line over the available years (regr_slope/regr_intercept; only
--          with 3 or more years), and the line's value at the plan's milestones 2025 and 2027
--          (see docs/METHODS.md, 目标进度), clamped at 0 because no indicator can go negative, against the
--          registry standard. Long form: one row per series and year (observed years plus
--          2025 and 2027); the series summary repeats on each row.
-- param: stage text 学段（学前/小学/初中/高中/特教）
-- param: indicator text 指标代码或中文名称；空字符串 = 全部
-- param: town text 镇街区划代码或名称；空字符串 = 全部镇街（全市序列总是返回）
-- param: county text optional 县级区划代码（库中只有一个县时可省略）
-- columns: scope, town_code, town_name, indicator, indicator_name, unit, direction, year,
--          observed, trend, is_projection, standard, comparator, n_years, first_year,
--          last_year, last_value, slope, r2, projected_2025, projected_2027, outlook_2025,
--          outlook_2027
-- Sums and fits run in a fixed order (school, year): DuckDB's parallel double sums otherwise
-- differ in the last bits from run to run, and the same file must give the same CSV.
WITH towns AS NOT MATERIALIZED (
    SELECT * FROM towns WHERE substr(town_code, 1, 6) = $county
),
v_indicator_values AS NOT MATERIALIZED (
    SELECT * EXCLUDE (county) FROM v_indicator_values WHERE county = $county
),
v AS (
    SELECT v.*
    FROM v_indicator_values AS v
    WHERE v.stage = $stage
      AND ($indicator = '' OR v.indicator = $indicator OR v.indicator_name = $indicator)
),
per_year AS (
    SELECT 'town' AS scope, town_code, indicator, year,
           any_value(scale) * sum(numerator ORDER BY school_id) / nullif(sum(denominator ORDER BY school_id), 0) AS observed
    FROM v GROUP BY town_code, indicator, year
    UNION ALL
    SELECT 'city' AS scope, '' AS town_code, indicator, year,
           any_value(scale) * sum(numerator ORDER BY school_id) / nullif(sum(denominator ORDER BY school_id), 0) AS observed
    FROM v GROUP BY indicator, year
),
named AS (
    SELECT p.*, coalesce(t.town_name, '全市') AS town_name
    FROM per_year AS p
    LEFT JOIN towns AS t ON t.town_code = p.town_code
    -- The city series always comes along as the reference line.
    WHERE $town = '' OR p.scope = 'city' OR p.town_code = $town OR t.town_name = $town
),
fit AS (
    SELECT
        scope, town_code, indicator,
        count(observed) AS n_years,
        min(year) FILTER (WHERE observed IS NOT NULL) AS first_year,
        max(year) FILTER (WHERE observed IS NOT NULL) AS last_year,
        arg_max(observed, year) FILTER (WHERE observed IS NOT NULL) AS last_value,
        regr_slope(observed, year ORDER BY year) AS slope,
        regr_intercept(observed, year ORDER BY year) AS intercept,
        regr_r2(observed, year ORDER BY year) AS r2
    FROM named GROUP BY scope, town_code, indicator
),
horizons AS (
    -- The plan's two milestones (2025 初步形成, 2027 基本形成), as in targets_status.
    SELECT * FROM (VALUES (2025), (2027)) AS h(year)
),
grid AS (
    SELECT DISTINCT n.scope, n.town_code, n.town_name, n.indicator, n.year FROM named AS n
    UNION
    SELECT DISTINCT n.scope, n.town_code, n.town_name, n.indicator, h.year
    FROM named AS n CROSS JOIN horizons AS h
),
series AS (
    -- The verdicts below compare projections rounded to 9 decimals: a line that lands on the
    -- standard exactly must not flip with the summation order of the fit.
    SELECT
        g.*, n.observed, f.n_years, f.first_year, f.last_year, f.last_value, f.slope, f.r2,
        CASE WHEN f.n_years >= 3 THEN greatest(f.intercept + f.slope * g.year, 0) END AS trend,
        CASE WHEN f.n_years >= 3 THEN greatest(f.intercept + f.slope * 2025, 0) END AS projected_2025,
        CASE WHEN f.n_years >= 3 THEN greatest(f.intercept + f.slope * 2027, 0) END AS projected_2027
    FROM grid AS g
    JOIN fit AS f USING (scope, town_code, indicator)
    LEFT JOIN named AS n USING (scope, town_code, indicator, year)
)
SELECT
    s.scope, s.town_code, s.town_name, s.indicator, ri.name_zh AS indicator_name, ri.unit, ri.direction,
    s.year, s.observed, s.trend,
    s.year > s.last_year AS is_projection,
    st.value AS standard, st.comparator,
    s.n_years, s.first_year, s.last_year, s.last_value, s.slope, s.r2,
    s.projected_2025, s.projected_2027,
    CASE
        WHEN s.n_years < 3 THEN '数据不足'
        WHEN st.value IS NULL THEN NULL
        WHEN (st.comparator = '>=' AND round(s.projected_2025, 9) >= st.value)
          OR (st.comparator = '<=' AND round(s.projected_2025, 9) <= st.value) THEN '趋势可达标'
        ELSE '趋势不达标'
    END AS outlook_2025,
    CASE
        WHEN s.n_years < 3 THEN '数据不足'
        WHEN st.value IS NULL THEN NULL
        WHEN (st.comparator = '>=' AND round(s.projected_2027, 9) >= st.value)
          OR (st.comparator = '<=' AND round(s.projected_2027, 9) <= st.value) THEN '趋势可达标'
        ELSE '趋势不达标'
    END AS outlook_2027
FROM series AS s
JOIN ref_indicators AS ri ON ri.key = s.indicator
LEFT JOIN ref_standards AS st ON st.indicator_key = s.indicator AND st.scope = $stage
ORDER BY ri.rowid, s.scope, s.town_code, s.year;
