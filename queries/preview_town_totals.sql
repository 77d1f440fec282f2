-- name: preview_town_totals
-- purpose: per town and school year the totals an import may move: pupils, full-time teachers
--          and 教学及辅助用房面积 (all stages); the import preview flags moves over 20%.
-- param: county text optional 县级区划代码（库中只有一个县时可省略）
-- columns: year, town_code, town_name, students, teachers, teaching_area_m2
-- school_years is not shadowed: the join to the county's schools restricts it already, and a
-- filtered school_years would flip the hash join and move the last bits of the sums.
WITH towns AS NOT MATERIALIZED (
    SELECT * FROM towns WHERE substr(town_code, 1, 6) = $county
),
schools AS NOT MATERIALIZED (
    SELECT * FROM schools WHERE substr(town_code, 1, 6) = $county
)
SELECT y.year, t.town_code, t.town_name,
       sum(y.students) AS students, sum(y.teachers) AS teachers,
       sum(y.teaching_area_m2) AS teaching_area_m2
FROM school_years AS y
JOIN schools AS s USING (school_id)
JOIN towns AS t ON t.town_code = s.town_code
GROUP BY ALL
ORDER BY y.year, t.town_code;
