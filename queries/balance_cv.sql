-- name: balance_cv
-- purpose: 校际差异系数 (official pupil-weighted CV) of each of the 7 优质均衡 resource
--          indicators, 小学 and 初中 separately, against the registry's cap (see docs/METHODS.md, 差异系数).
--          X̄ = k·ΣR/ΣP, S = √(Σ(P_i/P)(X_i − X̄)²), CV = S/X̄. Segments of 一贯制/完全中学
--          count separately; 特殊教育学校, 教学点 below the registry threshold and segments
--          with no pupils are excluded (v_segments.in_cv). The formula lives once, in v_county_cv
--          (its macro county_cv).
-- param: year int 学年（起始年）
-- param: county text optional 县级区划代码（库中只有一个县时可省略）
-- columns: year, stage, indicator, indicator_name, unit, mean, sd, cv, threshold, passed,
--          schools, students
WITH v_county_cv AS NOT MATERIALIZED (
    -- v_county_cv's formula through its macro: only this county's year is computed
    SELECT * EXCLUDE (county) FROM county_cv($year, $county)
)
SELECT
    c.year, c.stage, c.indicator, c.indicator_name, c.unit, c.mean, c.sd, c.cv, c.threshold,
    c.passed, c.schools, c.students
FROM v_county_cv AS c
JOIN ref_indicators AS ri ON ri.key = c.indicator
WHERE c.year = $year
ORDER BY c.stage DESC, ri.rowid;
