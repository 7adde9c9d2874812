-- A lean registration: subject lock, one read of the versions, two INSERTs, in one transaction.
\set n random(1, 1000000000)
BEGIN;
SELECT pg_advisory_xact_lock(:n);
SELECT context, subject, version, schema_id, deleted, created_at FROM subject_versions WHERE context = '.' AND subject = 'diag' ORDER BY version;
INSERT INTO mimic_schemas (payload) VALUES (repeat('x', 300) || :n);
INSERT INTO mimic_versions (payload) VALUES ('v' || :n);
COMMIT;
