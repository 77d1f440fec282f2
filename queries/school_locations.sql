-- name: school_locations
-- purpose: every school's coordinates with its town, for the geometry data checks (outside
--          the county; far outside its town's zone). Schools without coordinates included.
-- columns: school_id, school_name, school_type, town_code, town_name, lon, lat, closed_year
SELECT s.school_id, s.school_name, s.school_type, s.town_code, t.town_name, s.lon, s.lat, s.closed_year
FROM schools AS s
LEFT JOIN towns AS t USING (town_code)
ORDER BY s.town_code, s.school_id;
