-- internal: bookkeeping_tables
-- purpose: the import log (one row per import, restore, refresh or task update) and the meta
--          key/value table (reference_version, demo flag); created when missing, never changed.
-- creates: import_log (table), meta (table)
-- run by:  importer.create_tables(), before any data is written
CREATE TABLE IF NOT EXISTS import_log (
    id INTEGER, imported_at TIMESTAMP, action VARCHAR, user_name VARCHAR,
    file_name VARCHAR, sha256 VARCHAR, rows_json VARCHAR, replaced_years VARCHAR,
    warnings INTEGER, note VARCHAR);
CREATE TABLE IF NOT EXISTS meta (key VARCHAR, value VARCHAR);
