-- name: quality_totals
-- purpose: totals that disagree with their parts (warnings). kind 'pupils_vs_bands': a segment's
--          在校生数 outside what its class-size bands allow (Σ classes × band lower bound …
--          Σ classes × band upper bound; no upper limit once a class is in the open top band).
--          kind 'city_part_whole': a city-level count above the count it is part of (适龄残疾
--          儿童少年入学数 ≤ 适龄残疾儿童少年数).
-- param: county text optional 县级区划代码（库中只有一个县时可省略）
-- columns: kind, year, school_id, school_name, stage, measure, value, low, high
WITH schools AS NOT MATERIALIZED (
    SELECT * FROM schools WHERE substr(town_code, 1, 6) = $county
),
school_years AS NOT MATERIALIZED (
    SELECT * FROM school_years WHERE school_id IN (SELECT school_id FROM schools)
),
city_facts AS NOT MATERIALIZED (
    SELECT * EXCLUDE (county) FROM city_facts WHERE county = $county
),
v_band_classes AS NOT MATERIALIZED (
    SELECT * FROM v_band_classes WHERE school_id IN (SELECT school_id FROM schools)
),
bands AS (
    SELECT b.year, b.school_id, b.stage,
           sum(b.classes_in_band * rb.lower_bound) AS low,
           CASE WHEN bool_or(rb.upper_bound IS NULL AND b.classes_in_band > 0) THEN NULL
                ELSE sum(b.classes_in_band * rb.upper_bound) END AS high,
           sum(b.classes_in_band) AS banded
    FROM v_band_classes AS b
    JOIN ref_class_bands AS rb USING (band)
    GROUP BY ALL
), part_whole(part_key, whole_key) AS (
    VALUES ('disabled_enrolled', 'disabled_school_age')
)
SELECT 'pupils_vs_bands' AS kind, y.year, y.school_id, s.school_name, y.stage,
       'students' AS measure, y.students::DOUBLE AS value, b.low::DOUBLE AS low, b.high::DOUBLE AS high
FROM school_years AS y
JOIN bands AS b USING (year, school_id, stage)
LEFT JOIN schools AS s USING (school_id)
WHERE b.banded > 0 AND (y.students < b.low OR y.students > b.high)
UNION ALL
SELECT 'city_part_whole', p.year, NULL, NULL, NULL, pw.part_key, p.value, NULL, w.value
FROM part_whole AS pw
JOIN city_facts AS p ON p.key = pw.part_key
JOIN city_facts AS w ON w.key = pw.whole_key AND w.year = p.year
WHERE p.value > w.value
ORDER BY 1, 2 DESC, 3;
