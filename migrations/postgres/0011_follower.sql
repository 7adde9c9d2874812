-- The server following another registry's storage topic on this database, if one does
-- (`schemata serve --follow-kafka`, docs/migration.md §6.4): written when it starts, removed
-- when it stops following or exits cleanly. Other servers on the database refuse writes
-- while the row is there.
CREATE TABLE follower (
    only_row   BIGINT PRIMARY KEY CHECK (only_row = 1),
    source     TEXT NOT NULL,
    since      BIGINT NOT NULL
);
