-- The statements Schemata 9ab3fb4 sends to register version n>1 of a subject (captured with
-- log_statement=all): 9 reads before the transaction, then BEGIN, 12 statements, COMMIT.
-- Same shapes, same tables; the two INSERTs go to scratch tables so every run succeeds.
\set n random(1, 1000000000)
SELECT config FROM configs WHERE scope = 'bench-' || :client_id;
SELECT config FROM configs WHERE scope = ':.:';
SELECT config FROM configs WHERE scope = ':.__GLOBAL:';
SELECT mode FROM modes WHERE scope = '';
SELECT mode FROM modes WHERE scope = 'bench-' || :client_id;
SELECT mode FROM modes WHERE scope = ':.:';
SELECT mode FROM modes WHERE scope = ':.__GLOBAL:';
SELECT context, subject, version, schema_id, deleted, created_at FROM subject_versions WHERE context = '.' AND subject = 'diag' ORDER BY version;
SELECT v.version FROM subject_versions v JOIN schemas s ON s.context = v.context AND s.id = v.schema_id WHERE v.context = '.' AND v.subject = 'diag' AND s.hash = 'h' || :n;
BEGIN;
SELECT pg_advisory_xact_lock(:n);
SELECT listed FROM contexts WHERE name = '.';
SELECT context, subject, version, schema_id, deleted, created_at FROM subject_versions WHERE context = '.' AND subject = 'diag' ORDER BY version;
SELECT id FROM schemas WHERE context = '.' AND hash = 'h' || :n;
SELECT context, id, hash, schema_type, schema_text, refs, metadata, rule_set, guid, created_at FROM schemas WHERE context = '.' AND id = 1;
SELECT context, subject, version, schema_id, deleted, created_at FROM subject_versions WHERE context = '.' AND schema_id = 1 ORDER BY subject, version;
SELECT id_sequence FROM contexts WHERE name = '.';
SELECT nextval('schema_id_seq_default'::regclass);
SELECT context, id, hash, schema_type, schema_text, refs, metadata, rule_set, guid, created_at FROM schemas WHERE context = '.' AND id = :n;
INSERT INTO mimic_schemas (payload) VALUES (repeat('x', 300) || :n);
INSERT INTO mimic_versions (payload) VALUES ('v' || :n);
COMMIT;
