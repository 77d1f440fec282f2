-- internal: city_standards_present
-- purpose: which of two county-wide (全市) thresholds the registry holds, so a data-quality rule
--          runs only when its threshold is configured.
-- params:  ? ? (two indicator keys)
-- columns: indicator_key
-- run by:  quality._jumps()
SELECT indicator_key FROM ref_standards WHERE scope = '全市' AND indicator_key IN (?, ?);
