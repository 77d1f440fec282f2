-- name: teacher_trend
-- purpose: the city's teacher-policy figures in every school year up to $year: exchange rate
--          by the plan (÷ all teachers) and by the national rule (÷ eligible), 骨干 share of
--          the exchanged, rural (乡村, 城乡分类 2xx) principals at most principal_age_limit old, and
--          principals longer than principal_tenure_limit_years in post, with their registry
--          thresholds.
-- param: year int 学年（起始年）：该学年及以前各学年
-- param: county text optional 县级区划代码（库中只有一个县时可省略）
-- columns: year, rate_all, standard_all, rate_eligible, standard_eligible, exchanged_backbone_share,
--          standard_backbone, rural_principals, rural_young_share, standard_rural_young,
--          principals, over_tenure_share, standard_over_tenure
WITH schools AS NOT MATERIALIZED (
    SELECT * FROM schools WHERE substr(town_code, 1, 6) = $county
),
school_years AS NOT MATERIALIZED (
    SELECT * FROM school_years WHERE school_id IN (SELECT school_id FROM schools)
),
principals AS NOT MATERIALIZED (
    SELECT * FROM principals WHERE school_id IN (SELECT school_id FROM schools)
),
st AS (
    SELECT i.key, string_split(i.stages, ';') AS stages
    FROM ref_indicators AS i
    WHERE i.key IN ('exchange_rate_all', 'exchange_rate_eligible', 'exchanged_backbone_share')
),
exch AS (
    SELECT y.year,
           sum(y.exchanged_teachers) FILTER (WHERE list_contains(a.stages, y.stage) AND y.teachers IS NOT NULL)
               / nullif(sum(y.teachers) FILTER (WHERE list_contains(a.stages, y.stage) AND y.exchanged_teachers IS NOT NULL), 0)
               AS rate_all,
           sum(y.exchanged_teachers) FILTER (WHERE list_contains(e.stages, y.stage) AND y.exchange_eligible IS NOT NULL)
               / nullif(sum(y.exchange_eligible) FILTER (WHERE list_contains(e.stages, y.stage) AND y.exchanged_teachers IS NOT NULL), 0)
               AS rate_eligible,
           sum(y.exchanged_backbone) FILTER (WHERE list_contains(b.stages, y.stage) AND y.exchanged_teachers IS NOT NULL)
               / nullif(sum(y.exchanged_teachers) FILTER (WHERE list_contains(b.stages, y.stage) AND y.exchanged_backbone IS NOT NULL), 0)
               AS exchanged_backbone_share
    FROM school_years AS y
    CROSS JOIN (SELECT * FROM st WHERE key = 'exchange_rate_all') AS a
    CROSS JOIN (SELECT * FROM st WHERE key = 'exchange_rate_eligible') AS e
    CROSS JOIN (SELECT * FROM st WHERE key = 'exchanged_backbone_share') AS b
    WHERE y.year <= $year
    GROUP BY y.year
),
lim AS (
    SELECT max(value) FILTER (WHERE indicator_key = 'principal_age_limit') AS age_limit,
           max(value) FILTER (WHERE indicator_key = 'principal_tenure_limit_years') AS tenure_limit,
           max(value) FILTER (WHERE indicator_key = 'exchange_rate_all') AS s_all,
           max(value) FILTER (WHERE indicator_key = 'exchange_rate_eligible') AS s_elig,
           max(value) FILTER (WHERE indicator_key = 'exchanged_backbone_share') AS s_bb,
           max(value) FILTER (WHERE indicator_key = 'rural_principals_under45_share') AS s_young,
           max(value) FILTER (WHERE indicator_key = 'principals_over10y_share') AS s_tenure
    FROM ref_standards WHERE scope = '全市'
),
heads AS (
    SELECT p.year,
           count(*) FILTER (WHERE u.area = '乡村') AS rural_principals,
           count(*) FILTER (WHERE u.area = '乡村' AND p.year - p.birth_year <= l.age_limit) AS rural_young,
           count(*) AS principals,
           count(*) FILTER (WHERE p.year - p.post_start_year > l.tenure_limit) AS over_tenure
    FROM principals AS p
    JOIN schools AS s USING (school_id)
    LEFT JOIN ref_ur_codes AS u ON u.ur_code = s.ur_code
    CROSS JOIN lim AS l
    WHERE p.year <= $year
    GROUP BY p.year
)
SELECT
    y.year,
    x.rate_all, l.s_all AS standard_all,
    x.rate_eligible, l.s_elig AS standard_eligible,
    x.exchanged_backbone_share, l.s_bb AS standard_backbone,
    h.rural_principals, h.rural_young / nullif(h.rural_principals, 0) AS rural_young_share,
    l.s_young AS standard_rural_young,
    h.principals, h.over_tenure / nullif(h.principals, 0) AS over_tenure_share,
    l.s_tenure AS standard_over_tenure
FROM (SELECT year FROM exch UNION SELECT year FROM heads) AS y
LEFT JOIN exch AS x USING (year)
LEFT JOIN heads AS h USING (year)
CROSS JOIN lim AS l
ORDER BY y.year;
