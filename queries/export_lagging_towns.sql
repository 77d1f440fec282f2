-- name: export_lagging_towns
-- purpose: 滞后镇街 for the meeting deck: per town, how many of the 7 优质均衡 resource
--          indicators are below the registry standard (小学, 初中) and below the city value,
--          with the indicator furthest below the city. Town and city values are
--          pupil-weighted k·ΣR/ΣP over all the stage's segments, as in town_gaps.
-- param: year int 学年（起始年）
-- param: county text optional 县级区划代码（库中只有一个县时可省略）
-- columns: town_code, town_name, town_kind, compulsory_students, primary_below_standard,
--          junior_below_standard, below_standard, below_city, worst_indicator,
--          worst_ratio_to_city
WITH towns AS NOT MATERIALIZED (
    SELECT * FROM towns WHERE substr(town_code, 1, 6) = $county
),
v_segments AS NOT MATERIALIZED (
    SELECT * EXCLUDE (county) FROM v_segments WHERE county = $county
),
v_indicator_values AS NOT MATERIALIZED (
    SELECT * EXCLUDE (county) FROM v_indicator_values WHERE county = $county
),
v AS (
    SELECT * FROM v_indicator_values
    WHERE year = $year AND stage IN ('小学', '初中') AND group_zh = '义务教育优质均衡（资源配置）'
),
town AS (
    SELECT town_code, stage, indicator, any_value(indicator_name) AS indicator_name,
           CASE WHEN sum(denominator) > 0 THEN any_value(scale) * sum(numerator) / sum(denominator) END AS town_value
    FROM v GROUP BY town_code, stage, indicator
),
city AS (
    SELECT stage, indicator,
           CASE WHEN sum(denominator) > 0 THEN any_value(scale) * sum(numerator) / sum(denominator) END AS city_value
    FROM v GROUP BY stage, indicator
),
joined AS (
    SELECT t.*, c.city_value, s.value AS standard,
           CASE WHEN c.city_value <> 0 THEN t.town_value / c.city_value END AS ratio_to_city
    FROM town AS t
    JOIN city AS c USING (stage, indicator)
    LEFT JOIN ref_standards AS s
        ON s.indicator_key = t.indicator AND s.scope = t.stage AND s.comparator = '>='
    WHERE t.town_value IS NOT NULL
),
per_town AS (
    SELECT town_code,
           count(*) FILTER (WHERE stage = '小学' AND town_value < standard) AS primary_below_standard,
           count(*) FILTER (WHERE stage = '初中' AND town_value < standard) AS junior_below_standard,
           count(*) FILTER (WHERE town_value < city_value) AS below_city,
           arg_min(indicator_name || '（' || stage || '）', ratio_to_city) AS worst_indicator,
           min(ratio_to_city) AS worst_ratio_to_city
    FROM joined GROUP BY town_code
),
pupils AS (
    SELECT town_code, sum(students) AS students
    FROM v_segments WHERE year = $year AND stage IN ('小学', '初中') GROUP BY town_code
)
SELECT tw.town_code, tw.town_name, tw.town_kind,
       coalesce(p.students, 0)::BIGINT AS compulsory_students,
       coalesce(pt.primary_below_standard, 0)::BIGINT AS primary_below_standard,
       coalesce(pt.junior_below_standard, 0)::BIGINT AS junior_below_standard,
       (coalesce(pt.primary_below_standard, 0) + coalesce(pt.junior_below_standard, 0))::BIGINT AS below_standard,
       coalesce(pt.below_city, 0)::BIGINT AS below_city,
       pt.worst_indicator,
       pt.worst_ratio_to_city
FROM towns AS tw
LEFT JOIN per_town AS pt USING (town_code)
LEFT JOIN pupils AS p USING (town_code)
ORDER BY below_standard DESC, worst_ratio_to_city ASC NULLS LAST, tw.town_code;
