-- name: preview_schools
-- purpose: every school with its name, 停办年份 and the school years it reports in; the import
--          preview compares this list before and after an import (added, renamed, closed).
-- columns: school_id, school_name, town_code, closed_year, years
SELECT s.school_id, s.school_name, s.town_code, s.closed_year,
       list(DISTINCT y.year ORDER BY y.year) FILTER (WHERE y.year IS NOT NULL) AS years
FROM schools AS s
LEFT JOIN school_years AS y USING (school_id)
GROUP BY ALL
ORDER BY s.school_id;
