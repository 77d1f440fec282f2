-- name: county_list
-- purpose: the counties (县级区划) in the database within a scope: code, 天地图 name, its
--          地级市, towns, schools and the school years it has. For the scope selector and the
--          county comparison.
-- param: scope text optional 范围：省略或空=全部；否则区划代码前缀（2 位省、4 位市、6 位县）
-- columns: county, county_name, city, city_name, towns, schools, first_year, last_year
SELECT county, county_name, city, city_name, towns, schools, first_year, last_year
FROM d_counties
WHERE starts_with(county, $scope)
ORDER BY county;
