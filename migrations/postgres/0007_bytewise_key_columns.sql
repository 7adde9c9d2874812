-- Key columns compare bytewise (COLLATE "C").
--
-- Until now they took the database's default collation (on Debian's clusters C.UTF-8, often
-- en_US.UTF-8 elsewhere): every index descent on a subject, context, hash or guid compared
-- strings through the locale (strcoll) instead of memcmp. Driving the registration group
-- function alone (bench/group_function.sh, groups of 16, alternated runs, 2026-12-06): machine
-- CPU 1,580-1,760 µs per group with the default collation, 1,280-1,480 µs with "C".
--
-- Byte order is also the order CSR lists subjects in (Java sorts strings by UTF-16 code unit,
-- which agrees with UTF-8 byte order outside the supplementary planes) and the order the
-- SQLite store uses (BINARY), so both stores now list subjects and contexts alike whatever
-- the database's locale. Only the indexes are rebuilt; the rows are not rewritten.

ALTER TABLE contexts
    ALTER COLUMN name TYPE TEXT COLLATE "C",
    ALTER COLUMN id_sequence TYPE TEXT COLLATE "C";
ALTER TABLE schemas
    ALTER COLUMN context TYPE TEXT COLLATE "C",
    ALTER COLUMN hash TYPE TEXT COLLATE "C",
    ALTER COLUMN guid TYPE TEXT COLLATE "C";
ALTER TABLE subject_versions
    ALTER COLUMN context TYPE TEXT COLLATE "C",
    ALTER COLUMN subject TYPE TEXT COLLATE "C";
ALTER TABLE schema_references
    ALTER COLUMN context TYPE TEXT COLLATE "C",
    ALTER COLUMN ref_context TYPE TEXT COLLATE "C",
    ALTER COLUMN ref_subject TYPE TEXT COLLATE "C";
ALTER TABLE configs ALTER COLUMN scope TYPE TEXT COLLATE "C";
ALTER TABLE modes ALTER COLUMN scope TYPE TEXT COLLATE "C";
