-- The pgbench baseline of register_pg.sh: one single-row INSERT per transaction.
INSERT INTO mimic_schemas (payload) VALUES ('client ' || :client_id || ' row ' || random());
