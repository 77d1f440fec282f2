-- name: quality_missing
-- purpose: empty optional cells per table, column and school year (a data-quality warning,
--          never an error: an empty optional cell is NULL by design). Columns that are empty
--          by design are left out: 所属学校标识码 (教学点 only), 教育集团, 停办年份, the
--          认定与结对 columns that depend on the kind, free-text notes; 普惠性 is counted
--          among kindergartens only.
-- param: county text optional 县级区划代码（库中只有一个县时可省略）
-- columns: table_name, year, column_name, missing, total_rows
WITH towns AS NOT MATERIALIZED (
    SELECT * FROM towns WHERE substr(town_code, 1, 6) = $county
),
schools AS NOT MATERIALIZED (
    SELECT * FROM schools WHERE substr(town_code, 1, 6) = $county
),
school_years AS NOT MATERIALIZED (
    SELECT * FROM school_years WHERE school_id IN (SELECT school_id FROM schools)
),
principals AS NOT MATERIALIZED (
    SELECT * FROM principals WHERE school_id IN (SELECT school_id FROM schools)
),
designations AS NOT MATERIALIZED (
    SELECT * FROM designations
        WHERE substr(town_code, 1, 6) = $county OR school_id IN (SELECT school_id FROM schools)
),
city_facts AS NOT MATERIALIZED (
    SELECT * EXCLUDE (county) FROM city_facts WHERE county = $county
),
task_progress AS NOT MATERIALIZED (
    SELECT * EXCLUDE (county) FROM task_progress WHERE county = $county
),
towns_n AS (
    SELECT 'towns' AS table_name, NULL::INTEGER AS year, count(*) AS total_rows,
           count(COLUMNS(*))
    FROM towns
), schools_n AS (
    SELECT 'schools' AS table_name, NULL::INTEGER AS year, count(*) AS total_rows,
           count(COLUMNS(* EXCLUDE (inclusive, parent_school_id, group_name, closed_year)))
    FROM schools
), years_n AS (
    SELECT 'school_years' AS table_name, year, count(*) AS total_rows,
           count(COLUMNS(* EXCLUDE (year)))
    FROM school_years
    GROUP BY year
), principals_n AS (
    SELECT 'principals' AS table_name, year, count(*) AS total_rows,
           count(COLUMNS(* EXCLUDE (year)))
    FROM principals
    GROUP BY year
), city_n AS (
    SELECT 'city_facts' AS table_name, year, count(*) AS total_rows,
           count(COLUMNS(* EXCLUDE (year, note)))
    FROM city_facts
    GROUP BY year
), designations_n AS (
    SELECT 'designations' AS table_name, NULL::INTEGER AS year, count(*) AS total_rows,
           count(COLUMNS(* EXCLUDE (school_id, partner_school_id, town_code)))
    FROM designations
), tasks_n AS (
    SELECT 'task_progress' AS table_name, NULL::INTEGER AS year, count(*) AS total_rows,
           count(COLUMNS(* EXCLUDE (note, owner)))
    FROM task_progress
), long AS (
    SELECT * FROM (UNPIVOT towns_n ON COLUMNS(* EXCLUDE (table_name, year, total_rows)) INTO NAME column_name VALUE filled)
    UNION ALL
    SELECT * FROM (UNPIVOT schools_n ON COLUMNS(* EXCLUDE (table_name, year, total_rows)) INTO NAME column_name VALUE filled)
    UNION ALL
    SELECT * FROM (UNPIVOT years_n ON COLUMNS(* EXCLUDE (table_name, year, total_rows)) INTO NAME column_name VALUE filled)
    UNION ALL
    SELECT * FROM (UNPIVOT principals_n ON COLUMNS(* EXCLUDE (table_name, year, total_rows)) INTO NAME column_name VALUE filled)
    UNION ALL
    SELECT * FROM (UNPIVOT city_n ON COLUMNS(* EXCLUDE (table_name, year, total_rows)) INTO NAME column_name VALUE filled)
    UNION ALL
    SELECT * FROM (UNPIVOT designations_n ON COLUMNS(* EXCLUDE (table_name, year, total_rows)) INTO NAME column_name VALUE filled)
    UNION ALL
    SELECT * FROM (UNPIVOT tasks_n ON COLUMNS(* EXCLUDE (table_name, year, total_rows)) INTO NAME column_name VALUE filled)
    UNION ALL
    SELECT 'schools', NULL::INTEGER, count(*), 'inclusive', count(inclusive)
    FROM schools
    WHERE school_type = '幼儿园'
)
SELECT table_name, year, column_name, total_rows - filled AS missing, total_rows
FROM long
WHERE filled < total_rows
ORDER BY table_name, year NULLS FIRST, column_name;
