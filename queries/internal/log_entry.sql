-- internal: log_entry
-- purpose: append one entry to import_log with the next id (max id + 1; 1 in an empty log).
-- params:  $imported_at, $action, $user_name, $file_name, $sha256, $rows_json,
--          $replaced_years, $warnings, $note, $counties (comma list of 6-digit codes)
-- run by:  importer.log_import(), inside the staging transaction
INSERT INTO import_log
SELECT
    coalesce(max(id), 0) + 1, $imported_at, $action, $user_name, $file_name, $sha256, $rows_json,
    $replaced_years, $warnings, $note, $counties
FROM import_log;
