-- name: county_balance_cv
-- purpose: the official 校际差异系数 of the 7 优质均衡 resource indicators per county in the
--          scope, 小学 and 初中, against the registry's caps (the balance_cv figures, from the
--          formula of v_county_cv, the macro county_cv, every county at once, one year read).
--          One row per county, stage and indicator.
-- param: year int 学年（起始年）
-- param: stage text optional 学段（小学/初中）；省略或空=两个学段
-- param: scope text optional 范围：省略或空=全部；否则区划代码前缀（2 位省、4 位市、6 位县）
-- columns: county, county_name, year, stage, indicator, indicator_name, unit, mean, sd, cv,
--          threshold, passed, schools, students
SELECT
    c.county, d.county_name, c.year, c.stage, c.indicator, c.indicator_name, c.unit,
    c.mean, c.sd, c.cv, c.threshold, c.passed, c.schools, c.students
FROM county_cv($year, NULL) AS c
LEFT JOIN d_counties AS d USING (county)
JOIN ref_indicators AS ri ON ri.key = c.indicator
WHERE c.year = $year
  AND ($stage = '' OR c.stage = $stage)
  AND starts_with(c.county, $scope)
ORDER BY c.county, c.stage DESC, ri.rowid;
