-- The listing indexes of migrations/postgres/0010_listing_indexes.sql: a page of
-- `GET /schemas/ids/{id}/versions` (by subject, then version) and of `referencedby` (by
-- referrer id) is read in index order, and the database stops after it.

DROP INDEX subject_versions_schema_idx;
CREATE INDEX subject_versions_schema_idx
    ON subject_versions (context, schema_id, subject, version);

DROP INDEX schema_references_target_idx;
CREATE INDEX schema_references_target_idx
    ON schema_references (ref_context, ref_subject, ref_version, schema_id);
