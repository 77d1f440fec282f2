-- internal: catalog_columns
-- purpose: every column of every table and view of a database file, with its type.
-- columns: table_name, column_name, data_type
-- run by:  restore.read_candidate(), on a history file opened as untrusted
SELECT table_name, column_name, data_type FROM duckdb_columns() WHERE schema_name = 'main';
