-- name: kindergarten_pairs
-- purpose: the kindergarten pairing network (plan T18): every 城区优质公办幼儿园 designated by
--          $year with each 幼儿园结对帮扶 partner in force by $year, the partner's town and
--          城乡 class, and how many partners outside 城区 the kindergarten has against the
--          target's goal (ref_targets, indicator kindergarten_pairs). A designated
--          kindergarten without partners appears once with empty partner columns.
-- param: year int 学年（起始年）
-- param: county text optional 县级区划代码（库中只有一个县时可省略）
-- columns: school_id, school_name, town_name, partner_school_id, partner_name, partner_town,
--          partner_area, since_year, rural_partners, goal, met, lon, lat, partner_lon,
--          partner_lat
WITH towns AS NOT MATERIALIZED (
    SELECT * FROM towns WHERE substr(town_code, 1, 6) = $county
),
schools AS NOT MATERIALIZED (
    SELECT * FROM schools WHERE substr(town_code, 1, 6) = $county
),
designations AS NOT MATERIALIZED (
    SELECT * FROM designations
        WHERE substr(town_code, 1, 6) = $county OR school_id IN (SELECT school_id FROM schools)
),
units AS (
    SELECT school_id, min(since_year) AS since_year
    FROM designations
    WHERE kind = '城区优质公办幼儿园' AND coalesce(since_year, $year) <= $year
    GROUP BY school_id
),
pairs AS (
    SELECT d.school_id, d.partner_school_id, d.since_year, ps.school_name AS partner_name,
           pt.town_name AS partner_town, pu.area AS partner_area, ps.lon AS partner_lon, ps.lat AS partner_lat
    FROM designations AS d
    JOIN schools AS ps ON ps.school_id = d.partner_school_id
    JOIN towns AS pt ON pt.town_code = ps.town_code
    LEFT JOIN ref_ur_codes AS pu ON pu.ur_code = ps.ur_code
    WHERE d.kind = '幼儿园结对帮扶' AND coalesce(d.since_year, $year) <= $year
),
goal AS (
    SELECT TRY_CAST(goal AS DOUBLE) AS goal FROM ref_targets WHERE indicator_key = 'kindergarten_pairs' LIMIT 1
)
SELECT u.school_id, s.school_name, t.town_name,
       p.partner_school_id, p.partner_name, p.partner_town, p.partner_area, p.since_year,
       count(p.partner_school_id) FILTER (WHERE coalesce(p.partner_area, '') <> '城区') OVER (PARTITION BY u.school_id)
           AS rural_partners,
       g.goal,
       count(p.partner_school_id) FILTER (WHERE coalesce(p.partner_area, '') <> '城区') OVER (PARTITION BY u.school_id)
           >= g.goal AS met,
       s.lon, s.lat, p.partner_lon, p.partner_lat
FROM units AS u
JOIN schools AS s USING (school_id)
JOIN towns AS t ON t.town_code = s.town_code
LEFT JOIN pairs AS p ON p.school_id = u.school_id
CROSS JOIN goal AS g
ORDER BY u.school_id, p.partner_school_id;
