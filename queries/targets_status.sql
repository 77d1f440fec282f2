-- name: targets_status
-- purpose: every target of the registry (ref_targets, T1… and Q1…) at its scope: one row per
--          target and scope unit (the county for city targets, each town / each 镇 for town
--          targets, each school for school targets, each designated kindergarten / 优质高中
--          for pairing targets) with its latest value, the goal and a status for the 2025 and
--          the 2027 column. Each column has a deadline d: 2025 = the target's own deadline (2025
--          for 持续/每学年); 2027 = max(own deadline, 2027), except a target whose round ends
--          (ref_targets.round_ends = 是, T21): its own deadline unless values after it exist.
--          Once the data reach d (latest year ≥ d) the word is final (final_2025/final_2027)
--          and judges the figure of year d itself (none → 数据不足): 已达标 or 未按期达标. Before, a
--          projection by the expected-path method (DESIGN.md §6): 已达标 when the latest value
--          meets the goal; 数据不足 with fewer than 2 years from the baseline on; otherwise
--          R = observed yearly change since the baseline ÷ yearly change needed from the
--          baseline to the goal by d; R ≥ progress_on_track_ratio → 按期可达, 0 ≤ R < it →
--          需加速, R < 0 → 偏离. met_year = first year of the run of met years that ends with
--          the latest; overdue_since = the earliest d whose final word is 未按期达标.
--          Qualitative tasks (kind = qualitative) take the latest city-level 任务进展 row (no
--          区划代码) up to the end of the school year (31 Aug of $year + 1): 已完成 → 已完成;
--          past the due date (31 Dec of the deadline year) and not 已完成, also with no row →
--          逾期; 推进中 → 推进中; 滞后 → 需加速; 未启动 → 未启动; no row → 数据不足.
--          Only data of school years ≤ $year is used. edubalance/progress.py is the Python
--          reference of the same rules.
--          The targets are the county's own plan (ref_targets plan_set 'own': an uploaded
--          registry or data/plans/<adcode>/targets.csv); a county without one is held to the
--          common targets G1–G7 (plan_set 'common', the national standards), whose values come
--          from v_common_values, the same figures county_targets compares counties on.
-- param: year int 学年（起始年）：只使用该学年及以前的数据
-- param: county text optional 县级区划代码（库中只有一个县时可省略）
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
-- This county's rows only (NOT MATERIALIZED: the year filters below still reach the views).
towns AS NOT MATERIALIZED (
    SELECT * FROM towns WHERE substr(town_code, 1, 6) = $county
),
schools AS NOT MATERIALIZED (
    SELECT * FROM schools WHERE substr(town_code, 1, 6) = $county
),
school_years AS NOT MATERIALIZED (
    SELECT * FROM school_years WHERE school_id IN (SELECT school_id FROM schools)
),
principals AS NOT MATERIALIZED (
    SELECT * FROM principals WHERE school_id IN (SELECT school_id FROM schools)
),
designations AS NOT MATERIALIZED (
    SELECT * FROM designations
    WHERE substr(town_code, 1, 6) = $county OR school_id IN (SELECT school_id FROM schools)
),
city_facts AS NOT MATERIALIZED (
    SELECT * EXCLUDE (county) FROM city_facts WHERE county = $county
),
researchers AS NOT MATERIALIZED (
    SELECT * EXCLUDE (county) FROM researchers WHERE county = $county
),
task_progress AS NOT MATERIALIZED (
    SELECT * EXCLUDE (county) FROM task_progress WHERE county = $county
),
v_segments AS NOT MATERIALIZED (
    SELECT * EXCLUDE (county) FROM v_segments WHERE county = $county
),
v_balance_values AS NOT MATERIALIZED (
    SELECT * EXCLUDE (county) FROM v_balance_values WHERE county = $county
),
v_common_values AS NOT MATERIALIZED (
    SELECT * EXCLUDE (county) FROM v_common_values WHERE county = $county
),
ref_targets AS NOT MATERIALIZED (
    SELECT * EXCLUDE (county) FROM ref_targets WHERE county = $county
),
county AS (
    SELECT coalesce(min(substr(town_code, 1, 6)), '') AS code FROM towns
),
tg AS (
    SELECT t.*,
           -- the common targets' values are v_common_values'; so are those of the measures only
           -- the common targets define, when a county's own plan uses them
           CASE WHEN t.plan_set = 'common' OR t.indicator_key IN (
                    'school_pass_6of7', 'over_standard_class_share', 'preschool_gross_enrolment',
                    'preschool_inclusive_coverage', 'preschool_public_share'
                ) THEN 'common:' || t.indicator_key
                ELSE t.indicator_key END AS match_key,
           TRY_CAST(t.goal AS DOUBLE) AS goal_num,
           TRY_CAST(t.deadline AS INTEGER) AS due_year,
           TRY_CAST(t.baseline_year AS INTEGER) AS base_year,
           CASE t.comparator WHEN '<=' THEN -1.0 ELSE 1.0 END AS sgn,
           coalesce(t.round_ends, '') = '是' AS round_ends_flag
    FROM ref_targets AS t
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
-- T1: each rural (乡村) school still open but with no pupils, in each such year: 1 when a
-- 办学研判 decision is recorded by that year, else 0 (the units are T1's list; a county with
-- none has no unit).
v_zero AS (
    SELECT 'zero_pupil_decided' AS key, s.school_id, s.school_name, p.year,
           (s.zero_pupil_decision IS NOT NULL AND coalesce(s.decision_year, p.year) <= p.year)::INTEGER::DOUBLE
    FROM pupils AS p
    JOIN schools AS s USING (school_id)
    JOIN ref_ur_codes AS u ON u.ur_code = s.ur_code
    WHERE p.students = 0 AND u.area = '乡村' AND (s.closed_year IS NULL OR s.closed_year > p.year)
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
-- over the school-size cap of its type (0 = neither): the common target G4's measure, stored
-- per county in d_common_values (queries/derived/07_common_values.sql).
v_big AS (
    SELECT indicator_key AS key, scope_code AS school_id, scope_name AS school_name, year, value
    FROM v_common_values
    WHERE indicator_key = 'big_class_share+school_size' AND year <= $year
),
-- T6: the plan's four items per compulsory-school (小学/初中 segments in the assessment):
-- 生均教学及辅助用房面积 and 生均体育运动场馆面积 at the registry standard in every segment,
-- and music and art rooms each ≥ ceil(classes ÷ 12) over the school's segments. 1 = all four,
-- 0 = not; no value when an item is not reported (the room areas, ≥96/90 m², are not in the
-- workbook: T6 is partly measurable, as its measure_note says).
four_seg AS (
    SELECT g.year, g.school_id, any_value(g.school_name) AS school_name,
           bool_and(g.teaching_area_m2 / g.students >= ta.value) AS area_ok,
           bool_and(g.sports_area_m2 / g.students >= sa.value) AS sports_ok,
           count(*) FILTER (WHERE g.teaching_area_m2 IS NULL OR g.sports_area_m2 IS NULL) AS area_missing,
           sum(g.music_rooms) AS music, sum(g.art_rooms) AS art,
           count(*) FILTER (WHERE g.music_rooms IS NULL OR g.art_rooms IS NULL) AS rooms_missing,
           ceil(sum(g.classes) / any_value(rc.value)) AS rooms_needed
    FROM v_segments AS g
    JOIN ref_standards AS ta ON ta.indicator_key = 'teaching_area_per_pupil' AND ta.scope = g.stage
    JOIN ref_standards AS sa ON sa.indicator_key = 'sports_area_per_pupil' AND sa.scope = g.stage
    JOIN ref_standards AS rc ON rc.indicator_key = 'special_rooms_per_classes' AND rc.scope = g.stage
    WHERE g.in_cv AND g.year <= $year
    GROUP BY g.year, g.school_id
),
v_four AS (
    SELECT 'plan_four_items' AS key, school_id, school_name, year,
           CASE WHEN area_missing = 0 AND rooms_missing = 0 THEN
               (area_ok AND sports_ok AND music >= rooms_needed AND art >= rooms_needed)::INTEGER::DOUBLE
           END
    FROM four_seg
),
-- T7: per 镇, 1 when both 学区化管理 and 学区教师走教 are registered and in force from their
-- 起始学年 (the plan asks for both by 2025), else 0.
v_district AS (
    SELECT 'district_management' AS key, z.town_code, z.town_name, z.year,
           (count(DISTINCT d.kind) = 2)::INTEGER::DOUBLE
    FROM zhen AS z
    LEFT JOIN designations AS d
        ON d.kind IN ('学区化管理', '学区教师走教') AND d.town_code = z.town_code
       AND coalesce(d.since_year, z.year) <= z.year
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
-- T9: principals more than 10 years in the same post with no 备注 (the plan's “一般不超过”
-- allows explained exceptions [D]); T10: rural (乡村) principals at most 45 (“以下” includes 45).
heads AS (
    SELECT p.year, p.birth_year, p.post_start_year, p.note, u.area
    FROM principals AS p
    JOIN schools AS s USING (school_id)
    LEFT JOIN ref_ur_codes AS u ON u.ur_code = s.ur_code
    WHERE p.year <= $year
),
v_tenure AS (
    SELECT 'principals_over10y_unexplained' AS key, c.code, '全市', h.year,
           (count(*) FILTER (
               WHERE h.year - h.post_start_year > lim.value AND coalesce(trim(h.note), '') = ''
           ))::DOUBLE
    FROM heads AS h
    CROSS JOIN county AS c
    JOIN ref_standards AS lim ON lim.indicator_key = 'principal_tenure_limit_years' AND lim.scope = '全市'
    GROUP BY c.code, h.year
),
v_young AS (
    SELECT 'rural_principals_under45_share' AS key, c.code, '全市', h.year,
           (count(*) FILTER (WHERE h.year - h.birth_year <= age.value))::DOUBLE / count(*)
    FROM heads AS h
    CROSS JOIN county AS c
    JOIN ref_standards AS age ON age.indicator_key = 'principal_age_limit' AND age.scope = '全市'
    WHERE h.area = '乡村'
    GROUP BY c.code, h.year
),
facts AS (
    SELECT year, key, value FROM city_facts WHERE year <= $year AND value IS NOT NULL
),
-- City facts whose key is the target's indicator (T12, T13, T14, T15, T21, T24, T25).
v_facts AS (
    SELECT f.key, c.code, '全市', f.year, f.value FROM facts AS f CROSS JOIN county AS c
),
-- The optional 教研员 sheet (one row per researcher and year). T12: the city average from it
-- in years without the city fact; T28: researchers on the path of 6 visits a year over the
-- years they have been in post within the last 5 (missing years count 0); T24: of the
-- researchers whose third year ends this year, those with ≥ 12 months of 蹲点 in their first
-- three years (in years without the city fact).
res AS (
    SELECT * FROM researchers WHERE year <= $year
),
v_res_avg AS (
    SELECT 'researcher_rural_visits' AS key, c.code, '全市', r.year, avg(r.rural_visits)::DOUBLE
    FROM res AS r CROSS JOIN county AS c
    WHERE r.year NOT IN (SELECT year FROM facts WHERE key = 'researcher_rural_visits')
    GROUP BY c.code, r.year
),
res_window AS (
    SELECT r.year, r.researcher_id, greatest(r.hire_year, r.year - 4) AS since,
           coalesce(sum(w.rural_visits), 0) AS visits
    FROM res AS r
    LEFT JOIN res AS w
        ON w.researcher_id = r.researcher_id AND w.year BETWEEN greatest(r.hire_year, r.year - 4) AND r.year
    GROUP BY r.year, r.researcher_id, r.hire_year
),
v_res_path AS (
    SELECT 'researchers_on_path_share' AS key, c.code, '全市', w.year,
           avg((w.visits >= 6 * (w.year - w.since + 1))::INTEGER)::DOUBLE
    FROM res_window AS w CROSS JOIN county AS c
    GROUP BY c.code, w.year
),
v_res_stay AS (
    SELECT 'new_researcher_stay_share' AS key, c.code, '全市', y.year,
           avg((coalesce(s.months, 0) >= 12)::INTEGER)::DOUBLE
    FROM (SELECT DISTINCT year FROM res) AS y
    JOIN (SELECT DISTINCT researcher_id, hire_year FROM res) AS n ON n.hire_year = y.year - 2
    LEFT JOIN (
        SELECT researcher_id, sum(stay_months) AS months FROM res
        WHERE year <= hire_year + 2 GROUP BY researcher_id
    ) AS s USING (researcher_id)
    CROSS JOIN county AS c
    WHERE y.year NOT IN (SELECT year FROM facts WHERE key = 'new_researcher_stay_share')
    GROUP BY c.code, y.year
),
-- T11: teacher ÷ civil-servant mean pay.
v_pay AS (
    SELECT 'teacher_pay_ratio' AS key, c.code, '全市', t.year, t.value / nullif(p.value, 0)
    FROM facts AS t
    JOIN facts AS p ON p.year = t.year AND p.key = 'civil_servant_avg_pay'
    CROSS JOIN county AS c
    WHERE t.key = 'teacher_avg_pay'
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
-- T26, T27: the 14 校际差异系数 (7 resource indicators × 小学/初中), computed as balance_cv
-- does, per year: how many fell below their baseline-year value (T26, baseline = the first
-- year from T26's baseline year on) and how many are within the registry cap (T27).
cv_agg AS (
    SELECT year, stage, indicator, any_value(scale) AS k, sum(numerator) AS r, sum(denominator) AS p
    FROM v_balance_values
    WHERE year <= $year AND value IS NOT NULL
    GROUP BY year, stage, indicator
),
cv AS (
    SELECT v.year, v.stage, v.indicator,
           sqrt(sum(v.denominator / a.p * power(v.value - a.k * a.r / a.p, 2))) / (a.k * a.r / a.p) AS cv
    FROM v_balance_values AS v
    JOIN cv_agg AS a USING (year, stage, indicator)
    WHERE v.value IS NOT NULL
    GROUP BY v.year, v.stage, v.indicator, a.k, a.r, a.p
),
cv_base_year AS (
    SELECT coalesce(
               min(year) FILTER (WHERE year >= (SELECT max(base_year) FROM tg WHERE indicator_key = 'cv_falling_count')),
               min(year)
           ) AS year
    FROM cv
),
v_cv AS (
    SELECT 'cv_falling_count' AS key, c.code, '全市', x.year,
           (count(*) FILTER (WHERE x.cv < b.cv - 1e-12))::DOUBLE
    FROM cv AS x
    JOIN cv AS b ON b.stage = x.stage AND b.indicator = x.indicator AND b.year = (SELECT year FROM cv_base_year)
    CROSS JOIN county AS c
    WHERE x.year >= (SELECT year FROM cv_base_year)
    GROUP BY c.code, x.year
    UNION ALL
    SELECT 'cv_within_cap_count', c.code, '全市', x.year,
           (count(*) FILTER (WHERE x.cv <= cap.value))::DOUBLE
    FROM cv AS x
    JOIN ref_standards AS cap ON cap.indicator_key = 'balance_cv' AND cap.scope = x.stage
    CROSS JOIN county AS c
    GROUP BY c.code, x.year
),
-- T16, T17, T19, T23: designations of the kinds named after “designation:” (joined by “+”).
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
    UNION ALL SELECT * FROM v_four
    UNION ALL SELECT * FROM v_district
    UNION ALL SELECT * FROM v_exchange
    UNION ALL SELECT * FROM v_tenure
    UNION ALL SELECT * FROM v_young
    UNION ALL SELECT * FROM v_facts
    UNION ALL SELECT * FROM v_pay
    UNION ALL SELECT * FROM v_cv
    UNION ALL SELECT * FROM v_res_avg
    UNION ALL SELECT * FROM v_res_path
    UNION ALL SELECT * FROM v_res_stay
    UNION ALL SELECT * FROM v_spending
    UNION ALL SELECT * FROM v_designations
    UNION ALL SELECT * FROM v_pairs
    UNION ALL
    SELECT 'common:' || indicator_key, scope_code, scope_name, year, value FROM v_common_values
    WHERE year <= $year AND EXISTS (SELECT 1 FROM tg WHERE match_key LIKE 'common:%')
),
pts AS (
    SELECT t.target_id, v.scope_code, v.scope_name, v.year, v.value,
           t.sgn * (v.value - t.goal_num) >= -1e-9 AS ok,
           -- the baseline point is the first year from the baseline year on (else the first year)
           CASE WHEN v.year >= t.base_year THEN v.year ELSE v.year + 10000 END AS base_key
    FROM tg AS t
    JOIN vals AS v ON v.key = t.match_key
    WHERE t.kind <> 'qualitative' AND v.value IS NOT NULL AND v.year <= $year
),
series AS (
    SELECT target_id, scope_code, any_value(scope_name) AS scope_name,
           max(year) AS t_last, arg_max(value, year) AS x_last,
           arg_min(year, base_key) AS t0, arg_min(value, base_key) AS x0,
           max(year) FILTER (WHERE NOT ok) AS last_unmet,
           list(year ORDER BY year) AS series_years, list(value ORDER BY year) AS series_values
    FROM pts
    GROUP BY target_id, scope_code
),
-- met_year: the first year of the run of met years that ends with the latest (none when the
-- latest value misses the goal).
streak AS (
    SELECT p.target_id, p.scope_code, min(p.year) AS met_year
    FROM pts AS p
    JOIN series AS s USING (target_id, scope_code)
    WHERE p.year > coalesce(s.last_unmet, -1)
    GROUP BY p.target_id, p.scope_code
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
           CASE
               -- a round that ends at its deadline (T21): the 2027 column repeats the deadline
               -- verdict unless a next round's values (after the deadline) are imported
               WHEN h.horizon = 2027 AND t.round_ends_flag AND t.due_year IS NOT NULL
                    AND s.t_last <= t.due_year THEN t.due_year
               WHEN h.horizon = 2027 THEN greatest(coalesce(t.due_year, h.horizon), h.horizon)
               ELSE coalesce(t.due_year, h.horizon)
           END AS d
    FROM series AS s
    JOIN tg AS t USING (target_id)
    CROSS JOIN horizons AS h
),
-- The figure a final verdict judges: the value of the deadline year itself (an annual or
-- 持续 target is judged on that year's own figure; none → 数据不足).
at_deadline AS (
    SELECT p.target_id, p.scope_code, p.horizon, max(v.value) AS x_d
    FROM path AS p
    JOIN pts AS v ON v.target_id = p.target_id AND v.scope_code = p.scope_code AND v.year = p.d
    GROUP BY p.target_id, p.scope_code, p.horizon
),
rated AS (
    SELECT p.*, a.x_d,
           p.t_last >= p.d AS final,
           p.sgn * (p.x_last - p.g) >= -1e-9 AS met,
           CASE WHEN p.t_last > p.t0 THEN p.sgn * (p.x_last - p.x0) / (p.t_last - p.t0) END AS observed,
           CASE WHEN p.d > p.t0 THEN p.sgn * (p.g - p.x0) / (p.d - p.t0) END AS required
    FROM path AS p
    LEFT JOIN at_deadline AS a USING (target_id, scope_code, horizon)
),
judged AS (
    SELECT r.*,
           CASE WHEN r.required > 0 AND r.observed IS NOT NULL THEN r.observed / r.required END AS ratio,
           CASE
               WHEN r.final AND r.x_d IS NULL THEN '数据不足'
               WHEN r.final AND r.sgn * (r.x_d - r.g) >= -1e-9 THEN '已达标'
               WHEN r.final THEN '未按期达标'
               WHEN r.met THEN '已达标'
               WHEN r.t_last <= r.t0 THEN '数据不足'
               WHEN r.observed < 0 THEN '偏离'
               WHEN r.required IS NULL OR r.required <= 0 THEN '需加速'
               WHEN r.observed / r.required >= (SELECT on_track FROM theta) THEN '按期可达'
               ELSE '需加速'
           END AS status,
           CASE WHEN NOT r.met AND r.d > r.t_last THEN (r.g - r.x_last) / (r.d - r.t_last) END AS needed
    FROM rated AS r
),
measured AS (
    SELECT j.target_id, j.scope_code, any_value(j.scope_name) AS scope_name,
           any_value(j.x_last) AS value, any_value(j.t_last) AS value_year,
           any_value(j.x0) AS baseline_value, any_value(j.t0) AS baseline_value_year,
           any_value(j.series_years) AS series_years, any_value(j.series_values) AS series_values,
           any_value(j.d) FILTER (WHERE j.horizon = 2025) AS deadline_2025,
           any_value(j.d) FILTER (WHERE j.horizon = 2027) AS deadline_2027,
           any_value(j.ratio) FILTER (WHERE j.horizon = 2025) AS ratio_2025,
           any_value(j.ratio) FILTER (WHERE j.horizon = 2027) AS ratio_2027,
           any_value(j.needed) FILTER (WHERE j.horizon = 2025) AS needed_2025,
           any_value(j.needed) FILTER (WHERE j.horizon = 2027) AS needed_2027,
           any_value(j.status) FILTER (WHERE j.horizon = 2025) AS status_2025,
           any_value(j.status) FILTER (WHERE j.horizon = 2027) AS status_2027,
           any_value(j.final) FILTER (WHERE j.horizon = 2025) AS final_2025,
           any_value(j.final) FILTER (WHERE j.horizon = 2027) AS final_2027,
           any_value(k.met_year) AS met_year,
           min(j.d) FILTER (WHERE j.status = '未按期达标') AS overdue_since
    FROM judged AS j
    LEFT JOIN streak AS k USING (target_id, scope_code)
    GROUP BY j.target_id, j.scope_code
),
-- Qualitative tasks: the latest city-level 任务进展 row up to the end of the school year.
as_of AS (
    SELECT make_date($year + 1, 8, 31) AS d
),
latest_task AS (
    SELECT target_id, arg_max(status, updated_on) AS status, max(updated_on) AS updated_on,
           arg_max(note, updated_on) AS note, arg_max(owner, updated_on) AS owner
    FROM task_progress
    WHERE updated_on <= (SELECT d FROM as_of) AND town_code IS NULL
    GROUP BY target_id
),
tasks AS (
    SELECT t.target_id, c.code AS scope_code, '全市' AS scope_name,
           l.status AS task_status, l.updated_on AS task_updated_on, l.note AS task_note, l.owner AS task_owner,
           t.due_year IS NOT NULL AND (SELECT d FROM as_of) > make_date(t.due_year, 12, 31) AS past_due,
           CASE
               WHEN l.status = '已完成' THEN '已完成'
               WHEN t.due_year IS NOT NULL AND (SELECT d FROM as_of) > make_date(t.due_year, 12, 31) THEN '逾期'
               WHEN l.status = '推进中' THEN '推进中'
               WHEN l.status = '滞后' THEN '需加速'
               WHEN l.status = '未启动' THEN '未启动'
               ELSE '数据不足'
           END AS status,
           t.due_year
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
           NULL::VARCHAR AS task_owner, m.met_year, m.overdue_since, m.final_2025, m.final_2027
    FROM measured AS m
    UNION ALL
    SELECT target_id, scope_code, scope_name, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
           status, status, NULL, NULL, task_status, task_updated_on, task_note, task_owner,
           NULL, CASE WHEN status = '逾期' THEN due_year END, past_due, past_due
    FROM tasks
),
-- Targets the data cannot answer still get one row, for the county, marked 数据不足.
all_rows AS (
    SELECT * FROM unit_rows
    UNION ALL
    SELECT t.target_id, c.code, '全市', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
           '数据不足', '数据不足', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, FALSE, FALSE
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
    r.task_status, r.task_updated_on, r.task_note, r.task_owner,
    t.plan_clause, t.deadline_note, t.owner_note, t.measure_note,
    r.met_year::INTEGER AS met_year, r.overdue_since::INTEGER AS overdue_since,
    r.final_2025, r.final_2027
FROM all_rows AS r
JOIN tg AS t USING (target_id)
ORDER BY t.ord, r.scope_code;
