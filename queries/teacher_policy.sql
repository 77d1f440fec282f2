-- name: teacher_policy
-- purpose: teacher exchange (交流轮岗) per town and for the whole city, by the plan's rule
--          (exchanged ÷ all teachers, exchange_rate_all) and by the national rule (exchanged ÷
--          teachers eligible for exchange, exchange_rate_eligible; 骨干 among the exchanged,
--          exchanged_backbone_share), each over the stages its registry entry names and with
--          its registry threshold. Segments that leave a count empty are left out of that
--          ratio (numerator and base together), as v_indicator_values pairs them.
-- param: year int 学年（起始年）
-- param: county text optional 县级区划代码（库中只有一个县时可省略）
-- columns: scope, town_code, town_name, teachers, exchanged_all, rate_all, standard_all,
--          met_all, eligible, exchanged_eligible, rate_eligible, standard_eligible,
--          met_eligible, exchanged, exchanged_backbone, exchanged_backbone_share, standard_backbone,
--          met_backbone
WITH towns AS NOT MATERIALIZED (
    SELECT * FROM towns WHERE substr(town_code, 1, 6) = $county
),
v_segments AS NOT MATERIALIZED (
    SELECT * EXCLUDE (county) FROM v_segments WHERE county = $county
),
st AS (
    SELECT i.key, string_split(i.stages, ';') AS stages, s.value AS standard
    FROM ref_indicators AS i
    LEFT JOIN ref_standards AS s ON s.indicator_key = i.key AND s.scope = '全市'
    WHERE i.key IN ('exchange_rate_all', 'exchange_rate_eligible', 'exchanged_backbone_share')
),
parts AS (
    SELECT seg.town_code, seg.town_name,
           CASE WHEN list_contains(a.stages, seg.stage) AND seg.exchanged_teachers IS NOT NULL THEN seg.teachers END AS t_all,
           CASE WHEN list_contains(a.stages, seg.stage) AND seg.teachers IS NOT NULL THEN seg.exchanged_teachers END AS x_all,
           CASE WHEN list_contains(e.stages, seg.stage) AND seg.exchanged_teachers IS NOT NULL THEN seg.exchange_eligible END AS t_elig,
           CASE WHEN list_contains(e.stages, seg.stage) AND seg.exchange_eligible IS NOT NULL THEN seg.exchanged_teachers END AS x_elig,
           CASE WHEN list_contains(b.stages, seg.stage) AND seg.exchanged_backbone IS NOT NULL THEN seg.exchanged_teachers END AS x_base,
           CASE WHEN list_contains(b.stages, seg.stage) AND seg.exchanged_teachers IS NOT NULL THEN seg.exchanged_backbone END AS x_bb
    FROM v_segments AS seg
    CROSS JOIN (SELECT * FROM st WHERE key = 'exchange_rate_all') AS a
    CROSS JOIN (SELECT * FROM st WHERE key = 'exchange_rate_eligible') AS e
    CROSS JOIN (SELECT * FROM st WHERE key = 'exchanged_backbone_share') AS b
    WHERE seg.year = $year
),
agg AS (
    SELECT grouping(town_code) = 1 AS is_city, town_code, any_value(town_name) AS town_name,
           sum(t_all) AS teachers, sum(x_all) AS exchanged_all,
           sum(t_elig) AS eligible, sum(x_elig) AS exchanged_eligible,
           sum(x_base) AS exchanged, sum(x_bb) AS exchanged_backbone
    FROM parts
    GROUP BY GROUPING SETS ((town_code), ())
),
std AS (
    SELECT max(standard) FILTER (WHERE key = 'exchange_rate_all') AS s_all,
           max(standard) FILTER (WHERE key = 'exchange_rate_eligible') AS s_elig,
           max(standard) FILTER (WHERE key = 'exchanged_backbone_share') AS s_bb
    FROM st
)
SELECT
    CASE WHEN a.is_city THEN '全市' ELSE '镇街' END AS scope,
    CASE WHEN a.is_city THEN (SELECT min(substr(town_code, 1, 6)) FROM towns) ELSE a.town_code END AS town_code,
    CASE WHEN a.is_city THEN '全市' ELSE a.town_name END AS town_name,
    a.teachers::BIGINT AS teachers, a.exchanged_all::BIGINT AS exchanged_all,
    a.exchanged_all / nullif(a.teachers, 0) AS rate_all, s.s_all AS standard_all,
    a.exchanged_all / nullif(a.teachers, 0) >= s.s_all AS met_all,
    a.eligible::BIGINT AS eligible, a.exchanged_eligible::BIGINT AS exchanged_eligible,
    a.exchanged_eligible / nullif(a.eligible, 0) AS rate_eligible, s.s_elig AS standard_eligible,
    a.exchanged_eligible / nullif(a.eligible, 0) >= s.s_elig AS met_eligible,
    a.exchanged::BIGINT AS exchanged, a.exchanged_backbone::BIGINT AS exchanged_backbone,
    a.exchanged_backbone / nullif(a.exchanged, 0) AS exchanged_backbone_share, s.s_bb AS standard_backbone,
    a.exchanged_backbone / nullif(a.exchanged, 0) >= s.s_bb AS met_backbone
FROM agg AS a
CROSS JOIN std AS s
ORDER BY a.is_city DESC, a.town_code;
