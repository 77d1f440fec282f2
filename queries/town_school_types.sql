-- name: town_school_types
-- purpose: schools of each town by 办学类型 and 举办者 in the year (schools with a segment
--          in the year), with their pupils, for the town profile chart.
-- param: year int 学年（起始年）
-- param: county text optional 县级区划代码（库中只有一个县时可省略）
-- columns: town_code, town_name, school_type, ownership, schools, students
WITH v_segments AS NOT MATERIALIZED (
    SELECT * EXCLUDE (county) FROM v_segments WHERE county = $county
),
per_school AS (
    SELECT school_id, any_value(town_code) AS town_code, any_value(town_name) AS town_name,
           any_value(school_type) AS school_type, any_value(ownership) AS ownership,
           sum(students) AS students
    FROM v_segments WHERE year = $year GROUP BY school_id
)
SELECT town_code, any_value(town_name) AS town_name, school_type, ownership,
       count(*) AS schools, sum(students)::BIGINT AS students
FROM per_school
GROUP BY town_code, school_type, ownership
ORDER BY town_code, min(CASE school_type
    WHEN '幼儿园' THEN 1 WHEN '教学点' THEN 2 WHEN '小学' THEN 3 WHEN '九年一贯制学校' THEN 4
    WHEN '初级中学' THEN 5 WHEN '完全中学' THEN 6 WHEN '高级中学' THEN 7
    WHEN '十二年一贯制学校' THEN 8 ELSE 9 END), ownership;
