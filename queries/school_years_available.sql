-- name: school_years_available
-- purpose: the school years present in the data, newest first, with pupils per year.
-- columns: year, students, schools
SELECT year, sum(students)::BIGINT AS students, count(DISTINCT school_id) AS schools
FROM school_years
GROUP BY year
ORDER BY year DESC;
