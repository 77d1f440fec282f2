-- name: school_list
-- purpose: every school segment of a year with its attributes and main figures (drill-down
--          tables, map points).
-- param: year int 学年（起始年）
-- param: county text optional 县级区划代码（库中只有一个县时可省略）
-- columns: school_id, school_name, school_type, ownership, town_code, town_name, area,
--          ur_code, stage, students, classes, teachers, boarders, lon, lat, is_central,
--          is_boarding, is_standardized, in_cv
WITH v_segments AS NOT MATERIALIZED (
    SELECT * EXCLUDE (county) FROM v_segments WHERE county = $county
)
SELECT school_id, school_name, school_type, ownership, town_code, town_name, area, ur_code,
       stage, students, classes, teachers, boarders, lon, lat, is_central, is_boarding,
       is_standardized, in_cv
FROM v_segments
WHERE year = $year
ORDER BY town_code, school_id, stage;
