-- name: disabled_enrolment
-- purpose: the county's 适龄残疾儿童少年入学率 (indicator disabled_enrolment_rate of the
--          registry: 入学数 ÷ 适龄数, from the 市级年度 sheet) in every school year up to $year,
--          with the registry's reference values: the 优质均衡 criterion (≥95%, 办法2017) and the
--          national 2025 aim (≥97%, 国办发〔2021〕60号). The plan (正文二（三）14) asks to 保障残疾
--          儿童少年受教育权利 but gives no number, so this is an indicator, not a target.
-- param: year int 学年（起始年）
-- param: county text optional 县级区划代码（库中只有一个县时可省略）
-- columns: year, school_age, enrolled, rate, criterion, national_aim
WITH city_facts AS NOT MATERIALIZED (
    SELECT * EXCLUDE (county) FROM city_facts WHERE county = $county
),
facts AS (
    SELECT year,
           max(value) FILTER (WHERE key = 'disabled_school_age') AS school_age,
           max(value) FILTER (WHERE key = 'disabled_enrolled') AS enrolled
    FROM city_facts
    WHERE year <= $year AND key IN ('disabled_school_age', 'disabled_enrolled')
    GROUP BY year
),
refs AS (
    -- the registry notes the national aim as a 参考值 (not used to judge 优质均衡)
    SELECT max(value) FILTER (WHERE NOT starts_with(note, '参考值')) AS criterion,
           max(value) FILTER (WHERE starts_with(note, '参考值')) AS national_aim
    FROM ref_standards
    WHERE indicator_key = 'disabled_enrolment_rate' AND scope = '全市'
)
SELECT f.year, f.school_age, f.enrolled, f.enrolled / nullif(f.school_age, 0) AS rate,
       r.criterion, r.national_aim
FROM facts AS f
CROSS JOIN refs AS r
ORDER BY f.year;
