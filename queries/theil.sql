-- name: theil
-- purpose: Theil T (GE(1)) of one school-level indicator across the school segments of a
--          stage, pupil-weighted, with the exact decomposition into between-group and
--          within-group parts (see docs/METHODS.md, 泰尔指数): groups are towns (grouping=town) or
--          城区/镇区/乡村 (grouping=urban_rural; any other grouping gives no rows).
--          T = Σ (w_i/W)(x_i/μ) ln(x_i/μ), μ = Σw_i x_i / W, w_i = 在校生数, x_i = the
--          indicator value; a value of 0 contributes 0 (the limit of x·ln x).
--          between = Σ_g S_g ln(μ_g/μ), within = Σ_g S_g T_g, S_g = Σ_{i∈g} w_i x_i / (Wμ).
--          Units: for stages assessed under 优质均衡 (those with a balance_cv cap: 小学, 初中)
--          the same segments as balance_cv (v_segments.in_cv); for other stages every
--          segment with pupils. Segments whose value is undefined (zero denominator) are left out.
--          `indicator` takes the registry key (as in balance_cv's indicator column) or the
--          Chinese name.
-- param: year int 学年（起始年）
-- param: stage text 学段（学前/小学/初中/高中/特教）
-- param: indicator text 指标代码或中文名称（如 equipment_per_pupil / 生均教学仪器设备值）
-- param: grouping text 分组：town（镇街）或 urban_rural（城区/镇区/乡村）
-- param: county text optional 县级区划代码（库中只有一个县时可省略）
-- columns: year, stage, indicator, indicator_name, grouping, groups, schools, students,
--          mean, total, between, within, between_share
WITH v_inequality_units AS NOT MATERIALIZED (
    SELECT * EXCLUDE (county) FROM v_inequality_units WHERE county = $county
),
units AS (
    SELECT year, stage, indicator, indicator_name,
        CASE $grouping
            WHEN 'town' THEN town_code
            WHEN 'urban_rural' THEN area
        END AS grp,
        w, x
    FROM v_inequality_units
    WHERE year = $year
      AND stage = $stage
      AND (indicator = $indicator OR indicator_name = $indicator)
),
valid AS (
    SELECT * FROM units WHERE grp IS NOT NULL
),
tot AS (
    SELECT sum(w) AS w_all, sum(w * x) AS wx_all FROM valid
),
grp AS (
    SELECT grp, sum(w * x) / nullif(sum(w), 0) AS mu_g FROM valid GROUP BY grp
),
terms AS (
    SELECT
        u.*,
        t.wx_all / nullif(t.w_all, 0) AS mu,
        g.mu_g,
        -- s_i = (w_i/W)(x_i/μ), the unit's share of the total resource.
        u.w * u.x / nullif(t.wx_all, 0) AS s_i
    FROM valid AS u
    CROSS JOIN tot AS t
    JOIN grp AS g USING (grp)
),
agg AS (
    SELECT
        any_value(year) AS year, any_value(stage) AS stage, any_value(indicator) AS indicator,
        any_value(indicator_name) AS indicator_name,
        count(DISTINCT grp) AS groups,
        count(*) AS schools,
        sum(w)::BIGINT AS students,
        any_value(mu) AS mean,
        -- Zero values contribute 0; with μ = 0 (all zero) Theil is undefined and stays NULL.
        CASE WHEN any_value(mu) > 0 THEN sum(CASE WHEN x > 0 THEN s_i * ln(x / mu) ELSE 0 END) END AS total,
        CASE WHEN any_value(mu) > 0 THEN sum(CASE WHEN x > 0 THEN s_i * ln(mu_g / mu) ELSE 0 END) END AS between_part,
        CASE WHEN any_value(mu) > 0 THEN sum(CASE WHEN x > 0 THEN s_i * ln(x / mu_g) ELSE 0 END) END AS within_part
    FROM terms
    HAVING count(*) > 0
)
SELECT
    year, stage, indicator, indicator_name, $grouping AS grouping, groups, schools, students, mean,
    total,
    between_part AS "between",
    within_part AS within,
    CASE WHEN total > 0 THEN between_part / total END AS between_share
FROM agg;
