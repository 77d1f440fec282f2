-- name: principals_summary
-- purpose: 正职校（园）长 of the school year for the city, by 城区/镇区/乡村 (城乡分类代码) and
--          by town: how many are at most principal_age_limit (45, “以下” includes it) and how many have been
--          longer than principal_tenure_limit_years (10) in the same post, with the plan's goal
--          for rural principals under 45 (rural_principals_under45_share, 2027).
-- param: year int 学年（起始年）
-- param: county text optional 县级区划代码（库中只有一个县时可省略）
-- columns: grouping, name, sort_key, principals, under_age, under_age_share, over_tenure,
--          over_tenure_share, mean_age, mean_tenure, age_limit, tenure_limit, goal_young
WITH towns AS NOT MATERIALIZED (
    SELECT * FROM towns WHERE substr(town_code, 1, 6) = $county
),
schools AS NOT MATERIALIZED (
    SELECT * FROM schools WHERE substr(town_code, 1, 6) = $county
),
principals AS NOT MATERIALIZED (
    SELECT * FROM principals WHERE school_id IN (SELECT school_id FROM schools)
),
lim AS (
    SELECT max(value) FILTER (WHERE indicator_key = 'principal_age_limit') AS age_limit,
           max(value) FILTER (WHERE indicator_key = 'principal_tenure_limit_years') AS tenure_limit,
           max(value) FILTER (WHERE indicator_key = 'rural_principals_under45_share') AS goal_young
    FROM ref_standards WHERE scope = '全市'
),
heads AS (
    SELECT p.year - p.birth_year AS age, p.year - p.post_start_year AS tenure,
           coalesce(u.area, '未知') AS area, o.sort_order AS area_order, t.town_code, t.town_name
    FROM principals AS p
    JOIN schools AS s USING (school_id)
    JOIN towns AS t ON t.town_code = s.town_code
    LEFT JOIN ref_ur_codes AS u ON u.ur_code = s.ur_code
    LEFT JOIN ref_areas AS o ON o.area = u.area
    WHERE p.year = $year
),
grouped AS (
    SELECT '全市' AS grouping, '全市' AS name, '0' AS sort_key, * EXCLUDE (area, area_order, town_code, town_name)
    FROM heads
    UNION ALL
    SELECT '城乡', area, '1' || coalesce(area_order::VARCHAR, '9'), * EXCLUDE (area, area_order, town_code, town_name)
    FROM heads
    UNION ALL
    SELECT '镇街', town_name, '2' || town_code, * EXCLUDE (area, area_order, town_code, town_name)
    FROM heads
)
SELECT g.grouping, g.name, g.sort_key,
       count(*) AS principals,
       count(*) FILTER (WHERE g.age <= l.age_limit) AS under_age,
       count(*) FILTER (WHERE g.age <= l.age_limit) / count(*) AS under_age_share,
       count(*) FILTER (WHERE g.tenure > l.tenure_limit) AS over_tenure,
       count(*) FILTER (WHERE g.tenure > l.tenure_limit) / count(*) AS over_tenure_share,
       avg(g.age) AS mean_age, avg(g.tenure) AS mean_tenure,
       any_value(l.age_limit) AS age_limit, any_value(l.tenure_limit) AS tenure_limit,
       any_value(l.goal_young) AS goal_young
FROM grouped AS g
CROSS JOIN lim AS l
GROUP BY g.grouping, g.name, g.sort_key
ORDER BY g.sort_key;
