-- name: preschool_towns
-- purpose: 学前 per town for the school year: kindergartens and children, 公办 and 普惠 shares,
--          children per teacher, mean class size, and the town's central kindergarten(s)
--          (中心校园) with whether one is a 规范化公办中心幼儿园 — required in every 镇 (plan T3;
--          a 民办 or non-规范化 central kindergarten does not count).
-- param: year int 学年（起始年）
-- param: county text optional 县级区划代码（库中只有一个县时可省略）
-- columns: town_code, town_name, town_kind, required, kindergartens, children, public_share,
--          inclusive_coverage, children_per_teacher, standard_children_per_teacher,
--          mean_class_size, central_kindergartens, has_standard_central
WITH towns AS NOT MATERIALIZED (
    SELECT * FROM towns WHERE substr(town_code, 1, 6) = $county
),
schools AS NOT MATERIALIZED (
    SELECT * FROM schools WHERE substr(town_code, 1, 6) = $county
),
v_segments AS NOT MATERIALIZED (
    SELECT * EXCLUDE (county) FROM v_segments WHERE county = $county
),
kg AS (
    SELECT * FROM v_segments WHERE stage = '学前' AND year = $year
),
per_town AS (
    SELECT town_code,
           count(DISTINCT school_id) FILTER (WHERE school_type = '幼儿园' AND students > 0) AS kindergartens,
           sum(students) AS children,
           sum(students) FILTER (WHERE ownership = '公办') / nullif(sum(students), 0) AS public_share,
           sum(students) FILTER (WHERE ownership = '公办' OR inclusive) / nullif(sum(students), 0) AS inclusive_coverage,
           sum(students) FILTER (WHERE teachers IS NOT NULL) / nullif(sum(teachers), 0) AS children_per_teacher,
           sum(students) FILTER (WHERE classes IS NOT NULL) / nullif(sum(classes), 0) AS mean_class_size
    FROM kg GROUP BY town_code
),
central AS (
    SELECT s.town_code,
           string_agg(
               s.school_name || '（' || s.ownership || CASE WHEN s.is_standardized THEN '·规范化' ELSE '·未规范化' END || '）',
               '；' ORDER BY s.school_id
           ) AS central_kindergartens,
           bool_or(s.ownership = '公办' AND coalesce(s.is_standardized, false)) AS has_standard_central
    FROM schools AS s
    JOIN kg ON kg.school_id = s.school_id AND kg.students > 0
    WHERE s.school_type = '幼儿园' AND s.is_central
      AND (s.closed_year IS NULL OR s.closed_year > $year)
    GROUP BY s.town_code
)
SELECT t.town_code, t.town_name, t.town_kind, t.town_kind = '镇' AS required,
       coalesce(p.kindergartens, 0) AS kindergartens, coalesce(p.children, 0)::BIGINT AS children,
       p.public_share, p.inclusive_coverage, p.children_per_teacher,
       (SELECT value FROM ref_standards WHERE indicator_key = 'preschool_children_per_teacher' AND scope = '学前')
           AS standard_children_per_teacher,
       p.mean_class_size, coalesce(c.central_kindergartens, '无') AS central_kindergartens, coalesce(c.has_standard_central, false) AS has_standard_central
FROM towns AS t
LEFT JOIN per_town AS p USING (town_code)
LEFT JOIN central AS c USING (town_code)
ORDER BY t.town_code;
