-- Registration of a new version in one statement (one round trip), for the common case:
-- READWRITE mode, no explicit id or version. The server has already read the subject's
-- history, checked compatibility against it, and passes what it saw (highest version, number
-- of live versions); under the subject's advisory lock this function verifies the history is
-- unchanged and writes, or answers 'fallback' and the server takes the general path.
CREATE FUNCTION schemata_register(
    p_lock_key BIGINT,
    p_context TEXT,
    p_subject TEXT,
    p_seen_max_version BIGINT,
    p_seen_live_versions BIGINT,
    p_hash TEXT,
    p_schema_type TEXT,
    p_schema TEXT,
    p_refs TEXT,
    p_metadata TEXT,
    p_rule_set TEXT,
    p_guid TEXT,
    p_now BIGINT,
    p_ref_targets TEXT
) RETURNS TABLE (outcome TEXT, out_id BIGINT, out_version BIGINT)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_max BIGINT;
    v_live BIGINT;
    v_sequence TEXT;
    v_id BIGINT;
    v_version BIGINT;
BEGIN
    PERFORM pg_advisory_xact_lock(p_lock_key);

    SELECT COALESCE(MAX(sv.version), 0), COUNT(*) FILTER (WHERE sv.deleted = 0)
      INTO v_max, v_live
      FROM subject_versions sv
     WHERE sv.context = p_context AND sv.subject = p_subject;
    IF v_max <> p_seen_max_version OR v_live <> p_seen_live_versions THEN
        RETURN QUERY SELECT 'fallback'::TEXT, NULL::BIGINT, NULL::BIGINT;
        RETURN;
    END IF;

    SELECT c.id_sequence INTO v_sequence FROM contexts c WHERE c.name = p_context AND c.listed = 1;
    IF v_sequence IS NULL THEN
        -- A new or deleted context: the general path records it.
        RETURN QUERY SELECT 'fallback'::TEXT, NULL::BIGINT, NULL::BIGINT;
        RETURN;
    END IF;

    SELECT s.id INTO v_id FROM schemas s WHERE s.context = p_context AND s.hash = p_hash;
    IF v_id IS NOT NULL THEN
        -- Known content: any version of this subject carrying it (live: answer it; soft
        -- deleted: the general path purges it) is handled there.
        IF EXISTS (SELECT 1 FROM subject_versions sv
                    WHERE sv.context = p_context AND sv.subject = p_subject AND sv.schema_id = v_id) THEN
            RETURN QUERY SELECT 'fallback'::TEXT, NULL::BIGINT, NULL::BIGINT;
            RETURN;
        END IF;
    ELSE
        LOOP
            v_id := nextval(v_sequence::regclass);
            -- Imported schemas carry their own ids; skip any the sequence collides with.
            EXIT WHEN NOT EXISTS (SELECT 1 FROM schemas s WHERE s.context = p_context AND s.id = v_id);
        END LOOP;
        INSERT INTO schemas (context, id, hash, schema_type, schema_text, refs, metadata, rule_set, guid, created_at)
        VALUES (p_context, v_id, p_hash, p_schema_type, p_schema, p_refs, p_metadata, p_rule_set, p_guid, p_now)
        ON CONFLICT (context, hash) DO NOTHING;
        IF NOT FOUND THEN
            -- The same content was just committed under another subject: share its id.
            SELECT s.id INTO v_id FROM schemas s WHERE s.context = p_context AND s.hash = p_hash;
        END IF;
    END IF;

    v_version := v_max + 1;
    INSERT INTO subject_versions (context, subject, version, schema_id, deleted, created_at)
    VALUES (p_context, p_subject, v_version, v_id, 0, p_now);
    INSERT INTO schema_references (context, schema_id, ref_context, ref_subject, ref_version)
    SELECT p_context, v_id, t->>0, t->>1, (t->>2)::BIGINT
      FROM jsonb_array_elements(p_ref_targets::jsonb) AS t
    ON CONFLICT DO NOTHING;

    RETURN QUERY SELECT 'registered'::TEXT, v_id, v_version;
END
$$;
