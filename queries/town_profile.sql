-- name: town_profile
-- purpose: a profile of every town-level unit in the year: schools (those with a segment in
--          the year), kindergartens, pupils by stage, classes, teachers, boarders, left-behind
--          children and schools with no pupils at all. Units with no school get zeros.
-- param: year int 学年（起始年）
-- param: county text optional 县级区划代码（库中只有一个县时可省略）
-- columns: town_code, town_name, town_kind, schools, kindergartens, primary_schools,
--          teaching_points, secondary_schools, special_schools, zero_student_schools, students,
--          students_preschool, students_primary, students_junior, students_senior,
--          students_special, classes, teachers, boarders, left_behind
WITH towns AS NOT MATERIALIZED (
    SELECT * FROM towns WHERE substr(town_code, 1, 6) = $county
),
v_segments AS NOT MATERIALIZED (
    SELECT * EXCLUDE (county) FROM v_segments WHERE county = $county
),
seg AS (
    SELECT * FROM v_segments WHERE year = $year
),
per_school AS (
    SELECT school_id, any_value(town_code) AS town_code, any_value(school_type) AS school_type,
           sum(students) AS students
    FROM seg GROUP BY school_id
),
schools AS (
    SELECT town_code,
           count(*) AS schools,
           count(*) FILTER (WHERE school_type = '幼儿园') AS kindergartens,
           count(*) FILTER (WHERE school_type = '小学') AS primary_schools,
           count(*) FILTER (WHERE school_type = '教学点') AS teaching_points,
           count(*) FILTER (
               WHERE school_type IN ('初级中学', '九年一贯制学校', '完全中学', '高级中学', '十二年一贯制学校')
           ) AS secondary_schools,
           count(*) FILTER (WHERE school_type = '特殊教育学校') AS special_schools,
           count(*) FILTER (WHERE coalesce(students, 0) = 0) AS zero_student_schools
    FROM per_school GROUP BY town_code
),
pupils AS (
    SELECT town_code,
           sum(students) AS students,
           sum(students) FILTER (WHERE stage = '学前') AS students_preschool,
           sum(students) FILTER (WHERE stage = '小学') AS students_primary,
           sum(students) FILTER (WHERE stage = '初中') AS students_junior,
           sum(students) FILTER (WHERE stage = '高中') AS students_senior,
           sum(students) FILTER (WHERE stage = '特教') AS students_special,
           sum(classes) AS classes,
           sum(teachers) AS teachers,
           sum(boarders) AS boarders,
           sum(left_behind) AS left_behind
    FROM seg GROUP BY town_code
)
SELECT
    t.town_code, t.town_name, t.town_kind,
    coalesce(s.schools, 0) AS schools,
    coalesce(s.kindergartens, 0) AS kindergartens,
    coalesce(s.primary_schools, 0) AS primary_schools,
    coalesce(s.teaching_points, 0) AS teaching_points,
    coalesce(s.secondary_schools, 0) AS secondary_schools,
    coalesce(s.special_schools, 0) AS special_schools,
    coalesce(s.zero_student_schools, 0) AS zero_student_schools,
    coalesce(p.students, 0)::BIGINT AS students,
    coalesce(p.students_preschool, 0)::BIGINT AS students_preschool,
    coalesce(p.students_primary, 0)::BIGINT AS students_primary,
    coalesce(p.students_junior, 0)::BIGINT AS students_junior,
    coalesce(p.students_senior, 0)::BIGINT AS students_senior,
    coalesce(p.students_special, 0)::BIGINT AS students_special,
    coalesce(p.classes, 0)::BIGINT AS classes,
    coalesce(p.teachers, 0)::BIGINT AS teachers,
    p.boarders::BIGINT AS boarders,
    p.left_behind::BIGINT AS left_behind
FROM towns AS t
LEFT JOIN schools AS s USING (town_code)
LEFT JOIN pupils AS p USING (town_code)
ORDER BY t.town_code;
