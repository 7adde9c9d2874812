-- One-off rewrites of stored rows that a newer build needs (src/store/upgrades.rs), each
-- recorded here by name once it has run, in the same transaction as the rewrite, so it runs
-- exactly once per database however many servers start at the same time.
CREATE TABLE store_upgrades (
    name    TEXT COLLATE "C" PRIMARY KEY,
    done_at BIGINT NOT NULL
);
