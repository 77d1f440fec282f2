-- name: county_ranking
-- purpose: the counties in scope ranked on the common ground only: common targets G1–G7 met
--          (county_targets' verdicts, descending), then 校际差异系数 within cap (of the 14,
--          v_county_cv, descending), then the worst CV relative to its cap (cv ÷ threshold,
--          ascending; lower is better). Each county's figures are its latest school year up
--          to $year. A county's own plan never enters the ranking.
-- param: year int 学年（起始年）：取该学年及以前最近一个有数值的学年
-- param: scope text optional 范围：省略或空=全部县（市、区）；否则区划代码前缀（如 44、4407、440783）
-- columns: rank, county, county_name, city, city_name, targets_met, targets_with_data,
--          targets, cv_year, cvs_within_cap, cvs, worst_cv_ratio, worst_stage, worst_indicator,
--          worst_indicator_name
WITH counties AS (
    SELECT county, county_name, city, city_name FROM d_counties WHERE starts_with(county, $scope)
),
latest AS (
    SELECT county, target_id, max(year) AS year
    FROM v_common_status
    WHERE year <= $year AND starts_with(county, $scope) AND units > 0
    GROUP BY county, target_id
),
verdicts AS (
    SELECT s.county,
           -- county_targets' verdicts: 已达标, and 已达标 or 未达标 (not 数据不足)
           count(*) FILTER (WHERE s.units_met = s.units AND s.units_unknown = 0) AS targets_met,
           count(*) FILTER (WHERE s.units_met < s.units OR s.units_unknown = 0) AS targets_with_data
    FROM latest AS l
    JOIN v_common_status AS s USING (county, target_id, year)
    GROUP BY s.county
),
cv_year AS (
    SELECT county, max(year) AS year
    FROM v_county_cv
    WHERE year <= $year AND starts_with(county, $scope)
    GROUP BY county
),
cvs AS (
    SELECT v.county, any_value(v.year) AS cv_year,
           count(*) FILTER (WHERE v.passed) AS cvs_within_cap,
           count(v.cv) AS cvs,
           max(v.cv / v.threshold) AS worst_cv_ratio,
           arg_max(v.stage, v.cv / v.threshold) AS worst_stage,
           arg_max(v.indicator, v.cv / v.threshold) AS worst_indicator,
           arg_max(v.indicator_name, v.cv / v.threshold) AS worst_indicator_name
    FROM v_county_cv AS v
    JOIN cv_year AS y USING (county, year)
    GROUP BY v.county
),
n AS (
    SELECT count(*) AS targets FROM ref_plan_files WHERE plan_set = 'common'
)
SELECT
    row_number() OVER (
        ORDER BY coalesce(t.targets_met, 0) DESC, coalesce(x.cvs_within_cap, 0) DESC,
                 x.worst_cv_ratio ASC NULLS LAST, c.county
    ) AS rank,
    c.county, c.county_name, c.city, c.city_name,
    coalesce(t.targets_met, 0) AS targets_met, coalesce(t.targets_with_data, 0) AS targets_with_data,
    n.targets, x.cv_year, coalesce(x.cvs_within_cap, 0) AS cvs_within_cap, coalesce(x.cvs, 0) AS cvs,
    x.worst_cv_ratio, x.worst_stage, x.worst_indicator, x.worst_indicator_name
FROM counties AS c
CROSS JOIN n
LEFT JOIN verdicts AS t USING (county)
LEFT JOIN cvs AS x USING (county)
ORDER BY rank;
