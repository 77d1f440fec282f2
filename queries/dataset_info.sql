-- name: dataset_info
-- purpose: facts about the loaded data for banners: demo flag, county code, the county's
--          years, last import (of the whole database). The demo flag is the county's: a
--          county imported into the demo database afterwards is not demo data (the demo
--          build logs its county; a log from before the county column names none).
-- param: county text optional 县级区划代码（库中只有一个县时可省略）
-- columns: is_demo, county_code, first_year, last_year, last_import
WITH schools AS NOT MATERIALIZED (
    SELECT * FROM schools WHERE substr(town_code, 1, 6) = $county
),
school_years AS NOT MATERIALIZED (
    SELECT * FROM school_years WHERE school_id IN (SELECT school_id FROM schools)
)
SELECT
    coalesce((SELECT value FROM meta WHERE key = 'demo'), '0') = '1'
        AND coalesce((
            SELECT bool_or(list_contains(string_split(counties, ','), $county))
            FROM import_log WHERE action = 'build' AND counties IS NOT NULL
        ), TRUE) AS is_demo,
    nullif($county, '') AS county_code,
    (SELECT min(year) FROM school_years) AS first_year,
    (SELECT max(year) FROM school_years) AS last_year,
    (SELECT max(imported_at) FROM import_log) AS last_import;
