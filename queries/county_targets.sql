-- name: county_targets
-- purpose: the common targets G1–G7 (national standards; data/plans/common/targets.csv) for
--          every county in scope, side by side: one row per county and target. Every common
--          target is 持续 (no deadline), so the verdict is the county's latest figure up to
--          $year against the goal: 已达标 when every unit meets it (the county for a city
--          target, each school for a school target), 未达标 when any misses, 数据不足 with no
--          figure or when some unit's figure cannot be told from the data reported (e.g. a
--          workbook without 2 of the 7 resource indicators: never a miss it did not show). The figures are v_common_values', the same targets_status shows a county
--          without its own plan; each county's own plan is judged on its own pages only.
-- param: year int 学年（起始年）：取该学年及以前最近一个有数值的学年
-- param: scope text optional 范围：省略或空=全部县（市、区）；否则区划代码前缀（如 44、4407、440783）
-- columns: county, county_name, city, city_name, target_id, wording, indicator_key,
--          target_scope (city | school), comparator, goal, unit, value_year, value (the
--          county's figure; for a school target the share of schools meeting the goal),
--          units (units with a figure), units_met, met, verdict (已达标 | 未达标 | 数据不足)
WITH counties AS (
    SELECT county, county_name, city, city_name FROM d_counties WHERE starts_with(county, $scope)
),
goals AS (
    SELECT target_id, wording, indicator_key, scope, comparator, TRY_CAST(goal AS DOUBLE) AS goal, unit, ord
    FROM ref_plan_files
    WHERE plan_set = 'common'
),
latest AS (
    SELECT county, target_id, max(year) AS year
    FROM v_common_status
    WHERE year <= $year AND starts_with(county, $scope) AND units > 0
    GROUP BY county, target_id
)
SELECT c.county, c.county_name, c.city, c.city_name,
       g.target_id, g.wording, g.indicator_key, g.scope AS target_scope, g.comparator, g.goal, g.unit,
       s.year AS value_year, s.value, coalesce(s.units, 0) AS units, coalesce(s.units_met, 0) AS units_met,
       coalesce(s.units > 0 AND s.units_met = s.units AND s.units_unknown = 0, FALSE) AS met,
       CASE WHEN s.units_met < s.units THEN '未达标'
            WHEN coalesce(s.units, 0) = 0 OR s.units_unknown > 0 THEN '数据不足'
            ELSE '已达标' END AS verdict
FROM counties AS c
CROSS JOIN goals AS g
LEFT JOIN latest AS l ON l.county = c.county AND l.target_id = g.target_id
LEFT JOIN v_common_status AS s ON s.county = l.county AND s.target_id = l.target_id AND s.year = l.year
ORDER BY c.county, g.ord;
