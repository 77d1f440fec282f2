-- name: special_groups
-- purpose: special groups of pupils by town (plan item 14): boarders (寄宿生), left-behind
--          children (留守儿童) and disabled pupils in regular classes (随班就读), in the
--          小学/初中/高中 segments of the school year, with their share of the pupils of the
--          segments that report the count (counts left empty are not zeros).
-- param: year int 学年（起始年）
-- param: county text optional 县级区划代码（库中只有一个县时可省略）
-- columns: town_code, town_name, town_kind, students, boarders, boarder_share, left_behind,
--          left_behind_share, disabled_inclusive, disabled_per100
WITH towns AS NOT MATERIALIZED (
    SELECT * FROM towns WHERE substr(town_code, 1, 6) = $county
),
v_segments AS NOT MATERIALIZED (
    SELECT * EXCLUDE (county) FROM v_segments WHERE county = $county
),
seg AS (
    SELECT * FROM v_segments WHERE year = $year AND stage IN ('小学', '初中', '高中')
),
per_town AS (
    SELECT town_code,
           sum(students) AS students,
           sum(boarders) AS boarders,
           sum(boarders) / nullif(sum(students) FILTER (WHERE boarders IS NOT NULL), 0) AS boarder_share,
           sum(left_behind) AS left_behind,
           sum(left_behind) / nullif(sum(students) FILTER (WHERE left_behind IS NOT NULL), 0) AS left_behind_share,
           sum(disabled_inclusive) AS disabled_inclusive,
           100 * sum(disabled_inclusive) / nullif(sum(students) FILTER (WHERE disabled_inclusive IS NOT NULL), 0)
               AS disabled_per100
    FROM seg GROUP BY town_code
)
SELECT t.town_code, t.town_name, t.town_kind,
       coalesce(p.students, 0)::BIGINT AS students,
       p.boarders::BIGINT AS boarders, p.boarder_share,
       p.left_behind::BIGINT AS left_behind, p.left_behind_share,
       p.disabled_inclusive::BIGINT AS disabled_inclusive, p.disabled_per100
FROM towns AS t
LEFT JOIN per_town AS p USING (town_code)
ORDER BY t.town_code;
