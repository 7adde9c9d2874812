-- Registration groups without reading each subject's versions.
--
-- schemata_register_group() (0003) compared the subject's whole live history, as text, with
-- the one the server had checked compatibility against: a scan of every version of the
-- subject on every registration, the largest part of PostgreSQL's work per registration once
-- subjects have a few dozen versions. Here a history is identified by its highest version
-- plus a generation kept per context: appending a version changes the highest version, and
-- every other change to subject_versions (soft delete, hard delete, a version inserted below
-- the top in IMPORT mode) bumps the generation through the triggers below, whichever process
-- or code path makes it. A bump makes the remembered histories of the whole context stale
-- at once; each then takes the general path once and is read again (deletes are rare).
--
-- schemata_register_group() stays for servers of the previous release still running against
-- this database during an upgrade; it remains correct (it does not use the generation).

ALTER TABLE contexts ADD COLUMN history_generation BIGINT NOT NULL DEFAULT 0;

CREATE FUNCTION schemata_bump_history_generation() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE contexts SET history_generation = history_generation + 1
     WHERE name IN (SELECT DISTINCT context FROM changed_rows);
    RETURN NULL;
END
$$;

CREATE TRIGGER subject_versions_updated AFTER UPDATE ON subject_versions
    REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION schemata_bump_history_generation();
CREATE TRIGGER subject_versions_deleted AFTER DELETE ON subject_versions
    REFERENCING OLD TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION schemata_bump_history_generation();

-- Inserts bump only when they land below a subject's top version (IMPORT with an explicit
-- version); a registration appends, which the highest version already tells.
CREATE FUNCTION schemata_bump_history_generation_below_top() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE contexts SET history_generation = history_generation + 1
     WHERE name IN (SELECT n.context FROM changed_rows n
                     WHERE EXISTS (SELECT 1 FROM subject_versions sv
                                    WHERE sv.context = n.context AND sv.subject = n.subject
                                      AND sv.version > n.version));
    RETURN NULL;
END
$$;

CREATE TRIGGER subject_versions_inserted AFTER INSERT ON subject_versions
    REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION schemata_bump_history_generation_below_top();

-- As schemata_register_group() (0003), item for item, but p_seen_generation (the context's
-- history generation the server read with the subject's versions) replaces p_seen_live.
CREATE FUNCTION schemata_register_group2(
    p_lock_keys BIGINT[], p_contexts TEXT[], p_subjects TEXT[], p_seen_max BIGINT[],
    p_seen_generation BIGINT[], p_hashes TEXT[], p_types TEXT[], p_texts TEXT[], p_refs TEXT[],
    p_metadata TEXT[], p_rule_sets TEXT[], p_guids TEXT[],
    p_target_items BIGINT[], p_target_contexts TEXT[], p_target_subjects TEXT[],
    p_target_versions BIGINT[], p_now BIGINT)
RETURNS TABLE (item INT, out_id BIGINT, out_version BIGINT)
LANGUAGE plpgsql AS $$
BEGIN
    -- Every subject lock first, in key order: two groups (or a group and a single writer)
    -- can never wait for each other in a cycle.
    PERFORM pg_advisory_xact_lock(k.lock_key)
       FROM (SELECT DISTINCT l AS lock_key FROM unnest(p_lock_keys) AS l ORDER BY 1) AS k;

    -- One statement (one snapshot, taken after the locks) checks and writes every item.
    RETURN QUERY
    WITH items AS (
        SELECT *
          FROM unnest(p_contexts, p_subjects, p_seen_max, p_seen_generation, p_hashes, p_types,
                      p_texts, p_refs, p_metadata, p_rule_sets, p_guids)
               WITH ORDINALITY
               AS x(context, subject, seen_max, seen_generation, hash, schema_type, schema_text,
                    refs, metadata, rule_set, guid, item)
    ),
    writable AS (
        -- History unchanged: the same highest version and the same context generation (no
        -- delete, no insert below the top since the server read it); context live; and the
        -- content is not already a version of the subject (live: the answer is that version;
        -- soft-deleted: the general path purges it). Three index probes, whatever the length
        -- of the subject's history.
        SELECT i.*, h.max_version + 1 AS version, c.id_sequence, k.id AS known_id
          FROM items i
          JOIN contexts c ON c.name = i.context AND c.listed = 1
                         AND c.history_generation = i.seen_generation
          LEFT JOIN LATERAL (
               SELECT s.id FROM schemas s
                WHERE s.context = i.context AND s.hash = i.hash) AS k ON TRUE
         CROSS JOIN LATERAL (
               SELECT COALESCE((SELECT sv.version FROM subject_versions sv
                                 WHERE sv.context = i.context AND sv.subject = i.subject
                                 ORDER BY sv.version DESC LIMIT 1), 0) AS max_version) AS h
         WHERE h.max_version = i.seen_max
           AND NOT EXISTS (SELECT 1 FROM subject_versions sv
                            WHERE sv.context = i.context AND sv.schema_id = k.id
                              AND sv.subject = i.subject)
    ),
    new_schemas AS (
        -- Identical content in two items is inserted once; rows in hash order so concurrent
        -- groups wait for each other's uncommitted rows in one direction only. A conflict
        -- with a row this snapshot cannot see (committed meanwhile by another writer, or an
        -- imported id the sequence ran into) leaves the item without an id: it falls back.
        INSERT INTO schemas (context, id, hash, schema_type, schema_text, refs, metadata,
                             rule_set, guid, created_at)
        SELECT d.context, nextval(d.id_sequence::regclass), d.hash, d.schema_type, d.schema_text,
               d.refs, d.metadata, d.rule_set, d.guid, p_now
          FROM (SELECT DISTINCT ON (w.context, w.hash) w.*
                  FROM writable w
                 WHERE w.known_id IS NULL
                 ORDER BY w.context, w.hash) AS d
         ORDER BY d.context, d.hash
        ON CONFLICT DO NOTHING
        RETURNING context, hash, id
    ),
    resolved AS (
        SELECT w.item, w.context, w.subject, w.version, COALESCE(w.known_id, n.id) AS id
          FROM writable w
          LEFT JOIN new_schemas n ON n.context = w.context AND n.hash = w.hash
    ),
    new_versions AS (
        INSERT INTO subject_versions (context, subject, version, schema_id, deleted, created_at)
        SELECT r.context, r.subject, r.version, r.id, 0, p_now
          FROM resolved r
         WHERE r.id IS NOT NULL
        RETURNING context, subject, version, schema_id
    ),
    new_references AS (
        INSERT INTO schema_references (context, schema_id, ref_context, ref_subject, ref_version)
        SELECT r.context, r.id, t.ref_context, t.ref_subject, t.ref_version
          FROM unnest(p_target_items, p_target_contexts, p_target_subjects, p_target_versions)
               AS t(item, ref_context, ref_subject, ref_version)
          JOIN resolved r ON r.item = t.item
         WHERE r.id IS NOT NULL
        ON CONFLICT DO NOTHING
    )
    SELECT (r.item - 1)::INT, v.schema_id, v.version
      FROM resolved r
      JOIN new_versions v ON v.context = r.context AND v.subject = r.subject;
END
$$;
