-- name: quality_jumps
-- purpose: school segments whose pupils or full-time teachers changed from the previous school
--          year by more than the registry's share (quality_jump_students, quality_jump_teachers,
--          scope 全市). A warning to check the figures, not an error.
-- param: county text optional 县级区划代码（库中只有一个县时可省略）
-- columns: year, school_id, school_name, stage, measure (students|teachers), previous, current,
--          change (current ÷ previous − 1), threshold
WITH schools AS NOT MATERIALIZED (
    SELECT * FROM schools WHERE substr(town_code, 1, 6) = $county
),
school_years AS NOT MATERIALIZED (
    SELECT * FROM school_years WHERE school_id IN (SELECT school_id FROM schools)
),
limits AS (
    SELECT
        max(value) FILTER (WHERE indicator_key = 'quality_jump_students') AS students_limit,
        max(value) FILTER (WHERE indicator_key = 'quality_jump_teachers') AS teachers_limit
    FROM ref_standards
    WHERE scope = '全市'
), pairs AS (
    SELECT cur.year, cur.school_id, cur.stage,
           prev.students AS prev_students, cur.students AS cur_students,
           prev.teachers AS prev_teachers, cur.teachers AS cur_teachers
    FROM school_years AS cur
    JOIN school_years AS prev
        ON prev.school_id = cur.school_id AND prev.stage = cur.stage AND prev.year = cur.year - 1
), long AS (
    SELECT year, school_id, stage, 'students' AS measure, prev_students AS previous,
           cur_students AS current, limits.students_limit AS threshold
    FROM pairs, limits
    UNION ALL
    SELECT year, school_id, stage, 'teachers', prev_teachers, cur_teachers, limits.teachers_limit
    FROM pairs, limits
)
SELECT l.year, l.school_id, s.school_name, l.stage, l.measure, l.previous, l.current,
       l.current / l.previous - 1 AS change, l.threshold
FROM long AS l
LEFT JOIN schools AS s USING (school_id)
WHERE l.previous > 0 AND l.current IS NOT NULL AND abs(l.current / l.previous - 1) > l.threshold
ORDER BY l.year DESC, l.school_id, l.stage, l.measure;
