-- name: zero_pupil_schools
-- purpose: T1's list: every rural (乡村, 城乡分类 210/220) school still open that reports no
--          pupils in the school year, with its 办学研判 decision when one is recorded by then
--          (学校.办学研判结论, 研判年份 ≤ the year; a decision without a year counts from the
--          start). decided = FALSE marks the schools T1 still counts as missing.
-- param: year int 学年（起始年）
-- param: county text optional 县级区划代码（库中只有一个县时可省略）
-- columns: school_id, school_name, school_type, town_code, town_name, decision, decision_year,
--          decision_note, decided, zero_since
WITH towns AS NOT MATERIALIZED (
    SELECT * FROM towns WHERE substr(town_code, 1, 6) = $county
),
schools AS NOT MATERIALIZED (
    SELECT * FROM schools WHERE substr(town_code, 1, 6) = $county
),
school_years AS NOT MATERIALIZED (
    SELECT * FROM school_years WHERE school_id IN (SELECT school_id FROM schools)
),
pupils AS (
    SELECT year, school_id, sum(students) AS students
    FROM school_years WHERE year <= $year GROUP BY year, school_id
),
zero AS (
    SELECT p.school_id
    FROM pupils AS p
    JOIN schools AS s USING (school_id)
    JOIN ref_ur_codes AS u ON u.ur_code = s.ur_code
    WHERE p.year = $year AND p.students = 0 AND u.area = '乡村'
      AND (s.closed_year IS NULL OR s.closed_year > p.year)
),
-- The first year of the current run of zero-pupil years.
since AS (
    SELECT z.school_id,
           coalesce(max(p.year) FILTER (WHERE p.students > 0) + 1, min(p.year)) AS zero_since
    FROM zero AS z JOIN pupils AS p USING (school_id)
    GROUP BY z.school_id
)
SELECT s.school_id, s.school_name, s.school_type, s.town_code, t.town_name,
       s.zero_pupil_decision AS decision, s.decision_year, s.decision_note,
       s.zero_pupil_decision IS NOT NULL AND coalesce(s.decision_year, $year) <= $year AS decided,
       n.zero_since
FROM zero AS z
JOIN schools AS s USING (school_id)
JOIN towns AS t ON t.town_code = s.town_code
JOIN since AS n USING (school_id)
ORDER BY decided, t.town_code, s.school_id;
