-- internal: restore_later_log
-- purpose: after a restore has copied the version's own log, append the live log's entries
--          made after that version (the changes being undone), renumbered after the last id
--          and without the entries the version already holds. The log is an audit trail, not data.
-- reads:   import_log (the staging file's), later (the live file's log, a DataFrame with
--          LOG_COLUMNS, counties NULL for entries written before issue 16)
-- run by:  restore.restore_backup(), inside the staging transaction
INSERT INTO import_log
SELECT (SELECT coalesce(max(id), 0) FROM import_log) + row_number() OVER (ORDER BY l.id),
       l.imported_at, l.action, l.user_name, l.file_name, l.sha256, l.rows_json,
       l.replaced_years, l.warnings, l.note, l.counties
FROM later AS l
WHERE NOT EXISTS (
    SELECT 1 FROM import_log AS k
    WHERE k.imported_at IS NOT DISTINCT FROM l.imported_at AND k.action = l.action
      AND k.file_name IS NOT DISTINCT FROM l.file_name AND k.sha256 IS NOT DISTINCT FROM l.sha256);
