-- name: balance_inputs
-- purpose: the raw inputs of the 优质均衡 assessment per school segment and indicator, for
--          the what-if and merge calculations done in Python (edubalance.analytics): the
--          numerator column (measure) and amount R, pupils P, value k·R/P, the standard, and
--          the stage's rules from the registry (CV cap, 6-of-7 count, 85% floor). Every
--          segment of the assessed stages is listed, including those outside the CV set
--          (in_cv = false: 教学点 below the threshold, no pupils), so merges can move them.
-- param: year int 学年（起始年）
-- param: county text optional 县级区划代码（库中只有一个县时可省略）
-- columns: year, school_id, school_name, school_type, town_code, town_name, area, ur_code,
--          is_central, lon, lat, stage, students, in_cv, indicator, indicator_name, short_name,
--          unit, scale, measure, numerator, denominator, value, standard, cv_cap, min_met,
--          floor_ratio
WITH v_segments AS NOT MATERIALIZED (
    SELECT * EXCLUDE (county) FROM v_segments WHERE county = $county
),
v_indicator_values AS NOT MATERIALIZED (
    SELECT * EXCLUDE (county) FROM v_indicator_values WHERE county = $county
)
SELECT
    v.year, v.school_id, seg.school_name, seg.school_type, v.town_code, seg.town_name, v.area,
    seg.ur_code, seg.is_central, seg.lon, seg.lat, v.stage, seg.students, v.in_cv,
    v.indicator, v.indicator_name, ri.short_zh AS short_name, v.unit, v.scale,
    ri.numerator AS measure, v.numerator, v.denominator, v.value,
    s.value AS standard,
    cap.value AS cv_cap,
    mm.value AS min_met,
    fl.value AS floor_ratio
FROM v_indicator_values AS v
JOIN ref_indicators AS ri ON ri.key = v.indicator
JOIN ref_standards AS s ON s.indicator_key = v.indicator AND s.scope = v.stage AND s.comparator = '>='
JOIN v_segments AS seg ON seg.year = v.year AND seg.school_id = v.school_id AND seg.stage = v.stage
LEFT JOIN ref_standards AS cap ON cap.indicator_key = 'balance_cv' AND cap.scope = v.stage
LEFT JOIN ref_standards AS mm ON mm.indicator_key = 'school_pass_min_met' AND mm.scope = v.stage
LEFT JOIN ref_standards AS fl ON fl.indicator_key = 'school_pass_floor_ratio' AND fl.scope = v.stage
WHERE v.year = $year
  AND v.group_zh = '义务教育优质均衡（资源配置）'
ORDER BY v.stage DESC, seg.town_code, v.school_id, ri.rowid;
