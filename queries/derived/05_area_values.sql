-- derived: 05_area_values
-- purpose: pupil-weighted indicator values k·ΣR/ΣP per town and for the whole county.
-- creates: v_town_values (view), v_city_values (view)
-- reads:   v_indicator_values

-- Pupil-weighted values k·ΣR/ΣP of each school-level indicator per town, and for the whole
-- county, over all segments of a stage (never a mean of school ratios). "City" (全市) is the
-- county, as in a 县级市; both views carry the county last. Queries filter on
-- year and stage; DuckDB pushes those filters below the grouping.
CREATE OR REPLACE VIEW v_town_values AS
SELECT
    year, stage, town_code, indicator,
    any_value(indicator_name) AS indicator_name, any_value(unit) AS unit, any_value(direction) AS direction,
    CASE WHEN sum(denominator) > 0 THEN any_value(scale) * sum(numerator) / sum(denominator) END AS town_value,
    county
FROM v_indicator_values
GROUP BY year, stage, town_code, indicator, county;

CREATE OR REPLACE VIEW v_city_values AS
SELECT
    year, stage, indicator,
    CASE WHEN sum(denominator) > 0 THEN any_value(scale) * sum(numerator) / sum(denominator) END AS city_value,
    county
FROM v_indicator_values
GROUP BY county, year, stage, indicator;
