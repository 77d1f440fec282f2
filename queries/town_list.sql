-- name: town_list
-- purpose: every town-level unit (镇街) with its kind and seat point, for selectors and for
--          drawing the town zones (units without a seat, e.g. 翠山湖新区, get no zone but are
--          listed), with how many schools it holds.
-- param: county text optional 县级区划代码（库中只有一个县时可省略）
-- columns: town_code, town_name, town_kind, seat_lon, seat_lat, schools
WITH towns AS NOT MATERIALIZED (
    SELECT * FROM towns WHERE substr(town_code, 1, 6) = $county
),
schools AS NOT MATERIALIZED (
    SELECT * FROM schools WHERE substr(town_code, 1, 6) = $county
)
SELECT t.town_code, t.town_name, t.town_kind, t.seat_lon, t.seat_lat,
       (SELECT count(*) FROM schools AS s WHERE s.town_code = t.town_code) AS schools
FROM towns AS t
ORDER BY t.town_code;
