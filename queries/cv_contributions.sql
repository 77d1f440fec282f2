-- name: cv_contributions
-- purpose: what drives the county 差异系数: for each 优质均衡 indicator of the stage, each
--          assessed school segment's term (P_i/P)(X_i − X̄)² of the weighted variance S²
--          and its share of S², and the CV recomputed without that segment (leave-one-out:
--          X̄' and S' over the other segments), ranked by share (rank 1 = largest driver).
--          Same segments and formula as balance_cv (see docs/METHODS.md, 差异系数). The county CV is always
--          computed over the whole county; `town` only filters the rows returned, so a town
--          page can list its own schools' contributions to the county CV.
-- param: year int 学年（起始年）
-- param: stage text 学段（小学/初中）
-- param: indicator text 指标代码或中文名称；空字符串 = 全部7项
-- param: town text 镇街区划代码或名称；空字符串 = 全市
-- param: county text optional 县级区划代码（库中只有一个县时可省略）
-- columns: year, stage, indicator, indicator_name, unit, school_id, school_name, school_type,
--          town_code, town_name, area, students, value, mean, standard, side, contribution,
--          contribution_share, cv, cv_without, cv_change, threshold, passes_without, rank
WITH v_segments AS NOT MATERIALIZED (
    SELECT * EXCLUDE (county) FROM v_segments WHERE county = $county
),
v_balance_values AS NOT MATERIALIZED (
    SELECT * EXCLUDE (county) FROM v_balance_values WHERE county = $county
),
v AS (
    SELECT b.*, b.denominator AS p
    FROM v_balance_values AS b
    WHERE b.year = $year
      AND b.stage = $stage
      AND ($indicator = '' OR b.indicator = $indicator OR b.indicator_name = $indicator)
      AND b.value IS NOT NULL
),
agg AS (
    SELECT indicator, sum(p) AS p_all, sum(p * value) AS px, sum(p * value * value) AS pxx, count(*) AS n
    FROM v GROUP BY indicator
),
terms AS (
    SELECT
        v.*,
        a.px / a.p_all AS mean,
        -- Weighted moments: S² = Σ(P_i/P)X_i² − X̄², equal to Σ(P_i/P)(X_i − X̄)².
        greatest(a.pxx / a.p_all - power(a.px / a.p_all, 2), 0) AS var_all,
        v.p / a.p_all * power(v.value - a.px / a.p_all, 2) AS contribution,
        a.p_all - v.p AS p_rest,
        a.px - v.p * v.value AS px_rest,
        a.pxx - v.p * v.value * v.value AS pxx_rest,
        a.n
    FROM v JOIN agg AS a USING (indicator)
),
loo AS (
    SELECT
        *,
        sqrt(var_all) / nullif(mean, 0) AS cv,
        CASE WHEN n > 1 AND p_rest > 0 AND px_rest > 0 THEN
            sqrt(greatest(pxx_rest / p_rest - power(px_rest / p_rest, 2), 0)) / (px_rest / p_rest)
        END AS cv_without,
        -- Ranked over the whole county before any town filter applies.
        rank() OVER (PARTITION BY indicator ORDER BY contribution DESC) AS rank
    FROM terms
)
SELECT
    l.year, l.stage, l.indicator, l.indicator_name, l.unit,
    l.school_id, seg.school_name, seg.school_type, l.town_code, seg.town_name, l.area,
    l.p::BIGINT AS students, l.value, l.mean, l.standard,
    CASE WHEN l.value >= l.mean THEN '高于均值' ELSE '低于均值' END AS side,
    l.contribution,
    l.contribution / nullif(l.var_all, 0) AS contribution_share,
    l.cv, l.cv_without,
    l.cv_without - l.cv AS cv_change,
    cap.value AS threshold,
    l.cv_without <= cap.value AS passes_without,
    l.rank
FROM loo AS l
JOIN v_segments AS seg ON seg.year = l.year AND seg.school_id = l.school_id AND seg.stage = l.stage
LEFT JOIN ref_standards AS cap ON cap.indicator_key = 'balance_cv' AND cap.scope = l.stage
JOIN ref_indicators AS ri ON ri.key = l.indicator
WHERE $town = '' OR l.town_code = $town OR seg.town_name = $town
ORDER BY ri.rowid, rank, l.school_id;
