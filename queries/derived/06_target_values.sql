-- derived: 06_target_values
-- purpose: per-year values of the plan targets whose value in a school year depends only on the
--          data of that year and earlier, for every year in the file; targets_status reads them
--          with `WHERE year <= $year`, which gives exactly the rows it computed itself before.
--          (The targets that count operating schools, 镇, designations or pairs over the asked
--          year's list of years, the CV baseline and T24's researchers stay in targets_status:
--          their values depend on $year itself.) Every view has the columns of targets_status's
--          value union: key (the target's indicator_key), scope_code, scope_name, year, value.
-- creates: v_target_zero_pupil (T1), v_target_big_classes (T5), v_target_four_items (T6),
--          v_target_exchange (T8), v_target_principals (T9, T10), v_target_city_facts (T11,
--          T12–T15, T21, T22, T24, T25), v_target_researchers (T12 from 教研员, T28),
--          v_target_cv (the 14 校际差异系数 per year, for T26 and T27)
-- reads:   school_years, schools, towns, principals, city_facts, researchers, ref_ur_codes,
--          ref_standards, ref_indicators, v_segments, v_balance_values

-- T1: each rural (乡村) school still open but with no pupils, in each such year: 1 when a
-- 办学研判 decision is recorded by that year, else 0 (the units are T1's list; a county with
-- none has no unit).
CREATE OR REPLACE VIEW v_target_zero_pupil AS
WITH pupils AS (
    SELECT year, school_id, sum(students) AS students
    FROM school_years GROUP BY year, school_id
)
SELECT 'zero_pupil_decided' AS key, s.school_id AS scope_code, s.school_name AS scope_name, p.year,
       (s.zero_pupil_decision IS NOT NULL AND coalesce(s.decision_year, p.year) <= p.year)::INTEGER::DOUBLE AS value
FROM pupils AS p
JOIN schools AS s USING (school_id)
JOIN ref_ur_codes AS u ON u.ur_code = s.ur_code
WHERE p.students = 0 AND u.area = '乡村' AND (s.closed_year IS NULL OR s.closed_year > p.year);

-- T5: per ordinary school, the larger of its share of 大班额 classes and its relative excess
-- over the school-size cap of its type (0 = neither); 一贯制 schools count their compulsory
-- segments against the cap, as in oversized_schools.
CREATE OR REPLACE VIEW v_target_big_classes AS
WITH school_size AS (
    SELECT year, school_id, any_value(school_name) AS school_name, any_value(school_type) AS school_type,
           sum(students) FILTER (
               WHERE school_type NOT IN ('九年一贯制学校', '十二年一贯制学校') OR stage IN ('小学', '初中')
           ) AS students,
           sum(big_classes) AS big_classes,
           sum(classes) FILTER (WHERE big_classes IS NOT NULL) AS banded_classes
    FROM v_segments
    WHERE stage IN ('小学', '初中', '高中') AND students > 0
      AND school_type NOT IN ('幼儿园', '特殊教育学校')
    GROUP BY year, school_id
)
SELECT 'big_class_share+school_size' AS key, z.school_id AS scope_code, z.school_name AS scope_name, z.year,
       greatest(
           coalesce(z.big_classes / nullif(z.banded_classes, 0), 0),
           coalesce(greatest(z.students / cap.value - 1, 0), 0)
       )::DOUBLE AS value
FROM school_size AS z
LEFT JOIN ref_standards AS cap ON cap.indicator_key = 'school_size' AND cap.scope = z.school_type;

-- T6: the plan's four items per compulsory-school (小学/初中 segments in the assessment):
-- 生均教学及辅助用房面积 and 生均体育运动场馆面积 at the registry standard in every segment,
-- and music and art rooms each ≥ ceil(classes ÷ 12) over the school's segments. 1 = all four,
-- 0 = not; no value when an item is not reported (the room areas, ≥96/90 m², are not in the
-- workbook: T6 is partly measurable, as its measure_note says).
CREATE OR REPLACE VIEW v_target_four_items AS
WITH four_seg AS (
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
    WHERE g.in_cv
    GROUP BY g.year, g.school_id
)
SELECT 'plan_four_items' AS key, school_id AS scope_code, school_name AS scope_name, year,
       CASE WHEN area_missing = 0 AND rooms_missing = 0 THEN
           (area_ok AND sports_ok AND music >= rooms_needed AND art >= rooms_needed)::INTEGER::DOUBLE
       END AS value
FROM four_seg;

-- T8: exchanged ÷ all teachers over the stages the indicator registry names (segments that
-- report the exchange count, as v_indicator_values pairs them).
CREATE OR REPLACE VIEW v_target_exchange AS
WITH county AS (
    SELECT coalesce(min(substr(town_code, 1, 6)), '') AS code FROM towns
)
SELECT 'exchange_rate_all' AS key, c.code AS scope_code, '全市' AS scope_name, y.year,
       sum(y.exchanged_teachers)::DOUBLE / sum(y.teachers) AS value
FROM school_years AS y
JOIN ref_indicators AS i
    ON i.key = 'exchange_rate_all' AND list_contains(string_split(i.stages, ';'), y.stage)
CROSS JOIN county AS c
WHERE y.exchanged_teachers IS NOT NULL AND y.teachers IS NOT NULL
GROUP BY c.code, y.year
HAVING sum(y.teachers) > 0;

-- T9: principals more than 10 years in the same post with no 备注 (the plan's “一般不超过”
-- allows explained exceptions [D]); T10: rural (乡村) principals at most 45 (“以下” includes 45).
CREATE OR REPLACE VIEW v_target_principals AS
WITH county AS (
    SELECT coalesce(min(substr(town_code, 1, 6)), '') AS code FROM towns
),
heads AS (
    SELECT p.year, p.birth_year, p.post_start_year, p.note, u.area
    FROM principals AS p
    JOIN schools AS s USING (school_id)
    LEFT JOIN ref_ur_codes AS u ON u.ur_code = s.ur_code
)
SELECT 'principals_over10y_unexplained' AS key, c.code AS scope_code, '全市' AS scope_name, h.year,
       (count(*) FILTER (
           WHERE h.year - h.post_start_year > lim.value AND coalesce(trim(h.note), '') = ''
       ))::DOUBLE AS value
FROM heads AS h
CROSS JOIN county AS c
JOIN ref_standards AS lim ON lim.indicator_key = 'principal_tenure_limit_years' AND lim.scope = '全市'
GROUP BY c.code, h.year
UNION ALL
SELECT 'rural_principals_under45_share' AS key, c.code, '全市', h.year,
       (count(*) FILTER (WHERE h.year - h.birth_year <= age.value))::DOUBLE / count(*)
FROM heads AS h
CROSS JOIN county AS c
JOIN ref_standards AS age ON age.indicator_key = 'principal_age_limit' AND age.scope = '全市'
WHERE h.area = '乡村'
GROUP BY c.code, h.year;

-- City facts whose key is the target's indicator (T12, T13, T14, T15, T21, T24, T25); T11:
-- teacher ÷ civil-servant mean pay; T22 “两个只增不减”: the smaller of the year-on-year growth
-- rates of spending and of spending per pupil (≥ 0 when neither fell).
CREATE OR REPLACE VIEW v_target_city_facts AS
WITH county AS (
    SELECT coalesce(min(substr(town_code, 1, 6)), '') AS code FROM towns
),
facts AS (
    SELECT year, key, value FROM city_facts WHERE year IS NOT NULL AND value IS NOT NULL
),
growth AS (
    SELECT year, key, value / nullif(lag(value) OVER (PARTITION BY key ORDER BY year), 0) - 1 AS g,
           year - lag(year) OVER (PARTITION BY key ORDER BY year) AS step
    FROM facts
    WHERE key IN ('edu_spending_10k', 'edu_spending_per_pupil')
)
SELECT f.key, c.code AS scope_code, '全市' AS scope_name, f.year, f.value
FROM facts AS f CROSS JOIN county AS c
UNION ALL
SELECT 'teacher_pay_ratio' AS key, c.code, '全市', t.year, t.value / nullif(p.value, 0)
FROM facts AS t
JOIN facts AS p ON p.year = t.year AND p.key = 'civil_servant_avg_pay'
CROSS JOIN county AS c
WHERE t.key = 'teacher_avg_pay'
UNION ALL
SELECT 'edu_spending' AS key, c.code, '全市', g.year, min(g.g)
FROM growth AS g CROSS JOIN county AS c
WHERE g.g IS NOT NULL AND g.step = 1
GROUP BY c.code, g.year;

-- The optional 教研员 sheet (one row per researcher and year). T12: the city average from it
-- in years without the city fact; T28: researchers on the path of 6 visits a year over the
-- years they have been in post within the last 5 (missing years count 0).
CREATE OR REPLACE VIEW v_target_researchers AS
WITH county AS (
    SELECT coalesce(min(substr(town_code, 1, 6)), '') AS code FROM towns
),
res_window AS (
    SELECT r.year, r.researcher_id, greatest(r.hire_year, r.year - 4) AS since,
           coalesce(sum(w.rural_visits), 0) AS visits
    FROM researchers AS r
    LEFT JOIN researchers AS w
        ON w.researcher_id = r.researcher_id AND w.year BETWEEN greatest(r.hire_year, r.year - 4) AND r.year
    GROUP BY r.year, r.researcher_id, r.hire_year
)
SELECT 'researcher_rural_visits' AS key, c.code AS scope_code, '全市' AS scope_name, r.year,
       avg(r.rural_visits)::DOUBLE AS value
FROM researchers AS r CROSS JOIN county AS c
WHERE r.year NOT IN (
    SELECT year FROM city_facts
    WHERE key = 'researcher_rural_visits' AND year IS NOT NULL AND value IS NOT NULL
)
GROUP BY c.code, r.year
UNION ALL
SELECT 'researchers_on_path_share' AS key, c.code, '全市', w.year,
       avg((w.visits >= 6 * (w.year - w.since + 1))::INTEGER)::DOUBLE
FROM res_window AS w CROSS JOIN county AS c
GROUP BY c.code, w.year;

-- T26, T27: the 14 校际差异系数 (7 resource indicators × 小学/初中), computed as balance_cv
-- does, per year.
CREATE OR REPLACE VIEW v_target_cv AS
WITH cv_agg AS (
    SELECT year, stage, indicator, any_value(scale) AS k, sum(numerator) AS r, sum(denominator) AS p
    FROM v_balance_values
    WHERE value IS NOT NULL
    GROUP BY year, stage, indicator
)
SELECT v.year, v.stage, v.indicator,
       sqrt(sum(v.denominator / a.p * power(v.value - a.k * a.r / a.p, 2))) / (a.k * a.r / a.p) AS cv
FROM v_balance_values AS v
JOIN cv_agg AS a USING (year, stage, indicator)
WHERE v.value IS NOT NULL
GROUP BY v.year, v.stage, v.indicator, a.k, a.r, a.p;
