-- name: school_years_available
-- purpose: the school years present in the data, newest first, with pupils per year.
-- param: county text optional 县级区划代码（库中只有一个县时可省略）
-- columns: year, students, schools
WITH schools AS NOT MATERIALIZED (
    SELECT * FROM schools WHERE substr(town_code, 1, 6) = $county
),
school_years AS NOT MATERIALIZED (
    SELECT * FROM school_years WHERE school_id IN (SELECT school_id FROM schools)
)
SELECT year, sum(students)::BIGINT AS students, count(DISTINCT school_id) AS schools
FROM school_years
GROUP BY year
ORDER BY year DESC;
