-- derived: 04_inequality_units
-- purpose: the units (school segments, weight = pupils) of the inequality measures (Theil).
-- creates: v_inequality_units (view)
-- reads:   v_indicator_values, school_years, ref_standards

-- The units of the inequality measures (Theil): one row per segment with a defined value.
-- Stages assessed under 优质均衡 (those with a balance_cv cap in the registry) use the
-- balance_cv unit set (in_cv); other stages every segment with pupils. w = pupils, x = value;
-- the county last.
CREATE OR REPLACE VIEW v_inequality_units AS
SELECT
    v.year, v.stage, v.school_id, v.indicator, v.indicator_name, v.unit, v.town_code,
    coalesce(v.area, '未分类') AS area,
    y.students::DOUBLE AS w,
    v.value AS x,
    v.county
FROM v_indicator_values AS v
JOIN school_years AS y USING (year, school_id, stage)
WHERE v.value IS NOT NULL
  AND y.students > 0
  AND (
      v.in_cv
      OR v.stage NOT IN (SELECT DISTINCT scope FROM ref_standards WHERE indicator_key = 'balance_cv')
  );
