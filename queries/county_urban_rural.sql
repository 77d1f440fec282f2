-- name: county_urban_rural
-- purpose: 城区 against 乡村 per county in the scope, for the 7 优质均衡 resource indicators of
--          the stage: pupil-weighted k·ΣR/ΣP over all segments of each area (the definitions of
--          urban_rural), the gap 城区 − 乡村 and the parity 乡村 ÷ 城区. A county with no
--          segment in an area has NULL there (and no gap).
-- param: year int 学年（起始年）
-- param: stage text 学段（小学/初中）
-- param: scope text optional 范围：省略或空=全部；否则区划代码前缀（2 位省、4 位市、6 位县）
-- columns: county, county_name, indicator, indicator_name, unit, direction, urban_value,
--          rural_value, gap, rural_parity, urban_students, rural_students
WITH v AS (
    SELECT * FROM v_indicator_values
    WHERE year = $year AND stage = $stage AND starts_with(county, $scope)
      AND group_zh = '义务教育优质均衡（资源配置）' AND area IN ('城区', '乡村')
),
area_values AS (
    SELECT county, area, indicator, any_value(indicator_name) AS indicator_name,
           any_value(unit) AS unit, any_value(direction) AS direction,
           CASE WHEN sum(denominator) > 0 THEN any_value(scale) * sum(numerator) / sum(denominator) END AS value
    FROM v GROUP BY county, area, indicator
),
pupils AS (
    SELECT county, area, sum(students)::BIGINT AS students
    FROM v_segments
    WHERE year = $year AND stage = $stage AND starts_with(county, $scope) AND area IN ('城区', '乡村')
    GROUP BY county, area
),
pairs AS (
    SELECT county, indicator,
           any_value(indicator_name) AS indicator_name, any_value(unit) AS unit,
           any_value(direction) AS direction,
           max(value) FILTER (WHERE area = '城区') AS urban_value,
           max(value) FILTER (WHERE area = '乡村') AS rural_value
    FROM area_values GROUP BY county, indicator
)
SELECT
    p.county, d.county_name, p.indicator, p.indicator_name, p.unit, p.direction,
    p.urban_value, p.rural_value,
    p.urban_value - p.rural_value AS gap,
    CASE WHEN p.urban_value <> 0 THEN p.rural_value / p.urban_value END AS rural_parity,
    u.students AS urban_students,
    r.students AS rural_students
FROM pairs AS p
LEFT JOIN d_counties AS d USING (county)
LEFT JOIN pupils AS u ON u.county = p.county AND u.area = '城区'
LEFT JOIN pupils AS r ON r.county = p.county AND r.area = '乡村'
JOIN ref_indicators AS ri ON ri.key = p.indicator
ORDER BY p.county, ri.rowid;
