-- The server following another registry's storage topic on this database, if one does
-- (`schemata serve --follow-kafka`, docs/migration.md §6.4), as in migrations/postgres/0011:
-- other servers on the database refuse writes while the row is there.
CREATE TABLE follower (
    only_row   INTEGER PRIMARY KEY CHECK (only_row = 1),
    source     TEXT NOT NULL,
    since      INTEGER NOT NULL
);
