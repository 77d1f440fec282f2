-- name: preview_schools
-- purpose: every school with its name, 停办年份 and the school years it reports in; the import
--          preview compares this list before and after an import (added, renamed, closed).
-- param: county text optional 县级区划代码（库中只有一个县时可省略）
-- columns: school_id, school_name, town_code, closed_year, years
WITH schools AS NOT MATERIALIZED (
    SELECT * FROM schools WHERE substr(town_code, 1, 6) = $county
),
school_years AS NOT MATERIALIZED (
    SELECT * FROM school_years WHERE school_id IN (SELECT school_id FROM schools)
)
SELECT s.school_id, s.school_name, s.town_code, s.closed_year,
       list(DISTINCT y.year ORDER BY y.year) FILTER (WHERE y.year IS NOT NULL) AS years
FROM schools AS s
LEFT JOIN school_years AS y USING (school_id)
GROUP BY ALL
ORDER BY s.school_id;
