-- derived: 02_measures
-- purpose: the segments in long form, one row per segment and measure (the raw amounts R and
--          the bases P of the school-level indicators, as DOUBLE), the county last.
-- creates: v_measures (view)
-- reads:   v_segments

-- Long form: one row per segment and measure (raw amounts R and bases P).
CREATE OR REPLACE VIEW v_measures AS
SELECT year, school_id, stage, town_code, area, in_cv, measure, amount, county
FROM (
    UNPIVOT (
        SELECT
            year, school_id, stage, town_code, area, in_cv, county,
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
    ON COLUMNS(* EXCLUDE (year, school_id, stage, town_code, area, in_cv, county))
    INTO NAME measure VALUE amount
);
