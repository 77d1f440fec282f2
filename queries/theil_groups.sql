-- name: theil_groups
-- purpose: the groups behind the `theil` decomposition (same units and weights): for each
--          town (grouping=town) or 城区/镇区/乡村 (grouping=urban_rural), its pupil-weighted
--          mean μ_g, resource share S_g, pupil share, inner Theil T_g and its two terms,
--          S_g·ln(μ_g/μ) (between) and S_g·T_g (within); the terms add up to the query
--          `theil`'s between and within. Any other grouping gives no rows.
-- param: year int 学年（起始年）
-- param: stage text 学段（学前/小学/初中/高中/特教）
-- param: indicator text 指标代码或中文名称
-- param: grouping text 分组：town（镇街）或 urban_rural（城区/镇区/乡村）
-- param: county text optional 县级区划代码（库中只有一个县时可省略）
-- columns: grp, group_name, schools, students, pupil_share, group_mean, mean, ratio_to_mean,
--          resource_share, group_theil, between_term, within_term, standard
WITH towns AS NOT MATERIALIZED (
    SELECT * FROM towns WHERE substr(town_code, 1, 6) = $county
),
v_inequality_units AS NOT MATERIALIZED (
    SELECT * EXCLUDE (county) FROM v_inequality_units WHERE county = $county
),
valid AS (
    SELECT
        CASE $grouping
            WHEN 'town' THEN town_code
            WHEN 'urban_rural' THEN area
        END AS grp,
        w, x
    FROM v_inequality_units
    WHERE year = $year
      AND stage = $stage
      AND (indicator = $indicator OR indicator_name = $indicator)
      AND $grouping IN ('town', 'urban_rural')
),
terms AS (
    SELECT
        *,
        sum(w * x) OVER () / nullif(sum(w) OVER (), 0) AS mu,
        sum(w * x) OVER (PARTITION BY grp) / nullif(sum(w) OVER (PARTITION BY grp), 0) AS mu_g,
        w * x / nullif(sum(w * x) OVER (), 0) AS s_i,
        w / sum(w) OVER () AS p_i
    FROM valid
),
agg AS (
    SELECT
        grp,
        count(*) AS schools,
        sum(w)::BIGINT AS students,
        sum(p_i) AS pupil_share,
        any_value(mu_g) AS group_mean,
        any_value(mu) AS mean,
        sum(s_i) AS resource_share,
        CASE WHEN any_value(mu) > 0 THEN sum(CASE WHEN x > 0 THEN s_i * ln(mu_g / mu) ELSE 0 END) END AS between_term,
        CASE WHEN any_value(mu) > 0 THEN sum(CASE WHEN x > 0 THEN s_i * ln(x / mu_g) ELSE 0 END) END AS within_term
    FROM terms
    GROUP BY grp
)
SELECT
    a.grp,
    coalesce(t.town_name, a.grp) AS group_name,
    a.schools, a.students, a.pupil_share, a.group_mean, a.mean,
    a.group_mean / nullif(a.mean, 0) AS ratio_to_mean,
    a.resource_share,
    -- T_g = within_term / S_g (the group's own Theil index)
    CASE WHEN a.resource_share > 0 THEN a.within_term / a.resource_share END AS group_theil,
    a.between_term,
    a.within_term,
    st.value AS standard
FROM agg AS a
LEFT JOIN ref_indicators AS ri ON ri.key = $indicator OR ri.name_zh = $indicator
LEFT JOIN ref_standards AS st ON st.indicator_key = ri.key AND st.scope = $stage
LEFT JOIN towns AS t ON $grouping = 'town' AND t.town_code = a.grp
LEFT JOIN ref_areas AS o ON o.area = a.grp
ORDER BY o.sort_order NULLS LAST, a.grp;
