-- name: preschool_summary
-- purpose: the city's 学前 (preschool) figures in every school year up to $year against the
--          普及普惠 thresholds of the registry: 学前三年毛入园率 (children in 学前 segments ÷
--          市级年度 pop_age3_5), 普惠性幼儿园覆盖率 ((公办 + 普惠性民办) children ÷ all),
--          公办园在园幼儿占比, children per 专任教师 (1:15) and the mean class size. Children in
--          附设幼儿班 of primary schools count (segment 学前 of any school type).
-- param: year int 学年（起始年）：该学年及以前各学年
-- param: county text optional 县级区划代码（库中只有一个县时可省略）
-- columns: year, children, pop_age3_5, gross_enrolment, standard_gross_enrolment,
--          public_children, inclusive_children, inclusive_coverage, standard_inclusive,
--          public_share, standard_public, kindergartens, public_kindergartens,
--          inclusive_kindergartens, teachers, children_per_teacher, standard_children_per_teacher,
--          classes, mean_class_size
WITH city_facts AS NOT MATERIALIZED (
    SELECT * EXCLUDE (county) FROM city_facts WHERE county = $county
),
v_segments AS NOT MATERIALIZED (
    SELECT * EXCLUDE (county) FROM v_segments WHERE county = $county
),
kg AS (
    SELECT year, school_id, school_type, ownership, inclusive, students, teachers, classes
    FROM v_segments
    WHERE stage = '学前' AND year <= $year
),
per_year AS (
    SELECT year,
           sum(students) AS children,
           sum(students) FILTER (WHERE ownership = '公办') AS public_children,
           sum(students) FILTER (WHERE ownership = '公办' OR inclusive) AS inclusive_children,
           count(DISTINCT school_id) FILTER (WHERE school_type = '幼儿园' AND students > 0) AS kindergartens,
           count(DISTINCT school_id) FILTER (WHERE school_type = '幼儿园' AND students > 0 AND ownership = '公办')
               AS public_kindergartens,
           count(DISTINCT school_id) FILTER (
               WHERE school_type = '幼儿园' AND students > 0 AND (ownership = '公办' OR inclusive)
           ) AS inclusive_kindergartens,
           sum(teachers) AS teachers,
           sum(students) FILTER (WHERE teachers IS NOT NULL) / nullif(sum(teachers), 0) AS children_per_teacher,
           sum(classes) AS classes,
           sum(students) FILTER (WHERE classes IS NOT NULL) / nullif(sum(classes), 0) AS mean_class_size
    FROM kg
    GROUP BY year
),
pop AS (
    SELECT year, value FROM city_facts WHERE key = 'pop_age3_5' AND year <= $year
),
std AS (
    SELECT max(value) FILTER (WHERE indicator_key = 'preschool_gross_enrolment') AS s_ger,
           max(value) FILTER (WHERE indicator_key = 'preschool_inclusive_coverage') AS s_incl,
           max(value) FILTER (WHERE indicator_key = 'preschool_public_share') AS s_pub,
           max(value) FILTER (WHERE indicator_key = 'preschool_children_per_teacher') AS s_ratio
    FROM ref_standards
)
SELECT p.year, p.children::BIGINT AS children, pop.value::BIGINT AS pop_age3_5,
       p.children / nullif(pop.value, 0) AS gross_enrolment, s.s_ger AS standard_gross_enrolment,
       p.public_children::BIGINT AS public_children, p.inclusive_children::BIGINT AS inclusive_children,
       p.inclusive_children / nullif(p.children, 0) AS inclusive_coverage, s.s_incl AS standard_inclusive,
       p.public_children / nullif(p.children, 0) AS public_share, s.s_pub AS standard_public,
       p.kindergartens, p.public_kindergartens, p.inclusive_kindergartens,
       p.teachers::BIGINT AS teachers, p.children_per_teacher, s.s_ratio AS standard_children_per_teacher,
       p.classes::BIGINT AS classes, p.mean_class_size
FROM per_year AS p
LEFT JOIN pop USING (year)
CROSS JOIN std AS s
ORDER BY p.year;
