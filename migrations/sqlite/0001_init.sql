-- Schemata schema, SQLite dialect. Mirrors migrations/postgres; SQLite has no sequences, so
-- each context keeps its next schema id in its row (SQLite has a single writer anyway).

CREATE TABLE contexts (
    name           TEXT PRIMARY KEY,
    id_sequence    TEXT NOT NULL UNIQUE,
    listed         INTEGER NOT NULL DEFAULT 1,
    next_schema_id INTEGER NOT NULL DEFAULT 1,
    created_at     INTEGER NOT NULL
);
INSERT INTO contexts (name, id_sequence, created_at) VALUES ('.', 'schema_id_seq_default', 0);

CREATE TABLE schemas (
    context     TEXT NOT NULL REFERENCES contexts (name),
    id          INTEGER NOT NULL,
    hash        TEXT NOT NULL,
    schema_type TEXT NOT NULL,
    schema_text TEXT NOT NULL,
    refs        TEXT NOT NULL,
    metadata    TEXT,
    rule_set    TEXT,
    guid        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (context, id),
    CONSTRAINT schemas_context_hash_key UNIQUE (context, hash)
);
CREATE INDEX schemas_guid_idx ON schemas (guid);

CREATE TABLE subject_versions (
    context    TEXT NOT NULL,
    subject    TEXT NOT NULL,
    version    INTEGER NOT NULL,
    schema_id  INTEGER NOT NULL,
    deleted    INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (context, subject, version),
    FOREIGN KEY (context, schema_id) REFERENCES schemas (context, id)
);
CREATE INDEX subject_versions_schema_idx ON subject_versions (context, schema_id);

CREATE TABLE schema_references (
    context     TEXT NOT NULL,
    schema_id   INTEGER NOT NULL,
    ref_context TEXT NOT NULL,
    ref_subject TEXT NOT NULL,
    ref_version INTEGER NOT NULL,
    PRIMARY KEY (context, schema_id, ref_context, ref_subject, ref_version)
);
CREATE INDEX schema_references_target_idx ON schema_references (ref_context, ref_subject, ref_version);

CREATE TABLE configs (
    scope  TEXT PRIMARY KEY,
    config TEXT NOT NULL
);
CREATE TABLE modes (
    scope TEXT PRIMARY KEY,
    mode  TEXT NOT NULL
);
