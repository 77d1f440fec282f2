-- name: town_indicator_trend
-- purpose: every school year: each town's and the city's pupil-weighted value k·ΣR/ΣP of
--          every school-level registry indicator of the stage, with the standard, for small
--          multiples over the school years (town values as in town_gaps).
-- param: stage text 学段（学前/小学/初中/高中/特教）
-- param: county text optional 县级区划代码（库中只有一个县时可省略）
-- columns: year, town_code, town_name, indicator, indicator_name, indicator_short, unit, direction,
--          town_value, city_value, standard
WITH towns AS NOT MATERIALIZED (
    SELECT * FROM towns WHERE substr(town_code, 1, 6) = $county
),
v_town_values AS NOT MATERIALIZED (
    SELECT * EXCLUDE (county) FROM v_town_values WHERE county = $county
),
v_city_values AS NOT MATERIALIZED (
    SELECT * EXCLUDE (county) FROM v_city_values WHERE county = $county
),
town AS (
    SELECT year, town_code, indicator, town_value FROM v_town_values WHERE stage = $stage
),
city AS (
    SELECT year, indicator, city_value FROM v_city_values WHERE stage = $stage
)
SELECT
    t.year, t.town_code, tw.town_name, t.indicator, ri.name_zh AS indicator_name, ri.short_zh AS indicator_short,
    ri.unit, ri.direction,
    t.town_value, c.city_value, s.value AS standard
FROM town AS t
JOIN city AS c USING (year, indicator)
JOIN towns AS tw USING (town_code)
JOIN ref_indicators AS ri ON ri.key = t.indicator
LEFT JOIN ref_standards AS s ON s.indicator_key = t.indicator AND s.scope = $stage
ORDER BY ri.rowid, t.town_code, t.year;
