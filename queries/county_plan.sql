-- name: county_plan
-- purpose: the targets a county is held to, as its registry words them (ref_targets, in
--          registry order), and where they come from: source 'upload' (an administrator
--          uploaded the county's 方案目标登记表), 'file' (data/plans/<adcode>/targets.csv) or
--          'common' (no plan of its own: the national-standard targets G1–G7).
-- param: county text optional 县级区划代码（库中只有一个县时可省略）
-- columns: target_id, group_zh, plan_clause, wording, indicator_key, scope, comparator, goal,
--          unit, deadline, baseline_year, kind, owner, deadline_note, owner_note, measure_note,
--          round_ends, plan_set (own | common), source (upload | file | common)
WITH ref_targets AS NOT MATERIALIZED (
    SELECT * FROM ref_targets WHERE county = $county
),
plan_targets AS NOT MATERIALIZED (
    SELECT * FROM plan_targets WHERE county = $county
)
SELECT t.* EXCLUDE (county, plan_set, ord), t.plan_set,
       CASE WHEN t.plan_set = 'common' THEN 'common'
            WHEN EXISTS (SELECT 1 FROM plan_targets) THEN 'upload'
            ELSE 'file' END AS source
FROM ref_targets AS t
ORDER BY t.ord;
