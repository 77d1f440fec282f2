-- derived: 08_plans
-- purpose: the targets each county is held to. ref_targets holds, for every county present
--          in towns, its own plan — the registry an administrator uploaded (plan_targets),
--          else data/plans/<adcode>/targets.csv (ref_plan_files) — with plan_set 'own'; a
--          county with no plan of its own gets the common targets G1–G7 (the national
--          standards, data/plans/common/targets.csv) with plan_set 'common'. Other counties'
--          plan items are never lent: a county without a plan is held to the standards only.
-- creates: plan_targets (table, when missing: the uploads, written by ingest/plans.py),
--          ref_targets (table: the targets.csv columns, then county, plan_set, ord)
-- reads:   towns, ref_plan_files, plan_targets
--
-- ord is the row's index in its source; the table is stored sorted by (county, ord), so a
-- county's rows keep the order of its registry.
CREATE TABLE IF NOT EXISTS plan_targets (
    county VARCHAR, target_id VARCHAR, group_zh VARCHAR, plan_clause VARCHAR, wording VARCHAR,
    indicator_key VARCHAR, scope VARCHAR, comparator VARCHAR, goal VARCHAR, unit VARCHAR,
    deadline VARCHAR, baseline_year VARCHAR, kind VARCHAR, owner VARCHAR, deadline_note VARCHAR,
    owner_note VARCHAR, measure_note VARCHAR, round_ends VARCHAR, ord INTEGER
);

CREATE OR REPLACE TABLE ref_targets AS
WITH counties AS (
    SELECT DISTINCT substr(town_code, 1, 6) AS county FROM towns WHERE town_code IS NOT NULL
),
uploaded AS (
    SELECT * FROM plan_targets WHERE county IN (SELECT county FROM counties)
),
from_files AS (
    SELECT * FROM ref_plan_files
    WHERE plan_set = 'own'
      AND county IN (SELECT county FROM counties)
      AND county NOT IN (SELECT county FROM uploaded)
),
common AS (
    SELECT f.* EXCLUDE (county), c.county
    FROM counties AS c
    CROSS JOIN ref_plan_files AS f
    WHERE f.plan_set = 'common'
      AND c.county NOT IN (SELECT county FROM uploaded)
      AND c.county NOT IN (SELECT county FROM from_files)
),
chosen AS (
    SELECT * EXCLUDE (ord), 'own' AS plan_set, ord FROM uploaded
    UNION ALL BY NAME
    SELECT * FROM from_files
    UNION ALL BY NAME
    SELECT * FROM common
)
SELECT target_id, group_zh, plan_clause, wording, indicator_key, scope, comparator, goal, unit,
       deadline, baseline_year, kind, owner, deadline_note, owner_note, measure_note, round_ends,
       county, plan_set, ord::INTEGER AS ord
FROM chosen
ORDER BY county, ord;
