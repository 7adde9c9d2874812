-- Registration of many new versions (of different subjects) in one call and one transaction:
-- concurrent registrations are grouped by the server, so the per-statement and per-commit
-- costs of PostgreSQL are paid once per group instead of once per schema. The group is passed
-- as arrays (one per column, in binary) rather than as one JSON document: neither side
-- escapes, lexes or re-parses every schema text. Same contract as schemata_register() (0002)
-- for each item: the server has read the subject's history and checked compatibility against
-- it; under the subject locks each item is written only if its subject's history is still the
-- one seen (highest version, and the live versions as 'version:id,...' compared exactly).
--
-- Item i (1-based) is element i of every p_* item array; the subjects are distinct (the
-- server guarantees it). References: element j of the p_target_* arrays belongs to item
-- p_target_items[j]. Returns one row per item written (0-based index, id, version); an item
-- without a row takes the server's general, locked path.
CREATE FUNCTION schemata_register_group(
    p_lock_keys BIGINT[], p_contexts TEXT[], p_subjects TEXT[], p_seen_max BIGINT[],
    p_seen_live TEXT[], p_hashes TEXT[], p_types TEXT[], p_texts TEXT[], p_refs TEXT[],
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
          FROM unnest(p_contexts, p_subjects, p_seen_max, p_seen_live, p_hashes, p_types,
                      p_texts, p_refs, p_metadata, p_rule_sets, p_guids)
               WITH ORDINALITY
               AS x(context, subject, seen_max, seen_live, hash, schema_type, schema_text,
                    refs, metadata, rule_set, guid, item)
    ),
    writable AS (
        -- History unchanged, context live, and the content is not already a version of the
        -- subject (live: the answer is that version; soft-deleted: the general path purges
        -- it). One probe of the subject's versions answers both history and "holds it".
        SELECT i.*, h.max_version + 1 AS version, c.id_sequence, k.id AS known_id
          FROM items i
          JOIN contexts c ON c.name = i.context AND c.listed = 1
          LEFT JOIN LATERAL (
               SELECT s.id FROM schemas s
                WHERE s.context = i.context AND s.hash = i.hash) AS k ON TRUE
         CROSS JOIN LATERAL (
               SELECT COALESCE(MAX(sv.version), 0) AS max_version,
                      COALESCE(string_agg(sv.version || ':' || sv.schema_id, ','
                                          ORDER BY sv.version) FILTER (WHERE sv.deleted = 0),
                               '') AS live,
                      COALESCE(bool_or(sv.schema_id = k.id), FALSE) AS holds_it
                 FROM subject_versions sv
                WHERE sv.context = i.context AND sv.subject = i.subject) AS h
         WHERE h.max_version = i.seen_max
           AND h.live = i.seen_live
           AND NOT h.holds_it
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

-- Foreign keys cost a lookup query and a row lock per inserted row, and the one from schemas
-- to contexts made every registration lock the one shared row of its context (a multixact
-- per concurrent writer). Integrity is kept by the writers: contexts are never deleted (only
-- unlisted), schema rows are never deleted (ids are not reused), and every version is
-- inserted in the transaction that found or inserted its schema row.
ALTER TABLE schemas DROP CONSTRAINT schemas_context_fkey;
ALTER TABLE subject_versions DROP CONSTRAINT subject_versions_context_schema_id_fkey;
