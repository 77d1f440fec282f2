-- name: urban_rural
-- purpose: every school-level registry indicator of the stage by 城区/镇区/乡村 (from the
--          城乡分类代码), pupil-weighted k·ΣR/ΣP, and its parity to 城区 (value ÷ 城区 value,
--          the UNESCO location parity index).
-- param: year int 学年（起始年）
-- param: stage text 学段（学前/小学/初中/高中/特教）
-- param: county text optional 县级区划代码（库中只有一个县时可省略）
-- columns: area, indicator, indicator_name, unit, direction, value, parity_to_urban,
--          standard, students
WITH v_segments AS NOT MATERIALIZED (
    SELECT * EXCLUDE (county) FROM v_segments WHERE county = $county
),
v_indicator_values AS NOT MATERIALIZED (
    SELECT * EXCLUDE (county) FROM v_indicator_values WHERE county = $county
),
v AS (
    SELECT * FROM v_indicator_values WHERE year = $year AND stage = $stage
),
area_values AS (
    SELECT area, indicator, any_value(indicator_name) AS indicator_name, any_value(unit) AS unit,
           any_value(direction) AS direction,
           CASE WHEN sum(denominator) > 0 THEN any_value(scale) * sum(numerator) / sum(denominator) END AS value
    FROM v GROUP BY area, indicator
),
pupils AS (
    SELECT area, sum(students) AS students
    FROM v_segments WHERE year = $year AND stage = $stage GROUP BY area
)
SELECT
    a.area, a.indicator, a.indicator_name, a.unit, a.direction, a.value,
    CASE WHEN u.value <> 0 THEN a.value / u.value END AS parity_to_urban,
    s.value AS standard,
    p.students
FROM area_values AS a
LEFT JOIN area_values AS u ON u.indicator = a.indicator AND u.area = '城区'
LEFT JOIN pupils AS p ON p.area = a.area
LEFT JOIN ref_standards AS s ON s.indicator_key = a.indicator AND s.scope = $stage
JOIN ref_indicators AS ri ON ri.key = a.indicator
JOIN ref_areas AS o ON o.area = a.area
ORDER BY ri.rowid, o.sort_order;
