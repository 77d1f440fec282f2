-- internal: bookkeeping_tables
-- purpose: the import log (one row per import, restore, refresh or task update) and the meta
--          key/value table (reference_version, demo flag); created when missing. import_log's
--          counties (comma list of the 6-digit counties an entry changed) came with issue 16 and
--          is appended last to older files.
-- creates: import_log (table), meta (table)
-- run by:  importer.create_tables(), before any data is written
CREATE TABLE IF NOT EXISTS import_log (
    id INTEGER, imported_at TIMESTAMP, action VARCHAR, user_name VARCHAR,
    file_name VARCHAR, sha256 VARCHAR, rows_json VARCHAR, replaced_years VARCHAR,
    warnings INTEGER, note VARCHAR, counties VARCHAR);
ALTER TABLE import_log ADD COLUMN IF NOT EXISTS counties VARCHAR;
CREATE TABLE IF NOT EXISTS meta (key VARCHAR, value VARCHAR);
