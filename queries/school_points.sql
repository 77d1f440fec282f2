-- name: school_points
-- purpose: the map's school points: every school segment of the stage in the year with its
--          coordinates, enrolment, the chosen indicator's value and its 优质均衡 result
--          (same rule as school_compliance: at least `school_pass_min_met` of the 7
--          indicators at standard and none below `school_pass_floor_ratio` of it; NULL where
--          the segment is not assessed, e.g. 学前/高中, special schools, small 教学点).
-- param: year int 学年（起始年）
-- param: stage text 学段（学前/小学/初中/高中/特教）
-- param: indicator text 指标代码（悬停显示其学校值；可为空）
-- param: county text optional 县级区划代码（库中只有一个县时可省略）
-- columns: school_id, school_name, school_type, ownership, town_code, town_name, area, lon,
--          lat, students, indicator_value, met_count, passes_6_of_7, compliance
WITH v_segments AS NOT MATERIALIZED (
    SELECT * EXCLUDE (county) FROM v_segments WHERE county = $county
),
v_indicator_values AS NOT MATERIALIZED (
    SELECT * EXCLUDE (county) FROM v_indicator_values WHERE county = $county
),
v_balance_values AS NOT MATERIALIZED (
    SELECT * EXCLUDE (county) FROM v_balance_values WHERE county = $county
),
seg AS (
    SELECT * FROM v_segments WHERE year = $year AND stage = $stage
),
assessed AS (
    SELECT school_id,
           count(*) FILTER (WHERE value >= standard) AS met_count,
           min(coalesce(value / standard, 0)) AS min_ratio
    FROM v_balance_values
    WHERE year = $year AND stage = $stage
    GROUP BY school_id
),
chosen AS (
    SELECT school_id, value
    FROM v_indicator_values
    WHERE year = $year AND stage = $stage AND indicator = $indicator
)
SELECT
    seg.school_id, seg.school_name, seg.school_type, seg.ownership, seg.town_code, seg.town_name,
    seg.area, seg.lon, seg.lat, seg.students,
    c.value AS indicator_value,
    a.met_count,
    CASE WHEN a.school_id IS NOT NULL THEN a.met_count >= mm.value AND a.min_ratio >= fl.value END
        AS passes_6_of_7,
    CASE
        WHEN a.school_id IS NULL THEN '不参评'
        WHEN a.met_count >= mm.value AND a.min_ratio >= fl.value THEN '达标'
        ELSE '未达标'
    END AS compliance
FROM seg
LEFT JOIN assessed AS a USING (school_id)
LEFT JOIN chosen AS c USING (school_id)
LEFT JOIN ref_standards AS mm ON mm.indicator_key = 'school_pass_min_met' AND mm.scope = $stage
LEFT JOIN ref_standards AS fl ON fl.indicator_key = 'school_pass_floor_ratio' AND fl.scope = $stage
ORDER BY seg.town_code, seg.school_id;
