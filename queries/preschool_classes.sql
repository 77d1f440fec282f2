-- name: preschool_classes
-- purpose: 学前 classes of the school year by class-size band (from the 学校年度 bands), for
--          公办 and 民办 kindergartens, with each band's share of the classes reported in bands.
-- param: year int 学年（起始年）
-- param: county text optional 县级区划代码（库中只有一个县时可省略）
-- columns: band, band_zh, lower_bound, ownership, classes, share
WITH schools AS NOT MATERIALIZED (
    SELECT * FROM schools WHERE substr(town_code, 1, 6) = $county
),
v_band_classes AS NOT MATERIALIZED (
    SELECT * FROM v_band_classes WHERE school_id IN (SELECT school_id FROM schools)
),
b AS (
    SELECT rb.band, rb.band_zh, rb.lower_bound, s.ownership, sum(bc.classes_in_band) AS classes
    FROM v_band_classes AS bc
    JOIN schools AS s USING (school_id)
    JOIN ref_class_bands AS rb ON rb.band = bc.band
    WHERE bc.year = $year AND bc.stage = '学前'
    GROUP BY ALL
)
SELECT band, band_zh, lower_bound, ownership, classes::BIGINT AS classes,
       classes / nullif(sum(classes) OVER (PARTITION BY ownership), 0) AS share
FROM b
ORDER BY lower_bound, ownership;
