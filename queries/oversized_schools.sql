-- name: oversized_schools
-- purpose: 大校额 — schools whose enrolment exceeds the registry cap for their school type
--          (小学/初中 2000, 一贯制 2500, 高中 3000 by default; see docs/METHODS.md, 校额). For 一贯制
--          schools the cap applies to the compulsory segments (小学+初中), for 完全中学 to all.
-- param: year int 学年（起始年）
-- param: county text optional 县级区划代码（库中只有一个县时可省略）
-- columns: school_id, school_name, school_type, town_code, town_name, area, students, cap,
--          over_by
WITH v_segments AS NOT MATERIALIZED (
    SELECT * EXCLUDE (county) FROM v_segments WHERE county = $county
),
enrolment AS (
    SELECT school_id, any_value(school_name) AS school_name, any_value(school_type) AS school_type,
           any_value(town_code) AS town_code, any_value(town_name) AS town_name, any_value(area) AS area,
           sum(students) FILTER (
               WHERE school_type NOT IN ('九年一贯制学校', '十二年一贯制学校') OR stage IN ('小学', '初中')
           ) AS students
    FROM v_segments
    WHERE year = $year AND stage <> '学前'
    GROUP BY school_id
)
SELECT e.school_id, e.school_name, e.school_type, e.town_code, e.town_name, e.area,
       e.students::BIGINT AS students, cap.value AS cap, (e.students - cap.value)::BIGINT AS over_by
FROM enrolment AS e
JOIN ref_standards AS cap ON cap.indicator_key = 'school_size' AND cap.scope = e.school_type
WHERE e.students > cap.value
ORDER BY over_by DESC;
