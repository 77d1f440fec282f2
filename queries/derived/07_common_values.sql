-- derived: 07_common_values
-- purpose: the common targets G1–G7 (data/plans/common/targets.csv: the national standards
--          every county is held to and compared on) measured for every county and school year
--          in one pass. One row per county, year, target and scope unit: the county itself
--          (scope_code = county, scope_name 全市) for city targets, each school for school
--          targets. The measures are those of the pages, written once here:
--            cv_within_cap_count (G1): of the 14 校际差异系数 (v_county_cv), those within cap;
--            school_pass_6of7 (G2): per compulsory school, 1 when every assessed segment has
--              ≥ school_pass_min_met of the 7 indicators at standard and none below
--              school_pass_floor_ratio of it (school_compliance's rule), else 0;
--            over_standard_class_share (G3): Σ over-standard classes ÷ Σ classes with
--              class-size bands, 小学 + 初中 assessed segments (class_size_summary's counts);
--            big_class_share+school_size (G4): per ordinary school, the larger of its 大班额
--              share and its excess over the school-size cap (targets_status's T5 measure);
--            preschool_gross_enrolment / _inclusive_coverage / preschool_public_share (G5–G7):
--              preschool_summary's formulas (a county with no 公办 or 普惠 children has 0,
--              not no value; without 市级年度 pop_age3_5 there is no G5 value).
--          Which target measures what is the registry's indicator_key (ref_plan_files,
--          plan_set 'common'); thresholds come from ref_standards.
-- creates: v_common_values (view of the table d_common_values, from v_common_values_src:
--          county, year, target_id, scope_code, scope_name, value, indicator_key),
--          v_common_status (view of the table d_common_status, from v_common_status_src:
--          county, year, target_id, units, units_met, value, units_unknown)
-- reads:   v_county_cv, v_balance_values, v_segments, schools, city_facts, ref_standards,
--          ref_plan_files (the derived views' county column, so a county's query prunes the
--          others' row groups)
CREATE OR REPLACE VIEW v_common_values_src AS
WITH
-- The resource indicators assessed per stage (7 each for 小学 and 初中 in the registry).
balance_set AS (
    SELECT s.scope AS stage, count(*) AS n
    FROM ref_standards AS s
    JOIN ref_indicators AS i ON i.key = s.indicator_key
    WHERE i.group_zh = '义务教育优质均衡（资源配置）' AND s.comparator = '>=' AND s.scope IN ('小学', '初中')
    GROUP BY s.scope
),
-- A county whose workbook lacks some indicators has fewer CVs than the set: it fails only when
-- a CV it has exceeds the cap; otherwise the count is unknown (no value: 数据不足), never a miss.
cv_count AS (
    SELECT county, year, 'cv_within_cap_count' AS key, county AS scope_code, '全市' AS scope_name,
           CASE WHEN count(*) FILTER (WHERE NOT passed) > 0 OR count(*) >= (SELECT sum(n) FROM balance_set)
                THEN (count(*) FILTER (WHERE passed))::DOUBLE END AS value
    FROM v_county_cv
    GROUP BY county, year
),
seg_rule AS (
    SELECT b.county, b.year, b.school_id, b.stage,
           count(*) FILTER (WHERE b.value >= b.standard) AS met_count,
           min(coalesce(b.value / b.standard, 0)) AS min_ratio
    FROM v_balance_values AS b
    GROUP BY b.county, b.year, b.school_id, b.stage
),
-- school_compliance's rule, as the 优质均衡 page shows it: an indicator the workbook does not
-- report is not at standard.
school_rule AS (
    SELECT r.county, r.year, 'school_pass_6of7' AS key,
           r.school_id AS scope_code, any_value(s.school_name) AS scope_name,
           bool_and(r.met_count >= mm.value AND r.min_ratio >= fl.value)::INTEGER::DOUBLE AS value
    FROM seg_rule AS r
    JOIN schools AS s USING (school_id)
    LEFT JOIN ref_standards AS mm ON mm.indicator_key = 'school_pass_min_met' AND mm.scope = r.stage
    LEFT JOIN ref_standards AS fl ON fl.indicator_key = 'school_pass_floor_ratio' AND fl.scope = r.stage
    GROUP BY r.county, r.year, r.school_id
),
over_standard AS (
    SELECT county, year, 'over_standard_class_share' AS key, county AS scope_code, '全市' AS scope_name,
           sum(over_standard_classes) / nullif(sum(classes) FILTER (WHERE over_standard_classes IS NOT NULL), 0)
               AS value
    FROM v_segments
    WHERE in_cv
    GROUP BY county, year
),
school_size AS (
    SELECT county, year, school_id, any_value(school_name) AS school_name, any_value(school_type) AS school_type,
           sum(students) FILTER (
               WHERE school_type NOT IN ('九年一贯制学校', '十二年一贯制学校') OR stage IN ('小学', '初中')
           ) AS students,
           sum(big_classes) AS big_classes,
           sum(classes) FILTER (WHERE big_classes IS NOT NULL) AS banded_classes
    FROM v_segments
    WHERE stage IN ('小学', '初中', '高中') AND students > 0
      AND school_type NOT IN ('幼儿园', '特殊教育学校')
    GROUP BY county, year, school_id
),
big AS (
    SELECT z.county, z.year, 'big_class_share+school_size' AS key, z.school_id AS scope_code,
           z.school_name AS scope_name,
           greatest(
               coalesce(z.big_classes / nullif(z.banded_classes, 0), 0),
               coalesce(greatest(z.students / cap.value - 1, 0), 0)
           )::DOUBLE AS value
    FROM school_size AS z
    LEFT JOIN ref_standards AS cap ON cap.indicator_key = 'school_size' AND cap.scope = z.school_type
),
kg AS (
    SELECT county, year,
           sum(students) AS children,
           coalesce(sum(students) FILTER (WHERE ownership = '公办'), 0) AS public_children,
           coalesce(sum(students) FILTER (WHERE ownership = '公办' OR inclusive), 0) AS inclusive_children
    FROM v_segments
    WHERE stage = '学前'
    GROUP BY county, year
),
pop AS (
    SELECT county, year, max(value) AS pop_age3_5
    FROM city_facts
    WHERE key = 'pop_age3_5' AND value IS NOT NULL
    GROUP BY county, year
),
preschool AS (
    SELECT k.county, k.year, x.key, k.county AS scope_code, '全市' AS scope_name, x.value
    FROM kg AS k
    LEFT JOIN pop AS p USING (county, year)
    CROSS JOIN LATERAL (
        VALUES ('preschool_gross_enrolment', k.children / nullif(p.pop_age3_5, 0)),
               ('preschool_inclusive_coverage', k.inclusive_children / nullif(k.children, 0)),
               ('preschool_public_share', k.public_children / nullif(k.children, 0))
    ) AS x(key, value)
),
measured AS (
    SELECT * FROM cv_count
    UNION ALL SELECT * FROM school_rule
    UNION ALL SELECT * FROM over_standard
    UNION ALL SELECT * FROM big
    UNION ALL SELECT * FROM preschool
)
SELECT m.county, m.year, f.target_id, m.scope_code, m.scope_name, m.value, m.key AS indicator_key
FROM measured AS m
JOIN ref_plan_files AS f ON f.plan_set = 'common' AND f.indicator_key = m.key;

-- Stored (rebuilt per imported county like d_segments): 县域对比 reads every county's values,
-- a county page its own; measuring them at each read cost most of those pages' time.
CREATE OR REPLACE TABLE d_common_values AS
SELECT * FROM v_common_values_src ORDER BY county, year, target_id, scope_code;

CREATE OR REPLACE VIEW v_common_values AS SELECT * FROM d_common_values;

-- Per county, year and common target: the units with a value, those meeting the goal (the
-- registry's comparator and goal, with targets_status's 1e-9 tolerance), the units whose
-- figure cannot be told from the data reported (units_unknown), and the county's figure: the value itself for a city target, the share of units meeting the goal for a
-- school target. county_targets and county_ranking read it.
CREATE OR REPLACE VIEW v_common_status_src AS
WITH goals AS (
    SELECT target_id, scope, TRY_CAST(goal AS DOUBLE) AS goal,
           CASE comparator WHEN '<=' THEN -1.0 ELSE 1.0 END AS sgn
    FROM ref_plan_files
    WHERE plan_set = 'common'
)
SELECT v.county, v.year, v.target_id,
       count(v.value) AS units,
       count(*) FILTER (WHERE g.sgn * (v.value - g.goal) >= -1e-9) AS units_met,
       CASE WHEN any_value(g.scope) = 'city' THEN any_value(v.value)
            ELSE count(*) FILTER (WHERE g.sgn * (v.value - g.goal) >= -1e-9) / nullif(count(v.value), 0) END AS value,
       count(*) - count(v.value) AS units_unknown
FROM v_common_values AS v
JOIN goals AS g USING (target_id)
GROUP BY v.county, v.year, v.target_id;

CREATE OR REPLACE TABLE d_common_status AS
SELECT * FROM v_common_status_src ORDER BY county, year, target_id;

CREATE OR REPLACE VIEW v_common_status AS SELECT * FROM d_common_status;
