-- derived: 03_indicators
-- purpose: the registry's school-level indicators per segment (numerator R, base P, value
--          k·R/P), and the 7 优质均衡 resource indicators with their per-stage standards.
-- creates: v_indicator_values_src (view), d_indicator_values (table), v_indicator_values (view),
--          v_balance_values (view)
-- reads:   v_measures, ref_indicators, ref_standards

-- School-level indicators of the registry, per segment: numerator R, base P, value k·R/P.
-- A segment has an indicator only when both its R and P are reported (UNPIVOT drops NULLs).
-- One pass over the long form, grouped, rather than joining the long form to itself.
-- The county comes last; derive() stores this view in d_indicator_values (see 01_segments).
CREATE OR REPLACE VIEW v_indicator_values_src AS
WITH pairs AS (
    SELECT
        m.year, m.school_id, m.stage, m.town_code, m.area, m.in_cv, m.county,
        i.key AS indicator, i.name_zh AS indicator_name, i.unit, i.group_zh, i.direction,
        i.scale::DOUBLE AS scale,
        max(m.amount) FILTER (WHERE m.measure = i.numerator) AS numerator,
        max(m.amount) FILTER (WHERE m.measure = i.denominator) AS denominator
    FROM ref_indicators AS i
    JOIN v_measures AS m ON m.measure IN (i.numerator, i.denominator)
    WHERE i.level = 'school'
      AND list_contains(string_split(i.stages, ';'), m.stage)
    GROUP BY ALL
)
SELECT
    year, school_id, stage, town_code, area, in_cv,
    indicator, indicator_name, unit, group_zh, direction, scale,
    numerator, denominator,
    CASE WHEN denominator > 0 THEN scale * numerator / denominator END AS value,
    county
FROM pairs
WHERE numerator IS NOT NULL AND denominator IS NOT NULL;

CREATE OR REPLACE TABLE d_indicator_values AS
SELECT * FROM v_indicator_values_src ORDER BY county, year, stage, indicator, town_code, school_id;

CREATE OR REPLACE VIEW v_indicator_values AS SELECT * FROM d_indicator_values;

-- The 7 优质均衡 resource indicators with their per-stage standards.
CREATE OR REPLACE VIEW v_balance_values AS
SELECT v.* EXCLUDE (county), s.value AS standard, v.county
FROM v_indicator_values AS v
JOIN ref_standards AS s ON s.indicator_key = v.indicator AND s.scope = v.stage AND s.comparator = '>='
WHERE v.in_cv AND v.group_zh = '义务教育优质均衡（资源配置）';
