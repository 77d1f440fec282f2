-- name: town_list
-- purpose: every town-level unit (镇街) with its kind and seat point, for selectors and for
--          drawing the town zones (units without a seat, e.g. 翠山湖新区, get no zone but are
--          listed), with how many schools it holds.
-- columns: town_code, town_name, town_kind, seat_lon, seat_lat, schools
SELECT t.town_code, t.town_name, t.town_kind, t.seat_lon, t.seat_lat,
       (SELECT count(*) FROM schools AS s WHERE s.town_code = t.town_code) AS schools
FROM towns AS t
ORDER BY t.town_code;
