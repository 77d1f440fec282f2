-- internal: existing_years
-- purpose: the (county, year) pairs the database holds in the yearly tables whose rows reach
--          their county through the school (学校年度, 校园长: the first 6 digits of the
--          school's 区划代码), for the import's per-county year conflicts. 市级年度 and 教研员
--          carry a county column and are read by county_tables.existing_from.
-- columns: table_name, county, year
-- run by:  importer.read_existing() (county_tables.existing_from)
SELECT DISTINCT 'school_years' AS table_name, substr(s.town_code, 1, 6) AS county, y.year
FROM school_years AS y JOIN schools AS s USING (school_id)
UNION ALL
SELECT DISTINCT 'principals', substr(s.town_code, 1, 6), p.year
FROM principals AS p JOIN schools AS s USING (school_id);
