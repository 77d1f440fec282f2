-- name: quality_points
-- purpose: every coordinate in the database (school locations and town seats) with the county
--          code, for the check that points lie inside the county outline (done in Python with
--          edubalance.geo, which holds the outline).
-- param: county text optional 县级区划代码（库中只有一个县时可省略）
-- columns: table_name, object_id, object_name, lon, lat, county_code
WITH towns AS NOT MATERIALIZED (
    SELECT * FROM towns WHERE substr(town_code, 1, 6) = $county
),
schools AS NOT MATERIALIZED (
    SELECT * FROM schools WHERE substr(town_code, 1, 6) = $county
)
SELECT 'schools' AS table_name, s.school_id AS object_id, s.school_name AS object_name,
       s.lon, s.lat, substr(s.town_code, 1, 6) AS county_code
FROM schools AS s
WHERE s.lon IS NOT NULL AND s.lat IS NOT NULL
UNION ALL
SELECT 'towns', t.town_code, t.town_name, t.seat_lon, t.seat_lat, substr(t.town_code, 1, 6)
FROM towns AS t
WHERE t.seat_lon IS NOT NULL AND t.seat_lat IS NOT NULL
ORDER BY 1, 2;
