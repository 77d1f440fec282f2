-- name: group_scorecard
-- purpose: the education groups (plan Q11, Q12: 集团化办学质量监测): each member school's
--          7 优质均衡 resource indicators against its group's core school (牵头校), in the
--          last school year before it joined and in $year (or its latest year before), per
--          stage it shares with nothing required of the core. Membership: 学校.教育集团
--          (schools.group_name). Core school: the 学校 of the 认定与结对 rows of kind
--          教育集团成员 whose 对象 is a member; else the county school named like the group
--          (group name minus “教育集团”); else the core is outside the county (鹤山, 珠海):
--          named from the group name, core_in_county = FALSE, no core values. Join year: the
--          since_year of the member's 教育集团成员 row, when given (NULL: no “before” column).
--          Members without indicator values in the years asked still appear once.
-- param: year int 学年（起始年）：“之后”取该学年（或此前最近一个有数据的学年）
-- param: county text optional 县级区划代码（库中只有一个县时可省略）
-- columns: group_name, core_school_id, core_name, core_in_county, member_school_id,
--          member_name, member_town, join_year, stage, indicator, indicator_name, unit,
--          standard, before_year, member_before, core_before, after_year, member_after,
--          core_after, ratio_before, ratio_after
WITH towns AS NOT MATERIALIZED (
    SELECT * FROM towns WHERE substr(town_code, 1, 6) = $county
),
schools AS NOT MATERIALIZED (
    SELECT * FROM schools WHERE substr(town_code, 1, 6) = $county
),
designations AS NOT MATERIALIZED (
    SELECT * FROM designations
        WHERE substr(town_code, 1, 6) = $county OR school_id IN (SELECT school_id FROM schools)
),
v_indicator_values AS NOT MATERIALIZED (
    SELECT * EXCLUDE (county) FROM v_indicator_values WHERE county = $county
),
grp AS (
    SELECT school_id, school_name, town_code, trim(group_name) AS group_name
    FROM schools
    WHERE nullif(trim(group_name), '') IS NOT NULL
),
links AS (
    SELECT d.school_id AS core_id, d.partner_school_id AS member_id, min(d.since_year) AS since_year
    FROM designations AS d
    WHERE d.kind = '教育集团成员'
    GROUP BY ALL
),
-- The core named by the designations of the group's members (the most often named one).
core_by_link AS (
    SELECT g.group_name, mode(l.core_id) AS core_id
    FROM grp AS g
    JOIN links AS l ON l.member_id = g.school_id
    GROUP BY g.group_name
),
core_by_name AS (
    SELECT g.group_name, min(s.school_id) AS core_id
    FROM (SELECT DISTINCT group_name FROM grp) AS g
    JOIN schools AS s ON s.school_name = regexp_replace(g.group_name, '教育集团$', '')
    GROUP BY g.group_name
),
cores AS (
    SELECT g.group_name,
           coalesce(bl.core_id, bn.core_id) AS core_school_id,
           coalesce(cs.school_name, regexp_replace(g.group_name, '教育集团$', '')) AS core_name,
           coalesce(bl.core_id, bn.core_id) IS NOT NULL AS core_in_county
    FROM (SELECT DISTINCT group_name FROM grp) AS g
    LEFT JOIN core_by_link AS bl USING (group_name)
    LEFT JOIN core_by_name AS bn USING (group_name)
    LEFT JOIN schools AS cs ON cs.school_id = coalesce(bl.core_id, bn.core_id)
),
members AS (
    SELECT c.*, g.school_id AS member_school_id, g.school_name AS member_name, t.town_name AS member_town,
           l.since_year AS join_year
    FROM grp AS g
    JOIN cores AS c USING (group_name)
    LEFT JOIN towns AS t ON t.town_code = g.town_code
    LEFT JOIN links AS l ON l.member_id = g.school_id AND l.core_id = c.core_school_id
    WHERE c.core_school_id IS NULL OR g.school_id <> c.core_school_id
),
vals AS (
    SELECT v.year, v.school_id, v.stage, v.indicator, v.indicator_name, v.unit, v.value
    FROM v_indicator_values AS v
    WHERE v.group_zh = '义务教育优质均衡（资源配置）' AND v.value IS NOT NULL AND v.year <= $year
),
-- Per member, stage and indicator: the last year before joining and the latest year.
member_years AS (
    SELECT m.member_school_id, v.stage, v.indicator, any_value(v.indicator_name) AS indicator_name,
           any_value(v.unit) AS unit,
           max(v.year) FILTER (WHERE v.year < m.join_year) AS before_year,
           max(v.year) AS after_year
    FROM members AS m
    JOIN vals AS v ON v.school_id = m.member_school_id
    GROUP BY ALL
)
SELECT m.group_name, m.core_school_id, m.core_name, m.core_in_county, m.member_school_id, m.member_name,
       m.member_town, m.join_year, y.stage, y.indicator, y.indicator_name, y.unit, st.value AS standard,
       y.before_year, mb.value AS member_before, cb.value AS core_before,
       y.after_year, ma.value AS member_after, ca.value AS core_after,
       mb.value / nullif(cb.value, 0) AS ratio_before,
       ma.value / nullif(ca.value, 0) AS ratio_after
FROM members AS m
LEFT JOIN member_years AS y ON y.member_school_id = m.member_school_id
LEFT JOIN vals AS mb
    ON mb.school_id = m.member_school_id AND mb.stage = y.stage AND mb.indicator = y.indicator
   AND mb.year = y.before_year
LEFT JOIN vals AS ma
    ON ma.school_id = m.member_school_id AND ma.stage = y.stage AND ma.indicator = y.indicator
   AND ma.year = y.after_year
LEFT JOIN vals AS cb
    ON m.core_in_county AND cb.school_id = m.core_school_id AND cb.stage = y.stage AND cb.indicator = y.indicator
   AND cb.year = y.before_year
LEFT JOIN vals AS ca
    ON m.core_in_county AND ca.school_id = m.core_school_id AND ca.stage = y.stage AND ca.indicator = y.indicator
   AND ca.year = y.after_year
LEFT JOIN ref_standards AS st
    ON st.indicator_key = y.indicator AND st.scope = y.stage AND st.comparator = '>='
ORDER BY m.group_name, m.member_name, y.stage, y.indicator;
