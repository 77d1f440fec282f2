-- name: school_compliance
-- purpose: per school segment (小学/初中, assessed set), each 优质均衡 resource indicator
--          against its standard, and the school rule: at least `school_pass_min_met`
--          indicators at standard and none below `school_pass_floor_ratio` of it.
-- param: year int 学年（起始年）
-- param: county text optional 县级区划代码（库中只有一个县时可省略）
-- columns: year, school_id, school_name, school_type, town_code, town_name, area, stage,
--          students, indicator, indicator_name, unit, value, standard, ratio_to_standard,
--          met, met_count, min_ratio, passes_6_of_7
WITH v_segments AS NOT MATERIALIZED (
    SELECT * EXCLUDE (county) FROM v_segments WHERE county = $county
),
v_balance_values AS NOT MATERIALIZED (
    SELECT * EXCLUDE (county) FROM v_balance_values WHERE county = $county
),
v AS (
    SELECT b.*, b.value / b.standard AS ratio_to_standard, b.value >= b.standard AS met
    FROM v_balance_values AS b
    WHERE b.year = $year
),
per_school AS (
    SELECT year, school_id, stage,
           count(*) FILTER (WHERE met) AS met_count,
           min(coalesce(ratio_to_standard, 0)) AS min_ratio
    FROM v GROUP BY year, school_id, stage
)
SELECT
    v.year, v.school_id, seg.school_name, seg.school_type, seg.town_code, seg.town_name,
    seg.area, v.stage, seg.students,
    v.indicator, v.indicator_name, v.unit, v.value, v.standard, v.ratio_to_standard,
    coalesce(v.met, false) AS met,
    ps.met_count, ps.min_ratio,
    ps.met_count >= mm.value AND ps.min_ratio >= fl.value AS passes_6_of_7
FROM v
JOIN per_school AS ps USING (year, school_id, stage)
JOIN v_segments AS seg ON seg.year = v.year AND seg.school_id = v.school_id AND seg.stage = v.stage
LEFT JOIN ref_standards AS mm ON mm.indicator_key = 'school_pass_min_met' AND mm.scope = v.stage
LEFT JOIN ref_standards AS fl ON fl.indicator_key = 'school_pass_floor_ratio' AND fl.scope = v.stage
JOIN ref_indicators AS ri ON ri.key = v.indicator
ORDER BY seg.town_code, v.school_id, v.stage, ri.rowid;
