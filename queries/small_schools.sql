-- name: small_schools
-- purpose: screening list for the school-layout plan (方案：学生数为零的乡村学校、小规模学校):
--          every school segment with no pupils, and every 教学点 or rural (城乡分类代码 2xx,
--          乡村) segment with fewer pupils than the registry's small_school_max_students.
--          Size screening covers the stages the registry names (小学), a school type's own
--          row (教学点) taking precedence; other stages are screened only for having no
--          pupils. Enrolment over the years up to `year` comes with each row. Distances to
--          the nearest central school are added in Python (edubalance.analytics).
--          A screening list for the layout plan, not a decision.
-- param: year int 学年（起始年）
-- param: county text optional 县级区划代码（库中只有一个县时可省略）
-- columns: year, school_id, school_name, school_type, ownership, town_code, town_name, area,
--          ur_code, stage, students, classes, teachers, is_central, parent_school_id,
--          parent_school_name, lon, lat, flag, size_threshold, enrolment_series, first_year,
--          first_students, students_change, trend_per_year, in_cv
WITH schools AS NOT MATERIALIZED (
    SELECT * FROM schools WHERE substr(town_code, 1, 6) = $county
),
school_years AS NOT MATERIALIZED (
    SELECT * FROM school_years WHERE school_id IN (SELECT school_id FROM schools)
),
v_segments AS NOT MATERIALIZED (
    SELECT * EXCLUDE (county) FROM v_segments WHERE county = $county
),
seg AS (
    SELECT
        s.*,
        -- Size screening applies to the stages the registry names (小学: 村小学); a school type
        -- with its own row (教学点) overrides the stage's value. Other stages, such as a
        -- village school's 附设幼儿班, are screened only for having no pupils.
        CASE WHEN by_stage.value IS NOT NULL THEN coalesce(by_type.value, by_stage.value) END AS size_threshold
    FROM v_segments AS s
    LEFT JOIN ref_standards AS by_type
        ON by_type.indicator_key = 'small_school_max_students' AND by_type.scope = s.school_type
    LEFT JOIN ref_standards AS by_stage
        ON by_stage.indicator_key = 'small_school_max_students' AND by_stage.scope = s.stage
    WHERE s.year = $year
),
flagged AS (
    SELECT
        *,
        CASE
            WHEN students = 0 THEN '学生数为零'
            WHEN (school_type = '教学点' OR area = '乡村') AND students < size_threshold
                THEN '小规模（不足' || size_threshold::INT || '人）'
        END AS flag
    FROM seg
),
history AS (
    SELECT
        y.school_id, y.stage,
        string_agg(y.year || '：' || y.students, ' → ' ORDER BY y.year) AS enrolment_series,
        min(y.year) AS first_year,
        arg_min(y.students, y.year) AS first_students,
        CASE WHEN count(*) >= 2 THEN regr_slope(y.students, y.year) END AS trend_per_year
    FROM school_years AS y
    WHERE y.year <= $year
    GROUP BY y.school_id, y.stage
)
SELECT
    f.year, f.school_id, f.school_name, f.school_type, f.ownership, f.town_code, f.town_name, f.area,
    f.ur_code, f.stage, f.students, f.classes, f.teachers, f.is_central, f.parent_school_id,
    p.school_name AS parent_school_name,
    f.lon, f.lat, f.flag, f.size_threshold,
    h.enrolment_series, h.first_year, h.first_students,
    f.students - h.first_students AS students_change,
    h.trend_per_year,
    f.in_cv
FROM flagged AS f
LEFT JOIN history AS h USING (school_id, stage)
LEFT JOIN schools AS p ON p.school_id = f.parent_school_id
WHERE f.flag IS NOT NULL
ORDER BY f.students, f.town_code, f.school_id, f.stage;
