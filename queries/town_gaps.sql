-- name: town_gaps
-- purpose: every school-level registry indicator of the stage, per town, as a
--          pupil-weighted ratio k·ΣR/ΣP over all the town's segments of that stage
--          (never a mean of school ratios), against the city value and the standard.
-- param: year int 学年（起始年）
-- param: stage text 学段（学前/小学/初中/高中/特教）
-- param: county text optional 县级区划代码（库中只有一个县时可省略）
-- columns: town_code, town_name, town_kind, indicator, indicator_name, unit, direction,
--          town_value, city_value, gap, ratio_to_city, standard, students
WITH towns AS NOT MATERIALIZED (
    SELECT * FROM towns WHERE substr(town_code, 1, 6) = $county
),
v_segments AS NOT MATERIALIZED (
    SELECT * EXCLUDE (county) FROM v_segments WHERE county = $county
),
v_town_values AS NOT MATERIALIZED (
    SELECT * EXCLUDE (county) FROM v_town_values WHERE county = $county
),
v_city_values AS NOT MATERIALIZED (
    SELECT * EXCLUDE (county) FROM v_city_values WHERE county = $county
),
town AS (
    SELECT * FROM v_town_values WHERE year = $year AND stage = $stage
),
city AS (
    SELECT * FROM v_city_values WHERE year = $year AND stage = $stage
),
pupils AS (
    SELECT town_code, sum(students) AS students
    FROM v_segments WHERE year = $year AND stage = $stage GROUP BY town_code
)
SELECT
    t.town_code, tw.town_name, tw.town_kind, t.indicator, t.indicator_name, t.unit, t.direction,
    t.town_value, c.city_value,
    t.town_value - c.city_value AS gap,
    CASE WHEN c.city_value <> 0 THEN t.town_value / c.city_value END AS ratio_to_city,
    s.value AS standard,
    p.students
FROM town AS t
JOIN city AS c USING (indicator)
JOIN towns AS tw USING (town_code)
LEFT JOIN pupils AS p USING (town_code)
LEFT JOIN ref_standards AS s ON s.indicator_key = t.indicator AND s.scope = $stage
JOIN ref_indicators AS ri ON ri.key = t.indicator
ORDER BY ri.rowid, t.town_code;
