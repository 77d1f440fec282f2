-- name: import_history
-- purpose: the import log, newest first (who, when, which file, sha256, rows per table). Global:
--          with county, only the entries that changed that county (import_log.counties).
-- param: county text optional 县级区划代码：只列出改动该县的记录（省略：全部记录）
-- columns: id, imported_at, action, user_name, file_name, sha256, rows_json, replaced_years,
--          warnings, note
SELECT id, imported_at, action, user_name, file_name, sha256, rows_json, replaced_years, warnings, note
FROM import_log
WHERE $county = '' OR list_contains(string_split(coalesce(counties, ''), ','), $county)
ORDER BY id DESC;
