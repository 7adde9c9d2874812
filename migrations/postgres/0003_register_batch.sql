-- Registration of many new versions (of different subjects) in one call and one transaction:
-- concurrent registrations are grouped by the server, so the per-statement and per-commit
-- costs of PostgreSQL are paid once per group instead of once per schema. Same contract as
-- schemata_register() (0002) for each item: the server has read the subject's history and
-- checked compatibility against it; under the subject's advisory lock the history must be
-- unchanged (highest version, and the live versions as 'version:id,...' compared exactly),
-- otherwise the item answers 'fallback' and the server takes the general path.
--
-- p_items: JSON array of objects with the fields declared in the jsonb_to_recordset below.
-- Items must name distinct subjects (the server guarantees it). Returns one row per item.
CREATE FUNCTION schemata_register_batch(p_items TEXT, p_now BIGINT)
RETURNS TABLE (item INT, outcome TEXT, out_id BIGINT, out_version BIGINT)
LANGUAGE plpgsql AS $$
DECLARE
    -- Parsed once for both statements.
    v_items JSONB := p_items::jsonb;
BEGIN
    -- Every subject lock first, in key order: two groups (or a group and a single writer)
    -- can never wait for each other in a cycle.
    PERFORM pg_advisory_xact_lock(k.lock_key)
       FROM (SELECT DISTINCT (i->>'lock_key')::BIGINT AS lock_key
               FROM jsonb_array_elements(v_items) AS i
              ORDER BY 1) AS k;

    -- One statement (one snapshot, taken after the locks) checks and writes every item.
    RETURN QUERY
    WITH items AS (
        SELECT *
          FROM jsonb_to_recordset(v_items) AS x(
               item INT, context TEXT, subject TEXT, seen_max BIGINT, seen_live TEXT,
               hash TEXT, schema_type TEXT, schema_text TEXT, refs TEXT, metadata TEXT,
               rule_set TEXT, guid TEXT, targets JSONB)
    ),
    writable AS (
        -- History unchanged, context live, and the content is not already a version of the
        -- subject (live: the answer is that version; soft-deleted: the general path purges it).
        -- LATERAL lookups per item: each is an index probe whatever the table statistics say.
        SELECT i.*, h.max_version + 1 AS version, c.id_sequence, k.id AS known_id
          FROM items i
          JOIN contexts c ON c.name = i.context AND c.listed = 1
         CROSS JOIN LATERAL (
               SELECT COALESCE(MAX(sv.version), 0) AS max_version,
                      COALESCE(string_agg(sv.version || ':' || sv.schema_id, ','
                                          ORDER BY sv.version) FILTER (WHERE sv.deleted = 0),
                               '') AS live
                 FROM subject_versions sv
                WHERE sv.context = i.context AND sv.subject = i.subject) AS h
          LEFT JOIN LATERAL (
               SELECT s.id FROM schemas s
                WHERE s.context = i.context AND s.hash = i.hash) AS k ON TRUE
         WHERE h.max_version = i.seen_max
           AND h.live = i.seen_live
           AND NOT EXISTS (SELECT 1 FROM subject_versions sv
                            WHERE sv.context = i.context AND sv.subject = i.subject
                              AND sv.schema_id = k.id)
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
        SELECT w.item, w.context, w.subject, w.version, w.targets,
               COALESCE(w.known_id, n.id) AS id
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
        SELECT r.context, r.id, t->>0, t->>1, (t->>2)::BIGINT
          FROM resolved r, jsonb_array_elements(r.targets) AS t
         WHERE r.id IS NOT NULL AND jsonb_array_length(r.targets) > 0
        ON CONFLICT DO NOTHING
    )
    SELECT i.item,
           CASE WHEN v.version IS NULL THEN 'fallback' ELSE 'registered' END,
           v.schema_id,
           v.version
      FROM items i
      LEFT JOIN new_versions v ON v.context = i.context AND v.subject = i.subject;
END
$$;

-- Foreign keys cost a lookup query and a row lock per inserted row, and the one from schemas
-- to contexts made every registration lock the one shared row of its context (a multixact
-- per concurrent writer). Integrity is kept by the writers: contexts are never deleted (only
-- unlisted), schema rows are never deleted (ids are not reused), and every version is
-- inserted in the transaction that found or inserted its schema row.
ALTER TABLE schemas DROP CONSTRAINT schemas_context_fkey;
ALTER TABLE subject_versions DROP CONSTRAINT subject_versions_context_schema_id_fkey;
