-- name: teacher_distribution
-- purpose: teachers above the required degree (高于规定学历) and 县级以上骨干 teachers of a
--          stage by town and by 城区/镇区/乡村: shares of the teachers and per 100 pupils
--          (pupil-weighted ratios ΣR/ΣP), with the 优质均衡 standard per 100 pupils of the stage.
-- param: year int 学年（起始年）
-- param: stage text 学段（学前/小学/初中/高中/特教）
-- param: county text optional 县级区划代码（库中只有一个县时可省略）
-- columns: grouping, name, sort_key, students, teachers, above_degree, backbone,
--          above_degree_share, backbone_share, above_degree_per100, backbone_per100,
--          standard_degree_per100, standard_backbone_per100
WITH v_segments AS NOT MATERIALIZED (
    SELECT * EXCLUDE (county) FROM v_segments WHERE county = $county
),
seg AS (
    SELECT s.*, o.sort_order AS area_order
    FROM v_segments AS s
    LEFT JOIN ref_areas AS o ON o.area = s.area
    WHERE s.year = $year AND s.stage = $stage
),
grouped AS (
    SELECT '城乡' AS grouping, coalesce(area, '未知') AS name, '1' || coalesce(area_order::VARCHAR, '9') AS sort_key,
           students, teachers, teachers_above_degree, backbone_teachers
    FROM seg
    UNION ALL
    SELECT '镇街', town_name, '2' || town_code, students, teachers, teachers_above_degree, backbone_teachers
    FROM seg
    UNION ALL
    SELECT '全市', '全市', '0', students, teachers, teachers_above_degree, backbone_teachers
    FROM seg
)
SELECT g.grouping, g.name, g.sort_key,
       sum(g.students)::BIGINT AS students, sum(g.teachers)::BIGINT AS teachers,
       sum(g.teachers_above_degree)::BIGINT AS above_degree, sum(g.backbone_teachers)::BIGINT AS backbone,
       sum(g.teachers_above_degree) / nullif(sum(g.teachers) FILTER (WHERE g.teachers_above_degree IS NOT NULL), 0)
           AS above_degree_share,
       sum(g.backbone_teachers) / nullif(sum(g.teachers) FILTER (WHERE g.backbone_teachers IS NOT NULL), 0)
           AS backbone_share,
       100 * sum(g.teachers_above_degree) / nullif(sum(g.students) FILTER (WHERE g.teachers_above_degree IS NOT NULL), 0)
           AS above_degree_per100,
       100 * sum(g.backbone_teachers) / nullif(sum(g.students) FILTER (WHERE g.backbone_teachers IS NOT NULL), 0)
           AS backbone_per100,
       any_value(sd.value) AS standard_degree_per100,
       any_value(sb.value) AS standard_backbone_per100
FROM grouped AS g
LEFT JOIN ref_standards AS sd ON sd.indicator_key = 'degree_teachers_per100' AND sd.scope = $stage
LEFT JOIN ref_standards AS sb ON sb.indicator_key = 'backbone_per100' AND sb.scope = $stage
GROUP BY g.grouping, g.name, g.sort_key
ORDER BY g.sort_key;
