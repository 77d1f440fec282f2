-- derived: 01_segments
-- purpose: the school segments every query starts from: one row per school, school year and
--          stage, with the school's and town's attributes, the class-size counts above the
--          registry's class-size thresholds, and whether the segment is in the 优质均衡
--          assessment (in_cv).
-- creates: v_band_classes (view), v_segments_src (view), d_segments (table), v_segments (view)
-- reads:   school_years, schools, towns, ref_ur_codes, ref_class_bands, ref_standards
--
-- The files of queries/derived/ are run by importer.derive(), in name order, inside the
-- staging transaction after the data and the registries are in place, so the derived tables
-- always match the file they are stored in. Thresholds come from ref_standards;
-- classifications from ref_ur_codes and ref_class_bands.
--
-- Why tables: every page asks for segments and indicator values, and computing them per query
-- (two unpivots and a join of 22 measures per segment) cost seconds and gigabytes at province
-- scale. They change only when an import, a restore or a registry change writes a new file,
-- which is exactly when these scripts run.

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
-- class-size counts and whether the segment is in the 优质均衡 assessment (in_cv); the county
-- (the first 6 digits of the town's 区划代码) last. The source view is what derive() stores
-- in d_segments, whole or for the counties an import touched (DELETE + INSERT … WHERE county IN).
CREATE OR REPLACE VIEW v_segments_src AS
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
    -- schools are out, and so are 教学点 below the registry's pupil threshold (see docs/METHODS.md, 差异系数).
    (
        y.stage IN ('小学', '初中')
        AND s.school_type <> '特殊教育学校'
        AND y.students > 0
        AND NOT (s.school_type = '教学点' AND y.students < coalesce(tp.value, 0))
    ) AS in_cv,
    substr(t.town_code, 1, 6) AS county
FROM school_years AS y
JOIN schools AS s USING (school_id)
JOIN towns AS t ON t.town_code = s.town_code
LEFT JOIN ref_ur_codes AS u ON u.ur_code = s.ur_code
LEFT JOIN class_counts AS c ON c.year = y.year AND c.school_id = y.school_id AND c.stage = y.stage
LEFT JOIN ref_standards AS tp
    ON tp.indicator_key = 'cv_exclude_teaching_point_below' AND tp.scope = '教学点';

-- Sorted so the per-county and per-year filters of the queries skip whole row groups.
-- derive() rewrites this statement (and only this form) into DELETE + INSERT for a partial rebuild.
CREATE OR REPLACE TABLE d_segments AS
SELECT * FROM v_segments_src ORDER BY county, year, stage, town_code, school_id;

CREATE OR REPLACE VIEW v_segments AS SELECT * FROM d_segments;
