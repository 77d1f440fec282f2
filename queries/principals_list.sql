-- name: principals_list
-- purpose: every 正职校（园）长 of the school year with age and years in post, flagged when
--          at most principal_age_limit years old (“45岁以下” includes 45) and when longer than
--          principal_tenure_limit_years in the same post (the plan: 一般不超过10年; with
--          over_tenure the list is T9's monitored list, name and 备注 included), longest
--          tenure first.
-- param: year int 学年（起始年）
-- param: county text optional 县级区划代码（库中只有一个县时可省略）
-- columns: school_id, school_name, school_type, town_code, town_name, area, ur_code, age,
--          tenure, under_age, over_tenure, principal_name, note
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
           max(value) FILTER (WHERE indicator_key = 'principal_tenure_limit_years') AS tenure_limit
    FROM ref_standards WHERE scope = '全市'
)
SELECT p.school_id, s.school_name, s.school_type, t.town_code, t.town_name, u.area, s.ur_code,
       p.year - p.birth_year AS age, p.year - p.post_start_year AS tenure,
       p.year - p.birth_year <= l.age_limit AS under_age,
       p.year - p.post_start_year > l.tenure_limit AS over_tenure,
       p.principal_name, p.note
FROM principals AS p
JOIN schools AS s USING (school_id)
JOIN towns AS t ON t.town_code = s.town_code
LEFT JOIN ref_ur_codes AS u ON u.ur_code = s.ur_code
CROSS JOIN lim AS l
WHERE p.year = $year
ORDER BY tenure DESC, p.school_id;
