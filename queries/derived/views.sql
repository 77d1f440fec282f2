-- Derived tables and the views shared by the named queries.
-- Run by importer.derive() inside the staging transaction, after the data and the registries
-- are in place, so the derived tables always match the file they are stored in. Thresholds
-- come from ref_standards; classifications from ref_ur_codes and ref_class_bands.
--
-- Why tables: every page asks for segments and indicator values, and computing them per query
-- (two unpivots and a join of 22 measures per segment) cost seconds and gigabytes at province
-- scale. They change only when an import, a restore or a registry change writes a new file,
-- which is exactly when this script runs.

-- Class-size bands in long form: one row per segment and band with a reported count.
CREATE OR REPLACE VIEW v_band_classes AS
SELECT year, school_id, stage, band, classes_in_band
FROM (
    UNPIVOT school_years
    ON band_le25, band_26_30, band_31_35, band_36_40, band_41_45,
       band_46_50, band_51_55, band_56_65, band_ge66
    INTO NAME band VALUE classes_in_band
);

-- One row per school, school year and stage segment, with school and town attributes, the
-- class-size counts and whether the segment is in the 优质均衡 assessment (in_cv).
CREATE OR REPLACE TABLE d_segments AS
WITH class_counts AS (
    SELECT
        b.year, b.school_id, b.stage,
        coalesce(sum(b.classes_in_band) FILTER (WHERE rb.lower_bound > cs.value), 0) AS over_standard_classes,
        coalesce(sum(b.classes_in_band) FILTER (WHERE rb.lower_bound >= bc.value), 0) AS big_classes,
        coalesce(sum(b.classes_in_band) FILTER (WHERE rb.lower_bound >= sb.value), 0) AS super_big_classes
    FROM v_band_classes AS b
    JOIN ref_class_bands AS rb ON rb.band = b.band
    LEFT JOIN ref_standards AS cs ON cs.indicator_key = 'class_size_standard' AND cs.scope = b.stage
    LEFT JOIN ref_standards AS bc ON bc.indicator_key = 'big_class_min' AND bc.scope = b.stage
    LEFT JOIN ref_standards AS sb ON sb.indicator_key = 'super_big_class_min' AND sb.scope = b.stage
    GROUP BY ALL
)
SELECT
    y.*,
    s.school_name, s.school_type, s.ownership, s.inclusive, s.ur_code, s.is_central,
    s.is_boarding, s.is_standardized, s.parent_school_id, s.group_name, s.lon, s.lat,
    s.opened_year, s.closed_year,
    t.town_code, t.town_name, t.town_kind,
    u.area,
    c.over_standard_classes, c.big_classes, c.super_big_classes,
    -- The 优质均衡 assessment covers 小学 and 初中 segments of ordinary schools; special
    -- schools are out, and so are 教学点 below the registry's pupil threshold (STANDARDS §1.1).
    (
        y.stage IN ('小学', '初中')
        AND s.school_type <> '特殊教育学校'
        AND y.students > 0
        AND NOT (s.school_type = '教学点' AND y.students < coalesce(tp.value, 0))
    ) AS in_cv
FROM school_years AS y
JOIN schools AS s USING (school_id)
JOIN towns AS t ON t.town_code = s.town_code
LEFT JOIN ref_ur_codes AS u ON u.ur_code = s.ur_code
LEFT JOIN class_counts AS c ON c.year = y.year AND c.school_id = y.school_id AND c.stage = y.stage
LEFT JOIN ref_standards AS tp
    ON tp.indicator_key = 'cv_exclude_teaching_point_below' AND tp.scope = '教学点'
-- Sorted so the per-year filters of the queries skip whole row groups.
ORDER BY y.year, y.stage, t.town_code, y.school_id;

CREATE OR REPLACE VIEW v_segments AS SELECT * FROM d_segments;

