-- Schemata schema, PostgreSQL dialect. Every integer is BIGINT and every flag a 0/1 BIGINT so
-- that one set of queries (sqlx::Any) reads both dialects identically.

-- A context is an id space (`:.ctx:subject`). Each has its own sequence for schema ids:
-- a sequence hands out ids without a shared row lock, so registrations in different subjects
-- never wait for each other.
CREATE TABLE contexts (
    name        TEXT PRIMARY KEY,
    id_sequence TEXT NOT NULL UNIQUE,
    -- 0 after DELETE /contexts: hidden from the listing, but its id counter is kept so ids
    -- are never handed out twice.
    listed      BIGINT NOT NULL DEFAULT 1,
    created_at  BIGINT NOT NULL
);
CREATE SEQUENCE schema_id_seq_default;
INSERT INTO contexts (name, id_sequence, created_at) VALUES ('.', 'schema_id_seq_default', 0);
CREATE SEQUENCE context_seq;

-- Content-addressed: one row per distinct schema (type, canonical text, references, metadata,
-- rule set) per context. Rows are kept after their versions are hard-deleted so an id is never
-- handed to different content.
CREATE TABLE schemas (
    context     TEXT NOT NULL REFERENCES contexts (name),
    id          BIGINT NOT NULL,
    hash        TEXT NOT NULL,
    schema_type TEXT NOT NULL,
    schema_text TEXT NOT NULL,
    refs        TEXT NOT NULL,
    metadata    TEXT,
    rule_set    TEXT,
    guid        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (context, id),
    CONSTRAINT schemas_context_hash_key UNIQUE (context, hash)
);
CREATE INDEX schemas_guid_idx ON schemas (guid);

CREATE TABLE subject_versions (
    context    TEXT NOT NULL,
    subject    TEXT NOT NULL,
    version    BIGINT NOT NULL,
    schema_id  BIGINT NOT NULL,
    deleted    BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (context, subject, version),
    FOREIGN KEY (context, schema_id) REFERENCES schemas (context, id)
);
CREATE INDEX subject_versions_schema_idx ON subject_versions (context, schema_id);

-- Which schema uses which (subject, version): drives `referencedby` and delete protection.
CREATE TABLE schema_references (
    context     TEXT NOT NULL,
    schema_id   BIGINT NOT NULL,
    ref_context TEXT NOT NULL,
    ref_subject TEXT NOT NULL,
    ref_version BIGINT NOT NULL,
    PRIMARY KEY (context, schema_id, ref_context, ref_subject, ref_version)
);
CREATE INDEX schema_references_target_idx ON schema_references (ref_context, ref_subject, ref_version);

-- Scope: '' = global, ':.ctx:' = a context, otherwise a qualified subject.
CREATE TABLE configs (
    scope  TEXT PRIMARY KEY,
    config TEXT NOT NULL
);
CREATE TABLE modes (
    scope TEXT PRIMARY KEY,
    mode  TEXT NOT NULL
);
