-- name: class_size_summary
-- purpose: classes per stage and how many are over the stage's class-size standard, 大班额
--          (≥ big_class_min) and 超大班额 (≥ super_big_class_min), from the class-size bands.
-- param: year int 学年（起始年）
-- param: county text optional 县级区划代码（库中只有一个县时可省略）
-- columns: stage, classes, banded_classes, over_standard_classes, big_classes,
--          super_big_classes, over_standard_share, big_share, super_big_share, standard
WITH v_segments AS NOT MATERIALIZED (
    SELECT * EXCLUDE (county) FROM v_segments WHERE county = $county
)
SELECT
    seg.stage,
    sum(seg.classes)::BIGINT AS classes,
    sum(seg.classes) FILTER (WHERE seg.big_classes IS NOT NULL)::BIGINT AS banded_classes,
    sum(seg.over_standard_classes)::BIGINT AS over_standard_classes,
    sum(seg.big_classes)::BIGINT AS big_classes,
    sum(seg.super_big_classes)::BIGINT AS super_big_classes,
    sum(seg.over_standard_classes) / nullif(sum(seg.classes) FILTER (WHERE seg.big_classes IS NOT NULL), 0) AS over_standard_share,
    sum(seg.big_classes) / nullif(sum(seg.classes) FILTER (WHERE seg.big_classes IS NOT NULL), 0) AS big_share,
    sum(seg.super_big_classes) / nullif(sum(seg.classes) FILTER (WHERE seg.big_classes IS NOT NULL), 0) AS super_big_share,
    any_value(cs.value) AS standard
FROM v_segments AS seg
JOIN ref_standards AS cs ON cs.indicator_key = 'class_size_standard' AND cs.scope = seg.stage
WHERE seg.year = $year
GROUP BY seg.stage
ORDER BY min(CASE seg.stage WHEN '小学' THEN 1 WHEN '初中' THEN 2 ELSE 3 END);
