-- internal: existing_years
-- purpose: the (county, year) pairs the database holds in each yearly table, for the import's
--          per-county year conflicts. 学校年度 and 校园长 reach their county through the school
--          (the first 6 digits of its 区划代码); 市级年度 and 教研员 carry a county column.
-- columns: table_name, county, year
-- run by:  importer.read_existing(), on a database whose county columns exist (after migration)
SELECT DISTINCT 'school_years' AS table_name, substr(s.town_code, 1, 6) AS county, y.year
FROM school_years AS y JOIN schools AS s USING (school_id)
UNION ALL
SELECT DISTINCT 'principals', substr(s.town_code, 1, 6), p.year
FROM principals AS p JOIN schools AS s USING (school_id)
UNION ALL
SELECT DISTINCT 'city_facts', county, year FROM city_facts
UNION ALL
SELECT DISTINCT 'researchers', county, year FROM researchers;
