-- internal: catalog_base_tables
-- purpose: the names of the base tables of a database file (views and temporary tables are
--          left out, so a planted view cannot pass for a data table).
-- columns: table_name
-- run by:  restore.read_candidate(), on a history file opened as untrusted
SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' AND NOT temporary;