-- Long form: one row per segment and measure (raw amounts R and bases P).
CREATE OR REPLACE VIEW v_measures AS
SELECT year, school_id, stage, town_code, area, in_cv, measure, amount
FROM (
    UNPIVOT (
        SELECT
            year, school_id, stage, town_code, area, in_cv,
            students::DOUBLE AS students, classes::DOUBLE AS classes, teachers::DOUBLE AS teachers,
            teachers_above_degree::DOUBLE AS teachers_above_degree,
            backbone_teachers::DOUBLE AS backbone_teachers,
            pe_art_teachers::DOUBLE AS pe_art_teachers,
            certified_teachers::DOUBLE AS certified_teachers,
            teaching_area_m2::DOUBLE AS teaching_area_m2,
            sports_area_m2::DOUBLE AS sports_area_m2,
            equipment_yuan::DOUBLE AS equipment_yuan,
            multimedia_rooms::DOUBLE AS multimedia_rooms,
            music_rooms::DOUBLE AS music_rooms,
            art_rooms::DOUBLE AS art_rooms,
            boarders::DOUBLE AS boarders,
            left_behind::DOUBLE AS left_behind,
            disabled_inclusive::DOUBLE AS disabled_inclusive,
            exchanged_teachers::DOUBLE AS exchanged_teachers,
            exchanged_backbone::DOUBLE AS exchanged_backbone,
            exchange_eligible::DOUBLE AS exchange_eligible,
            over_standard_classes::DOUBLE AS over_standard_classes,
            big_classes::DOUBLE AS big_classes,
            super_big_classes::DOUBLE AS super_big_classes
        FROM v_segments
    )
    ON COLUMNS(* EXCLUDE (year, school_id, stage, town_code, area, in_cv))
    INTO NAME measure VALUE amount
);

-- School-level indicators of the registry, per segment: numerator R, base P, value k·R/P.
-- A segment has an indicator only when both its R and P are reported (UNPIVOT drops NULLs).
-- One pass over the long form, grouped, rather than joining the long form to itself.
CREATE OR REPLACE TABLE d_indicator_values AS
WITH pairs AS (
    SELECT
        m.year, m.school_id, m.stage, m.town_code, m.area, m.in_cv,
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
    CASE WHEN denominator > 0 THEN scale * numerator / denominator END AS value
FROM pairs
WHERE numerator IS NOT NULL AND denominator IS NOT NULL
ORDER BY year, stage, indicator, town_code, school_id;

CREATE OR REPLACE VIEW v_indicator_values AS SELECT * FROM d_indicator_values;

-- The 7 优质均衡 resource indicators with their per-stage standards.
CREATE OR REPLACE VIEW v_balance_values AS
SELECT v.*, s.value AS standard
FROM v_indicator_values AS v
JOIN ref_standards AS s ON s.indicator_key = v.indicator AND s.scope = v.stage AND s.comparator = '>='
WHERE v.in_cv AND v.group_zh = '义务教育优质均衡（资源配置）';

-- The units of the inequality measures (Theil): one row per segment with a defined value.
-- Stages assessed under 优质均衡 (those with a balance_cv cap in the registry) use the
-- balance_cv unit set (in_cv); other stages every segment with pupils. w = pupils, x = value.
CREATE OR REPLACE VIEW v_inequality_units AS
SELECT
    v.year, v.stage, v.school_id, v.indicator, v.indicator_name, v.unit, v.town_code,
    coalesce(v.area, '未分类') AS area,
    y.students::DOUBLE AS w,
    v.value AS x
FROM v_indicator_values AS v
JOIN school_years AS y USING (year, school_id, stage)
WHERE v.value IS NOT NULL
  AND y.students > 0
  AND (
      v.in_cv
      OR v.stage NOT IN (SELECT DISTINCT scope FROM ref_standards WHERE indicator_key = 'balance_cv')
  );

-- Pupil-weighted values k·ΣR/ΣP of each school-level indicator per town, and for the whole
-- county, over all segments of a stage (never a mean of school ratios). Queries filter on
-- year and stage; DuckDB pushes those filters below the grouping.
CREATE OR REPLACE VIEW v_town_values AS
SELECT
    year, stage, town_code, indicator,
    any_value(indicator_name) AS indicator_name, any_value(unit) AS unit, any_value(direction) AS direction,
    CASE WHEN sum(denominator) > 0 THEN any_value(scale) * sum(numerator) / sum(denominator) END AS town_value
FROM v_indicator_values
GROUP BY year, stage, town_code, indicator;

CREATE OR REPLACE VIEW v_city_values AS
SELECT
    year, stage, indicator,
    CASE WHEN sum(denominator) > 0 THEN any_value(scale) * sum(numerator) / sum(denominator) END AS city_value
FROM v_indicator_values
GROUP BY year, stage, indicator;
