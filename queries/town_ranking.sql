-- name: town_ranking
-- purpose: every town-level unit × every school-level registry indicator of the stage: the
--          town's pupil-weighted value k·ΣR/ΣP (as town_gaps), the city value, the gap, the
--          registry standard and whether the town meets it, and the town's rank among the
--          towns with a value (1 = best, by the indicator's direction). Units without data
--          for the stage are kept with NULL values so that every unit is listed.
-- param: year int 学年（起始年）
-- param: stage text 学段（学前/小学/初中/高中/特教）
-- param: county text optional 县级区划代码（库中只有一个县时可省略）
-- columns: town_code, town_name, town_kind, indicator, indicator_name, indicator_short, unit, direction,
--          town_value, city_value, gap, ratio_to_city, standard, comparator, meets_standard,
--          rank, ranked, students
WITH towns AS NOT MATERIALIZED (
    SELECT * FROM towns WHERE substr(town_code, 1, 6) = $county
),
v_segments AS NOT MATERIALIZED (
    SELECT * EXCLUDE (county) FROM v_segments WHERE county = $county
),
v_town_values AS NOT MATERIALIZED (
    SELECT * EXCLUDE (county) FROM v_town_values WHERE county = $county
),
v_city_values AS NOT MATERIALIZED (
    SELECT * EXCLUDE (county) FROM v_city_values WHERE county = $county
),
town AS (
    SELECT * FROM v_town_values WHERE year = $year AND stage = $stage
),
ind AS (
    SELECT DISTINCT indicator FROM town
),
city AS (
    SELECT * FROM v_city_values WHERE year = $year AND stage = $stage
),
pupils AS (
    SELECT town_code, sum(students) AS students
    FROM v_segments WHERE year = $year AND stage = $stage GROUP BY town_code
),
grid AS (
    SELECT
        tw.town_code, tw.town_name, tw.town_kind, ind.indicator,
        ri.name_zh AS indicator_name, ri.short_zh AS indicator_short, ri.unit, ri.direction,
        ri.rowid AS sort_key,
        t.town_value, c.city_value,
        s.value AS standard, s.comparator,
        p.students
    FROM towns AS tw
    CROSS JOIN ind
    JOIN ref_indicators AS ri ON ri.key = ind.indicator
    LEFT JOIN town AS t ON t.town_code = tw.town_code AND t.indicator = ind.indicator
    LEFT JOIN city AS c ON c.indicator = ind.indicator
    LEFT JOIN pupils AS p ON p.town_code = tw.town_code
    LEFT JOIN ref_standards AS s ON s.indicator_key = ind.indicator AND s.scope = $stage
)
SELECT
    town_code, town_name, town_kind, indicator, indicator_name, indicator_short, unit, direction,
    town_value, city_value,
    town_value - city_value AS gap,
    CASE WHEN city_value <> 0 THEN town_value / city_value END AS ratio_to_city,
    standard, comparator,
    CASE comparator
        WHEN '>=' THEN town_value >= standard
        WHEN '>' THEN town_value > standard
        WHEN '<=' THEN town_value <= standard
        WHEN '<' THEN town_value < standard
    END AS meets_standard,
    CASE WHEN town_value IS NOT NULL THEN
        rank() OVER (
            PARTITION BY indicator
            ORDER BY CASE WHEN town_value IS NULL THEN 1 ELSE 0 END,
                     CASE WHEN direction = 'lower' THEN town_value ELSE -town_value END
        )
    END AS rank,
    count(town_value) OVER (PARTITION BY indicator) AS ranked,
    students::BIGINT AS students
FROM grid
ORDER BY sort_key, town_code;
