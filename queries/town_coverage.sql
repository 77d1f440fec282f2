-- name: town_coverage
-- purpose: per town, the facilities the plan requires in every 镇 by 2025 (T2, T3): a
--          公办寄宿制学校 and a 规范化公办中心幼儿园, counting only schools operating in the
--          year (pupils > 0, not closed). 街道 are listed but not required (plan: 不含街道).
-- param: year int 学年（起始年）
-- param: county text optional 县级区划代码（库中只有一个县时可省略）
-- columns: town_code, town_name, town_kind, required, public_boarding_schools,
--          standard_central_kindergartens, has_boarding, has_central_kg, schools, students
WITH towns AS NOT MATERIALIZED (
    SELECT * FROM towns WHERE substr(town_code, 1, 6) = $county
),
v_segments AS NOT MATERIALIZED (
    SELECT * EXCLUDE (county) FROM v_segments WHERE county = $county
),
operating AS (
    SELECT school_id, any_value(town_code) AS town_code, any_value(school_type) AS school_type,
           any_value(ownership) AS ownership, any_value(is_boarding) AS is_boarding,
           any_value(is_central) AS is_central, any_value(is_standardized) AS is_standardized,
           sum(students) AS students
    FROM v_segments
    WHERE year = $year AND (closed_year IS NULL OR closed_year > $year)
    GROUP BY school_id
    HAVING sum(students) > 0
),
per_town AS (
    SELECT town_code,
           count(*) FILTER (WHERE ownership = '公办' AND is_boarding AND school_type <> '幼儿园') AS public_boarding_schools,
           count(*) FILTER (WHERE school_type = '幼儿园' AND ownership = '公办' AND is_central AND is_standardized)
               AS standard_central_kindergartens,
           count(*) AS schools,
           sum(students) AS students
    FROM operating GROUP BY town_code
)
SELECT t.town_code, t.town_name, t.town_kind,
       t.town_kind = '镇' AS required,
       coalesce(p.public_boarding_schools, 0) AS public_boarding_schools,
       coalesce(p.standard_central_kindergartens, 0) AS standard_central_kindergartens,
       coalesce(p.public_boarding_schools, 0) > 0 AS has_boarding,
       coalesce(p.standard_central_kindergartens, 0) > 0 AS has_central_kg,
       coalesce(p.schools, 0) AS schools,
       coalesce(p.students, 0)::BIGINT AS students
FROM towns AS t
LEFT JOIN per_town AS p USING (town_code)
ORDER BY t.town_code;
