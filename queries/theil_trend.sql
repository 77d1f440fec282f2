-- name: theil_trend
-- purpose: the `theil` query for every school year and every school-level indicator of a
--          stage at once (same units, weights and decomposition; see docs/METHODS.md, 泰尔指数), for the
--          charts of the total and the between-group share over the years.
--          Any grouping other than town / urban_rural gives no rows.
-- param: stage text 学段（学前/小学/初中/高中/特教）
-- param: grouping text 分组：town（镇街）或 urban_rural（城区/镇区/乡村）
-- param: county text optional 县级区划代码（库中只有一个县时可省略）
-- columns: year, stage, indicator, indicator_name, short_name, unit, grouping, groups, schools, students,
--          mean, total, between, within, between_share
-- Every sum runs in school order (ORDER BY school_id): DuckDB's parallel double sums otherwise
-- differ in the last bits from run to run, and the same file must give the same CSV.
WITH v_inequality_units AS NOT MATERIALIZED (
    SELECT * EXCLUDE (county) FROM v_inequality_units WHERE county = $county
),
valid AS (
    SELECT year, stage, indicator, indicator_name, unit,
        CASE $grouping
            WHEN 'town' THEN town_code
            WHEN 'urban_rural' THEN area
        END AS grp,
        school_id, w, x
    FROM v_inequality_units
    WHERE stage = $stage
      AND $grouping IN ('town', 'urban_rural')
),
terms AS (
    SELECT
        *,
        sum(w * x) OVER (PARTITION BY year, indicator ORDER BY school_id ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) / nullif(sum(w) OVER (PARTITION BY year, indicator ORDER BY school_id ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING), 0) AS mu,
        sum(w * x) OVER (PARTITION BY year, indicator, grp ORDER BY school_id ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
            / nullif(sum(w) OVER (PARTITION BY year, indicator, grp ORDER BY school_id ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING), 0) AS mu_g,
        w * x / nullif(sum(w * x) OVER (PARTITION BY year, indicator ORDER BY school_id ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING), 0) AS s_i
    FROM valid
),
agg AS (
    SELECT
        year, stage, indicator, any_value(indicator_name) AS indicator_name, any_value(unit) AS unit,
        count(DISTINCT grp) AS groups,
        count(*) AS schools,
        sum(w ORDER BY school_id)::BIGINT AS students,
        any_value(mu) AS mean,
        CASE WHEN any_value(mu) > 0 THEN sum(CASE WHEN x > 0 THEN s_i * ln(x / mu) ELSE 0 END ORDER BY school_id) END AS total,
        CASE WHEN any_value(mu) > 0 THEN sum(CASE WHEN x > 0 THEN s_i * ln(mu_g / mu) ELSE 0 END ORDER BY school_id) END AS between_part,
        CASE WHEN any_value(mu) > 0 THEN sum(CASE WHEN x > 0 THEN s_i * ln(x / mu_g) ELSE 0 END ORDER BY school_id) END AS within_part
    FROM terms
    GROUP BY year, stage, indicator
)
SELECT
    a.year, a.stage, a.indicator, a.indicator_name, ri.short_zh AS short_name, a.unit, $grouping AS grouping, a.groups, a.schools,
    a.students, a.mean, a.total,
    a.between_part AS "between",
    a.within_part AS within,
    CASE WHEN a.total > 0 THEN a.between_part / a.total END AS between_share
FROM agg AS a
JOIN ref_indicators AS ri ON ri.key = a.indicator
ORDER BY a.year, ri.rowid;
