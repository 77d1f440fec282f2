-- name: dataset_info
-- purpose: facts about the loaded data for banners: demo flag, county code, years, last import.
-- columns: is_demo, county_code, first_year, last_year, last_import
SELECT
    coalesce((SELECT value FROM meta WHERE key = 'demo'), '0') = '1' AS is_demo,
    (SELECT min(substr(town_code, 1, 6)) FROM towns) AS county_code,
    (SELECT min(year) FROM school_years) AS first_year,
    (SELECT max(year) FROM school_years) AS last_year,
    (SELECT max(imported_at) FROM import_log) AS last_import;
