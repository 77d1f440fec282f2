-- name: town_schools
-- purpose: the schools of one town in the year, one row per stage segment, with their main
--          figures and, for assessed 小学/初中 segments, the 优质均衡 resource rule (same rule
--          as school_compliance: at least `school_pass_min_met` indicators at standard, none
--          below `school_pass_floor_ratio` of it) and the indicators below standard.
-- param: year int 学年（起始年）
-- param: town text 镇街区划代码（12位）
-- param: county text optional 县级区划代码（库中只有一个县时可省略）
-- columns: school_id, school_name, school_type, ownership, area, stage, students, classes,
--          teachers, boarders, is_boarding, is_central, is_standardized, met_count,
--          passes_6_of_7, below_standard
WITH v_segments AS NOT MATERIALIZED (
    SELECT * EXCLUDE (county) FROM v_segments WHERE county = $county
),
v_balance_values AS NOT MATERIALIZED (
    SELECT * EXCLUDE (county) FROM v_balance_values WHERE county = $county
),
seg AS (
    SELECT * FROM v_segments WHERE year = $year AND town_code = $town
),
assessed AS (
    SELECT b.school_id, b.stage,
           count(*) FILTER (WHERE b.value >= b.standard) AS met_count,
           min(coalesce(b.value / b.standard, 0)) AS min_ratio,
           string_agg(b.indicator_name, '、' ORDER BY ri.rowid) FILTER (WHERE NOT coalesce(b.value >= b.standard, false))
               AS below_standard
    FROM v_balance_values AS b
    JOIN ref_indicators AS ri ON ri.key = b.indicator
    WHERE b.year = $year AND b.town_code = $town
    GROUP BY b.school_id, b.stage
)
SELECT
    seg.school_id, seg.school_name, seg.school_type, seg.ownership, seg.area, seg.stage,
    seg.students, seg.classes, seg.teachers, seg.boarders,
    seg.is_boarding, seg.is_central, seg.is_standardized,
    a.met_count,
    CASE WHEN a.school_id IS NOT NULL THEN a.met_count >= mm.value AND a.min_ratio >= fl.value END
        AS passes_6_of_7,
    a.below_standard
FROM seg
LEFT JOIN assessed AS a USING (school_id, stage)
LEFT JOIN ref_standards AS mm ON mm.indicator_key = 'school_pass_min_met' AND mm.scope = seg.stage
LEFT JOIN ref_standards AS fl ON fl.indicator_key = 'school_pass_floor_ratio' AND fl.scope = seg.stage
ORDER BY CASE seg.stage WHEN '学前' THEN 1 WHEN '小学' THEN 2 WHEN '初中' THEN 3 WHEN '高中' THEN 4 ELSE 5 END,
         seg.school_id;
