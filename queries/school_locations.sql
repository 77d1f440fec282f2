-- name: school_locations
-- purpose: every school's coordinates with its town, for the geometry data checks (outside
--          the county; far outside its town's zone). Schools without coordinates included.
-- param: county text optional 县级区划代码（库中只有一个县时可省略）
-- columns: school_id, school_name, school_type, town_code, town_name, lon, lat, closed_year
WITH towns AS NOT MATERIALIZED (
    SELECT * FROM towns WHERE substr(town_code, 1, 6) = $county
),
schools AS NOT MATERIALIZED (
    SELECT * FROM schools WHERE substr(town_code, 1, 6) = $county
)
SELECT s.school_id, s.school_name, s.school_type, s.town_code, t.town_name, s.lon, s.lat, s.closed_year
FROM schools AS s
LEFT JOIN towns AS t USING (town_code)
ORDER BY s.town_code, s.school_id;
