-- One-off rewrites of stored rows that a newer build needs (src/store/upgrades.rs), as in
-- migrations/postgres/0009: each recorded by name once it has run, in the same transaction.
CREATE TABLE store_upgrades (
    name    TEXT PRIMARY KEY,
    done_at INTEGER NOT NULL
);
