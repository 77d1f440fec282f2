-- name: town_tasks
-- purpose: a town's own part of the plan: every qualitative task whose 责任单位 names
--          各镇（街）, with the town's latest 任务进展 row (区划代码 = the town) up to the end of
--          the school year (31 Aug of $year + 1); a task the town has not reported on shows
--          the city's latest row instead (source = '全市'). Status words as in targets_status:
--          已完成 → 已完成; past the due date (31 Dec of the deadline year) and not 已完成, also
--          with no row → 逾期; 推进中 → 推进中; 滞后 → 需加速; 未启动 → 未启动; no row → 数据不足.
-- param: year int 学年（起始年）
-- param: town text 区划代码（12位）
-- param: county text optional 县级区划代码（库中只有一个县时可省略）
-- columns: target_id, group_zh, wording, deadline, deadline_note, owner, status, task_status,
--          updated_on, note, source
WITH task_progress AS NOT MATERIALIZED (
    SELECT * EXCLUDE (county) FROM task_progress WHERE county = $county
),
as_of AS (
    SELECT make_date($year + 1, 8, 31) AS d
),
reports AS (
    SELECT target_id, status, updated_on, note,
           CASE WHEN town_code = $town THEN '本镇街' ELSE '全市' END AS source
    FROM task_progress
    WHERE updated_on <= (SELECT d FROM as_of) AND (town_code = $town OR town_code IS NULL)
),
-- The town's own latest row wins over any city row; among equals the latest date.
latest AS (
    SELECT * FROM reports
    QUALIFY row_number() OVER (
        PARTITION BY target_id ORDER BY (source = '本镇街') DESC, updated_on DESC
    ) = 1
)
SELECT t.target_id, t.group_zh, t.wording, t.deadline, t.deadline_note, t.owner,
       CASE
           WHEN l.status = '已完成' THEN '已完成'
           WHEN TRY_CAST(t.deadline AS INTEGER) IS NOT NULL
                AND (SELECT d FROM as_of) > make_date(TRY_CAST(t.deadline AS INTEGER), 12, 31) THEN '逾期'
           WHEN l.status = '推进中' THEN '推进中'
           WHEN l.status = '滞后' THEN '需加速'
           WHEN l.status = '未启动' THEN '未启动'
           ELSE '数据不足'
       END AS status,
       l.status AS task_status,
       strftime(l.updated_on, '%Y-%m-%d') AS updated_on,
       l.note,
       l.source
FROM ref_targets AS t
LEFT JOIN latest AS l USING (target_id)
WHERE t.kind = 'qualitative' AND t.owner LIKE '%各镇（街）%'
ORDER BY t.rowid;
