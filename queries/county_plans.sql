-- name: county_plans
-- purpose: for every county in scope, where its targets come from and how many there are:
--          source 'upload' (an administrator's 方案目标登记表), 'file'
--          (data/plans/<adcode>/targets.csv) or 'common' (no plan of its own: held to the
--          national-standard targets G1–G7 only); the counts of its targets.
-- param: scope text 范围：空为全部县（市、区），或区划代码前缀（如 44、4407、440783）
-- columns: county, county_name, source, targets, quantitative, qualitative
WITH counties AS (
    SELECT county, county_name FROM d_counties WHERE starts_with(county, $scope)
),
counts AS (
    SELECT county, any_value(plan_set) AS plan_set, count(*) AS targets,
           count(*) FILTER (WHERE kind <> 'qualitative') AS quantitative,
           count(*) FILTER (WHERE kind = 'qualitative') AS qualitative
    FROM ref_targets
    GROUP BY county
)
SELECT c.county, c.county_name,
       CASE WHEN coalesce(n.plan_set, 'common') = 'common' THEN 'common'
            WHEN c.county IN (SELECT county FROM plan_targets) THEN 'upload'
            ELSE 'file' END AS source,
       coalesce(n.targets, 0) AS targets, coalesce(n.quantitative, 0) AS quantitative,
       coalesce(n.qualitative, 0) AS qualitative
FROM counties AS c
LEFT JOIN counts AS n USING (county)
ORDER BY c.county;
