-- The generation of a context's subject histories, as in migrations/postgres/0004: bumped by
-- every change to subject_versions other than appending a version on top. SQLite writes
-- through the general, locked path only, so nothing compares it yet; it is kept so both
-- stores answer the same history reads.

ALTER TABLE contexts ADD COLUMN history_generation INTEGER NOT NULL DEFAULT 0;

CREATE TRIGGER subject_versions_updated AFTER UPDATE ON subject_versions
BEGIN
    UPDATE contexts SET history_generation = history_generation + 1 WHERE name = NEW.context;
END;

CREATE TRIGGER subject_versions_deleted AFTER DELETE ON subject_versions
BEGIN
    UPDATE contexts SET history_generation = history_generation + 1 WHERE name = OLD.context;
END;

CREATE TRIGGER subject_versions_inserted AFTER INSERT ON subject_versions
WHEN EXISTS (SELECT 1 FROM subject_versions sv
              WHERE sv.context = NEW.context AND sv.subject = NEW.subject
                AND sv.version > NEW.version)
BEGIN
    UPDATE contexts SET history_generation = history_generation + 1 WHERE name = NEW.context;
END;
