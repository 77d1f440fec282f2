-- name: import_history
-- purpose: the import log, newest first (who, when, which file, sha256, rows per table).
-- columns: id, imported_at, action, user_name, file_name, sha256, rows_json, replaced_years,
--          warnings, note
SELECT id, imported_at, action, user_name, file_name, sha256, rows_json, replaced_years, warnings, note
FROM import_log
ORDER BY id DESC;
