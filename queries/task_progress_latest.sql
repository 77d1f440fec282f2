-- name: task_progress_latest
-- purpose: every qualitative task of the plan (ref_targets kind 'qualitative') with its latest
--          recorded city-level status (任务进展 rows without 区划代码; a town's own rows are in
--          town_tasks); tasks never updated show no status.
-- param: county text optional 县级区划代码（库中只有一个县时可省略）
-- columns: target_id, group_zh, wording, deadline, status, updated_on, note, owner
WITH task_progress AS NOT MATERIALIZED (
    SELECT * EXCLUDE (county) FROM task_progress WHERE county = $county
),
latest AS (
    SELECT target_id, status, updated_on, note, owner
    FROM task_progress
    WHERE town_code IS NULL
    QUALIFY row_number() OVER (PARTITION BY target_id ORDER BY updated_on DESC) = 1
)
SELECT t.target_id, t.group_zh, t.wording, t.deadline, l.status,
       strftime(l.updated_on, '%Y-%m-%d') AS updated_on, l.note,
       coalesce(l.owner, t.owner) AS owner
FROM ref_targets AS t
LEFT JOIN latest AS l USING (target_id)
WHERE t.kind = 'qualitative'
ORDER BY regexp_extract(t.target_id, '[0-9]+')::INTEGER, t.target_id;
