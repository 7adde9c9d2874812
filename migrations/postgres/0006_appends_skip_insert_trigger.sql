-- The insert trigger of 0005 skips connections that only ever append.
--
-- The trigger exists for inserts below a subject's top version (IMPORT with an explicit
-- version), yet it ran for every registration: a PL/pgSQL call, an index probe and an
-- after-trigger queue entry per row. Measured through the server (register_load, 32
-- clients, alternated runs, 2026-12-06): PostgreSQL's CPU per registration 76-78 µs with
-- it, 71 µs without, and ~5% more registrations per second.
--
-- The server's group writers (schemata_register_group2, 0004) only ever append: each item's
-- version is the subject's highest plus one, computed under the subject's lock, which every
-- other writer of that subject takes too. Their connections say so at start-up with the
-- setting `schemata.appends_only = on`, and for them the trigger does not fire. Every other
-- connection (the general path, IMPORT, a server of an earlier release, psql) keeps it.

DROP TRIGGER subject_versions_inserted ON subject_versions;

CREATE TRIGGER subject_versions_inserted AFTER INSERT ON subject_versions
    FOR EACH ROW
    WHEN (current_setting('schemata.appends_only', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION schemata_bump_history_generation_if_below_top();
