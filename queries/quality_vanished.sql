-- name: quality_vanished
-- purpose: schools that reported in one school year and are missing from the next without a
--          停办年份 by then (kind 'vanished'), and schools still reporting in or after their
--          停办年份 (kind 'after_closure'). Only years the database holds are compared.
-- param: county text optional 县级区划代码（库中只有一个县时可省略）
-- columns: kind, year, school_id, school_name, last_year, closed_year
WITH schools AS NOT MATERIALIZED (
    SELECT * FROM schools WHERE substr(town_code, 1, 6) = $county
),
school_years AS NOT MATERIALIZED (
    SELECT * FROM school_years WHERE school_id IN (SELECT school_id FROM schools)
),
present AS (
    SELECT DISTINCT school_id, year FROM school_years
), years AS (
    SELECT DISTINCT year FROM school_years
)
SELECT 'vanished' AS kind, y.year, p.school_id, s.school_name, p.year AS last_year, s.closed_year
FROM present AS p
JOIN years AS y ON y.year = p.year + 1
LEFT JOIN present AS n ON n.school_id = p.school_id AND n.year = y.year
JOIN schools AS s ON s.school_id = p.school_id
WHERE n.school_id IS NULL AND (s.closed_year IS NULL OR s.closed_year > y.year)
UNION ALL
SELECT 'after_closure', p.year, p.school_id, s.school_name, NULL, s.closed_year
FROM present AS p
JOIN schools AS s ON s.school_id = p.school_id
WHERE s.closed_year IS NOT NULL AND p.year >= s.closed_year
ORDER BY 1, 2 DESC, 3;
