-- name: balance_cv
-- purpose: 校际差异系数 (official pupil-weighted CV) of each of the 7 优质均衡 resource
--          indicators, 小学 and 初中 separately, against the registry's cap (see docs/METHODS.md, 差异系数).
--          X̄ = k·ΣR/ΣP, S = √(Σ(P_i/P)(X_i − X̄)²), CV = S/X̄. Segments of 一贯制/完全中学
--          count separately; 特殊教育学校, 教学点 below the registry threshold and segments
--          with no pupils are excluded (v_segments.in_cv).
-- param: year int 学年（起始年）
-- columns: year, stage, indicator, indicator_name, unit, mean, sd, cv, threshold, passed,
--          schools, students
WITH v AS (
    SELECT * FROM v_balance_values WHERE year = $year AND value IS NOT NULL
),
agg AS (
    SELECT year, stage, indicator, any_value(indicator_name) AS indicator_name,
           any_value(unit) AS unit, any_value(scale) AS k,
           sum(numerator) AS r, sum(denominator) AS p, count(*) AS schools
    FROM v GROUP BY year, stage, indicator
),
spread AS (
    SELECT v.year, v.stage, v.indicator,
           sqrt(sum(v.denominator / a.p * power(v.value - a.k * a.r / a.p, 2))) AS sd
    FROM v JOIN agg AS a USING (year, stage, indicator)
    GROUP BY v.year, v.stage, v.indicator
)
SELECT
    a.year, a.stage, a.indicator, a.indicator_name, a.unit,
    a.k * a.r / a.p AS mean,
    s.sd,
    s.sd / (a.k * a.r / a.p) AS cv,
    cap.value AS threshold,
    s.sd / (a.k * a.r / a.p) <= cap.value AS passed,
    a.schools,
    a.p::BIGINT AS students
FROM agg AS a
JOIN spread AS s USING (year, stage, indicator)
LEFT JOIN ref_standards AS cap ON cap.indicator_key = 'balance_cv' AND cap.scope = a.stage
JOIN ref_indicators AS ri ON ri.key = a.indicator
ORDER BY a.stage DESC, ri.rowid;
