-- Indexes in the order of two listings, so a page of either is read from the index and the
-- database stops after it (issue 15: a listing's cost follows its page, not the registry).
--
-- `GET /schemas/ids/{id}/versions` and `/subjects` list the versions carrying an id by
-- subject, then version: the index on (context, schema_id) gains those two columns (it still
-- serves every lookup by id). `referencedby` lists referrers by schema id: the index on the
-- referenced version gains the referrer's id.

DROP INDEX subject_versions_schema_idx;
CREATE INDEX subject_versions_schema_idx
    ON subject_versions (context, schema_id, subject, version);

DROP INDEX schema_references_target_idx;
CREATE INDEX schema_references_target_idx
    ON schema_references (ref_context, ref_subject, ref_version, schema_id);
