-- name: targets_status
-- purpose: every target of the registry (ref_targets, T1… and Q1…) at its scope: one row per
--          target and scope unit (the county for city targets, each town / each 镇 for town
--          targets, each school for school targets, each designated kindergarten / 优质高中
--          for pairing targets) with its latest value, the goal and a status for 2025 and for
--          2027 by the expected-path method (DESIGN.md §6): 已达标 when the latest value meets
--          the goal; 数据不足 with fewer than 2 years from the baseline on; otherwise
--          R = observed yearly change since the baseline ÷ yearly change needed from the
--          baseline to the goal by the deadline; R ≥ progress_on_track_ratio → 按期可达,
--          0 ≤ R < it → 需加速, R < 0 → 偏离; a deadline reached without the goal → 需加速
--          (偏离 when moving the wrong way). The 2025 status judges a target by its own
--          deadline (2025 for 持续/每学年); the 2027 status by the end of the plan, 2027.
--          Qualitative tasks (kind = qualitative) take the latest 任务进展 row up to the end of
--          the school year (31 Aug of $year + 1): 已完成 → 已达标; 推进中 → 按期可达;
--          滞后 → 需加速; 未启动 or no row → 数据不足; a reported task not 已完成 after its due
--          date (31 Dec of the deadline year) → 逾期. Only data of school years ≤ $year is used.
--          edubalance/progress.py is the Python reference of the same rules.
-- param: year int 学年（起始年）：只使用该学年及以前的数据
-- columns: target_id, group_zh, wording, indicator_key, kind, scope, scope_code, scope_name,
--          comparator, goal, unit, deadline, baseline_year, owner, value, value_year,
--          baseline_value, baseline_value_year, shortfall, deadline_2025, deadline_2027, ratio_2025,
--          ratio_2027, needed_2025, needed_2027, status_2025, status_2027, series_years,
--          series_values, task_status, task_updated_on, task_note, task_owner,
--          plan_clause (the plan's section), deadline_note (the plan's deadline in words, or
--          "方案未明示（按规划期末2027年评估）[D]"), owner_note (where the owners come from:
--          the annex, or our reading [D]), measure_note (what the value measures and what it
--          does not), met_year (first school year the unit met the goal, NULL if never),
--          overdue_since (the deadline year the unit missed: its deadline when the data reached
--          it without the goal, NULL otherwise — also when met later, so a page can say
--          “2026年补齐”), final_2025, final_2027 (TRUE when the data year has reached that
--          column's deadline, so the word is a final verdict, not a projection)
WITH
county AS (
    SELECT coalesce(min(substr(town_code, 1, 6)), '') AS code FROM towns
),
-- The years with school statistics; with none (a workbook of masters only) the asked year.
sy_years AS (
    SELECT DISTINCT year FROM school_years WHERE year <= $year
),
years AS (
    SELECT year FROM sy_years
    UNION ALL
    SELECT $year::INTEGER WHERE NOT EXISTS (SELECT 1 FROM sy_years)
),
pupils AS (
    SELECT year, school_id, sum(students) AS students
    FROM school_years WHERE year <= $year GROUP BY year, school_id
),
reported AS (
    SELECT DISTINCT school_id FROM pupils
),
-- A school operates in a year when it is open (建校/停办年份) and has pupils that year; a
-- school listed in 学校 with no yearly rows at all counts as operating while open.
operating AS (
    SELECT y.year, s.*
    FROM years AS y
    CROSS JOIN schools AS s
    LEFT JOIN pupils AS p ON p.year = y.year AND p.school_id = s.school_id
    WHERE (s.opened_year IS NULL OR s.opened_year <= y.year)
      AND (s.closed_year IS NULL OR s.closed_year > y.year)
      AND (p.students > 0 OR (p.school_id IS NULL AND s.school_id NOT IN (SELECT school_id FROM reported)))
),
zhen AS (
    SELECT t.town_code, t.town_name, y.year
    FROM towns AS t CROSS JOIN years AS y
    WHERE t.town_kind = '镇'
),
-- T2: 公办 boarding schools (not kindergartens) per 镇; 街道 and 新区 are not required.
v_boarding AS (
    SELECT 'public_boarding_school' AS key, z.town_code AS scope_code, z.town_name AS scope_name, z.year,
           count(o.school_id)::DOUBLE AS value
    FROM zhen AS z
    LEFT JOIN operating AS o
        ON o.year = z.year AND o.town_code = z.town_code
       AND o.ownership = '公办' AND o.is_boarding AND o.school_type <> '幼儿园'
    GROUP BY ALL
),
-- T3: 规范化公办中心幼儿园 per 镇: a 幼儿园, 公办, 中心校园 and 规范化, all four.
v_central_kg AS (
    SELECT 'public_central_kindergarten' AS key, z.town_code, z.town_name, z.year,
           count(o.school_id)::DOUBLE
    FROM zhen AS z
    LEFT JOIN operating AS o
        ON o.year = z.year AND o.town_code = z.town_code
       AND o.school_type = '幼儿园' AND o.ownership = '公办' AND o.is_central AND o.is_standardized
    GROUP BY ALL
),
-- T1: rural (乡村) schools still open but with no pupils, per town (every town).
zero AS (
    SELECT p.year, s.town_code, count(*) AS n
    FROM pupils AS p
    JOIN schools AS s USING (school_id)
    JOIN ref_ur_codes AS u ON u.ur_code = s.ur_code
    WHERE p.students = 0 AND u.area = '乡村' AND (s.closed_year IS NULL OR s.closed_year > p.year)
    GROUP BY ALL
),
v_zero AS (
    SELECT 'zero_student_schools' AS key, t.town_code, t.town_name, y.year, coalesce(z.n, 0)::DOUBLE
    FROM towns AS t
    CROSS JOIN sy_years AS y
    LEFT JOIN zero AS z ON z.year = y.year AND z.town_code = t.town_code
),
-- T4: a standardised special-education school in the city.
v_special AS (
    SELECT 'standardized_special_school' AS key, c.code, '全市', y.year,
           count(o.school_id)::DOUBLE
    FROM years AS y
    CROSS JOIN county AS c
    LEFT JOIN operating AS o
        ON o.year = y.year AND o.school_type = '特殊教育学校' AND o.is_standardized
    GROUP BY ALL
),
-- T5: per ordinary school, the larger of its share of 大班额 classes and its relative excess
-- over the school-size cap of its type (0 = neither); 一贯制 schools count their compulsory
-- segments against the cap, as in oversized_schools.
school_size AS (
    SELECT year, school_id, any_value(school_name) AS school_name, any_value(school_type) AS school_type,
           sum(students) FILTER (
               WHERE school_type NOT IN ('九年一贯制学校', '十二年一贯制学校') OR stage IN ('小学', '初中')
           ) AS students,
           sum(big_classes) AS big_classes,
           sum(classes) FILTER (WHERE big_classes IS NOT NULL) AS banded_classes
    FROM v_segments
    WHERE year <= $year AND stage IN ('小学', '初中', '高中') AND students > 0
      AND school_type NOT IN ('幼儿园', '特殊教育学校')
    GROUP BY year, school_id
),
v_big AS (
    SELECT 'big_class_share+school_size' AS key, z.school_id, z.school_name, z.year,
           greatest(
               coalesce(z.big_classes / nullif(z.banded_classes, 0), 0),
               coalesce(greatest(z.students / cap.value - 1, 0), 0)
           )::DOUBLE
    FROM school_size AS z
    LEFT JOIN ref_standards AS cap ON cap.indicator_key = 'school_size' AND cap.scope = z.school_type
),
-- T6: per assessed school, 1 when every assessed segment passes the 6-of-7 rule (as in
-- school_compliance), else 0. The 7 indicators are read from the registry (numerator ÷ pupils,
-- scaled); the measures are unpivoted here only for the assessed segments, which is much
-- cheaper than the all-measure view v_balance_values.
assessed AS (
    UNPIVOT (
        SELECT year, school_id, stage, students::DOUBLE AS students,
               teachers_above_degree::DOUBLE AS teachers_above_degree,
               backbone_teachers::DOUBLE AS backbone_teachers,
               pe_art_teachers::DOUBLE AS pe_art_teachers,
               teaching_area_m2::DOUBLE AS teaching_area_m2,
               sports_area_m2::DOUBLE AS sports_area_m2,
               equipment_yuan::DOUBLE AS equipment_yuan,
               multimedia_rooms::DOUBLE AS multimedia_rooms
        FROM v_segments
        WHERE in_cv AND year <= $year
    )
    ON COLUMNS(* EXCLUDE (year, school_id, stage, students))
    INTO NAME measure VALUE amount
),
segment_pass AS (
    SELECT a.year, a.school_id, a.stage,
           count(*) FILTER (WHERE i.scale * a.amount / a.students >= st.value) AS met_count,
           min(coalesce(i.scale * a.amount / a.students / st.value, 0)) AS min_ratio
    FROM assessed AS a
    JOIN ref_indicators AS i
        ON i.numerator = a.measure AND i.denominator = 'students' AND i.group_zh = '义务教育优质均衡（资源配置）'
       AND list_contains(string_split(i.stages, ';'), a.stage)
    JOIN ref_standards AS st ON st.indicator_key = i.key AND st.scope = a.stage AND st.comparator = '>='
    GROUP BY a.year, a.school_id, a.stage
),
v_pass AS (
    SELECT 'school_pass' AS key, sp.school_id, any_value(s.school_name), sp.year,
           bool_and(sp.met_count >= mm.value AND sp.min_ratio >= fl.value)::INTEGER::DOUBLE
    FROM segment_pass AS sp
    JOIN schools AS s USING (school_id)
    LEFT JOIN ref_standards AS mm ON mm.indicator_key = 'school_pass_min_met' AND mm.scope = sp.stage
    LEFT JOIN ref_standards AS fl ON fl.indicator_key = 'school_pass_floor_ratio' AND fl.scope = sp.stage
    GROUP BY sp.school_id, sp.year
),
-- T7: 学区化管理 designation per 镇, in force from its 起始学年.
v_district AS (
    SELECT 'district_management' AS key, z.town_code, z.town_name, z.year, count(d.kind)::DOUBLE
    FROM zhen AS z
    LEFT JOIN designations AS d
        ON d.kind = '学区化管理' AND d.town_code = z.town_code AND coalesce(d.since_year, z.year) <= z.year
    GROUP BY ALL
),
-- T8: exchanged ÷ all teachers over the stages the indicator registry names (segments that
-- report the exchange count, as v_indicator_values pairs them).
v_exchange AS (
    SELECT 'exchange_rate_all' AS key, c.code, '全市', y.year,
           sum(y.exchanged_teachers)::DOUBLE / sum(y.teachers)
    FROM school_years AS y
    JOIN ref_indicators AS i
        ON i.key = 'exchange_rate_all' AND list_contains(string_split(i.stages, ';'), y.stage)
    CROSS JOIN county AS c
    WHERE y.year <= $year AND y.exchanged_teachers IS NOT NULL AND y.teachers IS NOT NULL
    GROUP BY c.code, y.year
    HAVING sum(y.teachers) > 0
),
-- T9, T10: principals (校园长) by tenure and, in rural (乡村) schools, by age.
heads AS (
    SELECT p.year, p.birth_year, p.post_start_year, u.area
    FROM principals AS p
    JOIN schools AS s USING (school_id)
    LEFT JOIN ref_ur_codes AS u ON u.ur_code = s.ur_code
    WHERE p.year <= $year
),
v_tenure AS (
    SELECT 'principals_over10y_share' AS key, c.code, '全市', h.year,
           (count(*) FILTER (WHERE h.year - h.post_start_year > lim.value))::DOUBLE / count(*)
    FROM heads AS h
    CROSS JOIN county AS c
    JOIN ref_standards AS lim ON lim.indicator_key = 'principal_tenure_limit_years' AND lim.scope = '全市'
    GROUP BY c.code, h.year
),
v_young AS (
    SELECT 'rural_principals_under45_share' AS key, c.code, '全市', h.year,
           (count(*) FILTER (WHERE h.year - h.birth_year < age.value))::DOUBLE / count(*)
    FROM heads AS h
    CROSS JOIN county AS c
    JOIN ref_standards AS age ON age.indicator_key = 'principal_age_limit' AND age.scope = '全市'
    WHERE h.area = '乡村'
    GROUP BY c.code, h.year
),
facts AS (
    SELECT year, key, value FROM city_facts WHERE year <= $year AND value IS NOT NULL
),
-- City facts whose key is the target's indicator (T13, T14, T15, T21, …).
v_facts AS (
    SELECT f.key, c.code, '全市', f.year, f.value FROM facts AS f CROSS JOIN county AS c
),
-- T11: teacher ÷ civil-servant mean pay.
v_pay AS (
    SELECT 'teacher_pay_ratio' AS key, c.code, '全市', t.year, t.value / nullif(p.value, 0)
    FROM facts AS t
    JOIN facts AS p ON p.year = t.year AND p.key = 'civil_servant_avg_pay'
    CROSS JOIN county AS c
    WHERE t.key = 'teacher_avg_pay'
),
-- T12: visits per 教研员 summed over the last 5 school years (fewer while fewer exist).
v_visits AS (
    SELECT 'researcher_rural_visits_5y' AS key, c.code, '全市', f.year,
           sum(f.value) OVER (ORDER BY f.year RANGE BETWEEN 4 PRECEDING AND CURRENT ROW)
    FROM facts AS f CROSS JOIN county AS c
    WHERE f.key = 'researcher_rural_visits'
),
-- T22: “两个只增不减”: the smaller of the year-on-year growth rates of spending and of
-- spending per pupil (≥ 0 when neither fell).
growth AS (
    SELECT year, key, value / nullif(lag(value) OVER (PARTITION BY key ORDER BY year), 0) - 1 AS g,
           year - lag(year) OVER (PARTITION BY key ORDER BY year) AS step
    FROM facts
    WHERE key IN ('edu_spending_10k', 'edu_spending_per_pupil')
),
v_spending AS (
    SELECT 'edu_spending' AS key, c.code, '全市', g.year, min(g.g)
    FROM growth AS g CROSS JOIN county AS c
    WHERE g.g IS NOT NULL AND g.step = 1
    GROUP BY c.code, g.year
),
-- T16, T17, T19: designations of the kinds named after “designation:” (joined by “+”).
v_designations AS (
    SELECT t.indicator_key AS key, c.code, '全市', y.year, count(d.kind)::DOUBLE
    FROM ref_targets AS t
    CROSS JOIN years AS y
    CROSS JOIN county AS c
    LEFT JOIN designations AS d
        ON list_contains(string_split(substr(t.indicator_key, 13), '+'), d.kind)
       AND coalesce(d.since_year, y.year) <= y.year
    WHERE t.indicator_key LIKE 'designation:%'
    GROUP BY ALL
),
-- T18, T20: each designated school and its partners (kindergartens outside 城区 for T18),
-- from the year it was designated.
pair_kinds AS (
    SELECT * FROM (VALUES
        ('kindergarten_pairs', '城区优质公办幼儿园', '幼儿园结对帮扶'),
        ('high_school_pairs', '优质高中', '高中托管帮扶')
    ) AS k(key, unit_kind, pair_kind)
),
pair_units AS (
    SELECT k.key, k.pair_kind, d.school_id, min(coalesce(d.since_year, 0)) AS since_year
    FROM pair_kinds AS k
    JOIN designations AS d ON d.kind = k.unit_kind AND d.school_id IS NOT NULL
    GROUP BY ALL
),
pairs AS (
    SELECT d.kind, d.school_id, d.partner_school_id, d.since_year
    FROM designations AS d
    JOIN schools AS ps ON ps.school_id = d.partner_school_id
    LEFT JOIN ref_ur_codes AS pu ON pu.ur_code = ps.ur_code
    WHERE d.kind = '高中托管帮扶' OR (d.kind = '幼儿园结对帮扶' AND coalesce(pu.area, '') <> '城区')
),
v_pairs AS (
    SELECT u.key, u.school_id, any_value(s.school_name), y.year, count(p.partner_school_id)::DOUBLE
    FROM pair_units AS u
    JOIN schools AS s USING (school_id)
    JOIN years AS y ON y.year >= u.since_year
    LEFT JOIN pairs AS p
        ON p.kind = u.pair_kind AND p.school_id = u.school_id AND coalesce(p.since_year, y.year) <= y.year
    GROUP BY u.key, u.school_id, y.year
),
vals AS (
    SELECT * FROM v_boarding
    UNION ALL SELECT * FROM v_central_kg
    UNION ALL SELECT * FROM v_zero
    UNION ALL SELECT * FROM v_special
    UNION ALL SELECT * FROM v_big
    UNION ALL SELECT * FROM v_pass
    UNION ALL SELECT * FROM v_district
    UNION ALL SELECT * FROM v_exchange
    UNION ALL SELECT * FROM v_tenure
    UNION ALL SELECT * FROM v_young
    UNION ALL SELECT * FROM v_facts
    UNION ALL SELECT * FROM v_pay
    UNION ALL SELECT * FROM v_visits
    UNION ALL SELECT * FROM v_spending
    UNION ALL SELECT * FROM v_designations
    UNION ALL SELECT * FROM v_pairs
),
tg AS (
    SELECT t.*, t.rowid AS ord,
           TRY_CAST(t.goal AS DOUBLE) AS goal_num,
           TRY_CAST(t.deadline AS INTEGER) AS due_year,
           TRY_CAST(t.baseline_year AS INTEGER) AS base_year,
           CASE t.comparator WHEN '<=' THEN -1.0 ELSE 1.0 END AS sgn
    FROM ref_targets AS t
),
pts AS (
    SELECT t.target_id, v.scope_code, v.scope_name, v.year, v.value,
           -- the baseline point is the first year from the baseline year on (else the first year)
           CASE WHEN v.year >= t.base_year THEN v.year ELSE v.year + 10000 END AS base_key
    FROM tg AS t
    JOIN vals AS v ON v.key = t.indicator_key
    WHERE t.kind <> 'qualitative' AND v.value IS NOT NULL AND v.year <= $year
),
series AS (
    SELECT target_id, scope_code, any_value(scope_name) AS scope_name,
           max(year) AS t_last, arg_max(value, year) AS x_last,
           arg_min(year, base_key) AS t0, arg_min(value, base_key) AS x0,
           list(year ORDER BY year) AS series_years, list(value ORDER BY year) AS series_values
    FROM pts
    GROUP BY target_id, scope_code
),
horizons AS (
    SELECT * FROM (VALUES (2025), (2027)) AS h(horizon)
),
-- The on-track factor is a registry threshold; a database without it fails loudly.
theta AS (
    SELECT CASE WHEN max(value) IS NULL THEN error('指标标准登记表缺少 progress_on_track_ratio（全市）')
                ELSE max(value) END AS on_track
    FROM ref_standards
    WHERE indicator_key = 'progress_on_track_ratio' AND scope = '全市'
),
path AS (
    SELECT s.*, t.sgn, t.goal_num AS g, h.horizon,
           -- 2025 judges a target by its own deadline (by 2025 when it has none: 持续、每学年);
           -- 2027, the end of the plan, judges everything by 2027 (an earlier target missed
           -- on time may still be caught up).
           CASE
               WHEN h.horizon = 2027 THEN greatest(coalesce(t.due_year, h.horizon), h.horizon)
               ELSE coalesce(t.due_year, h.horizon)
           END AS d
    FROM series AS s
    JOIN tg AS t USING (target_id)
    CROSS JOIN horizons AS h
),
rated AS (
    SELECT p.*,
           p.sgn * (p.x_last - p.g) >= -1e-9 AS met,
           CASE WHEN p.t_last > p.t0 THEN p.sgn * (p.x_last - p.x0) / (p.t_last - p.t0) END AS observed,
           CASE WHEN p.d > p.t0 THEN p.sgn * (p.g - p.x0) / (p.d - p.t0) END AS required
    FROM path AS p
),
judged AS (
    SELECT r.*,
           CASE WHEN r.required > 0 AND r.observed IS NOT NULL THEN r.observed / r.required END AS ratio,
           CASE
               WHEN r.met THEN '已达标'
               WHEN r.t_last <= r.t0 THEN '数据不足'
               WHEN r.observed < 0 THEN '偏离'
               WHEN r.t_last >= r.d THEN '需加速'
               WHEN r.required IS NULL OR r.required <= 0 THEN '需加速'
               WHEN r.observed / r.required >= (SELECT on_track FROM theta) THEN '按期可达'
               ELSE '需加速'
           END AS status,
           CASE WHEN NOT r.met AND r.d > r.t_last THEN (r.g - r.x_last) / (r.d - r.t_last) END AS needed
    FROM rated AS r
),
measured AS (
    SELECT target_id, scope_code, any_value(scope_name) AS scope_name,
           any_value(x_last) AS value, any_value(t_last) AS value_year,
           any_value(x0) AS baseline_value, any_value(t0) AS baseline_value_year,
           any_value(series_years) AS series_years, any_value(series_values) AS series_values,
           any_value(d) FILTER (WHERE horizon = 2025) AS deadline_2025,
           any_value(d) FILTER (WHERE horizon = 2027) AS deadline_2027,
           any_value(ratio) FILTER (WHERE horizon = 2025) AS ratio_2025,
           any_value(ratio) FILTER (WHERE horizon = 2027) AS ratio_2027,
           any_value(needed) FILTER (WHERE horizon = 2025) AS needed_2025,
           any_value(needed) FILTER (WHERE horizon = 2027) AS needed_2027,
           any_value(status) FILTER (WHERE horizon = 2025) AS status_2025,
           any_value(status) FILTER (WHERE horizon = 2027) AS status_2027
    FROM judged
    GROUP BY target_id, scope_code
),
-- Qualitative tasks: the latest 任务进展 row up to the end of the school year.
as_of AS (
    SELECT make_date($year + 1, 8, 31) AS d
),
latest_task AS (
    SELECT target_id, arg_max(status, updated_on) AS status, max(updated_on) AS updated_on,
           arg_max(note, updated_on) AS note, arg_max(owner, updated_on) AS owner
    FROM task_progress
    WHERE updated_on <= (SELECT d FROM as_of)
    GROUP BY target_id
),
tasks AS (
    SELECT t.target_id, c.code AS scope_code, '全市' AS scope_name,
           l.status AS task_status, l.updated_on AS task_updated_on, l.note AS task_note, l.owner AS task_owner,
           CASE
               WHEN l.status = '已完成' THEN '已达标'
               WHEN t.due_year IS NOT NULL AND (SELECT d FROM as_of) > make_date(t.due_year, 12, 31)
                    AND l.status IS NOT NULL THEN '逾期'
               WHEN l.status = '推进中' THEN '按期可达'
               WHEN l.status = '滞后' THEN '需加速'
               ELSE '数据不足'
           END AS status
    FROM tg AS t
    CROSS JOIN county AS c
    LEFT JOIN latest_task AS l USING (target_id)
    WHERE t.kind = 'qualitative'
),
unit_rows AS (
    SELECT m.target_id, m.scope_code, m.scope_name, m.value, m.value_year, m.baseline_value,
           m.baseline_value_year, m.deadline_2025, m.deadline_2027, m.ratio_2025, m.ratio_2027, m.needed_2025,
           m.needed_2027, m.status_2025, m.status_2027, m.series_years, m.series_values,
           NULL::VARCHAR AS task_status, NULL::DATE AS task_updated_on, NULL::VARCHAR AS task_note,
           NULL::VARCHAR AS task_owner
    FROM measured AS m
    UNION ALL
    SELECT target_id, scope_code, scope_name, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
           status, status, NULL, NULL, task_status, task_updated_on, task_note, task_owner
    FROM tasks
),
-- Targets the data cannot answer still get one row, for the county, marked 数据不足.
all_rows AS (
    SELECT * FROM unit_rows
    UNION ALL
    SELECT t.target_id, c.code, '全市', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
           '数据不足', '数据不足', NULL, NULL, NULL, NULL, NULL, NULL
    FROM tg AS t
    CROSS JOIN county AS c
    WHERE t.target_id NOT IN (SELECT target_id FROM unit_rows)
)
SELECT
    t.target_id, t.group_zh, t.wording, t.indicator_key, t.kind, t.scope,
    r.scope_code, r.scope_name, t.comparator, t.goal_num AS goal, t.unit, t.deadline,
    t.base_year AS baseline_year, t.owner,
    r.value, r.value_year, r.baseline_value, r.baseline_value_year,
    CASE WHEN r.value IS NOT NULL THEN greatest(t.sgn * (t.goal_num - r.value), 0) END AS shortfall,
    r.deadline_2025, r.deadline_2027, r.ratio_2025, r.ratio_2027, r.needed_2025, r.needed_2027,
    r.status_2025, r.status_2027, r.series_years, r.series_values,
    r.task_status, r.task_updated_on, r.task_note, r.task_owner
FROM all_rows AS r
JOIN tg AS t USING (target_id)
ORDER BY t.ord, r.scope_code;
