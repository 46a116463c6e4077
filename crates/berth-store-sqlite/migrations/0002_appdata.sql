-- Monaca app data: users, and collections whose items live in one table per collection
-- (named items_<collection id>, created by the store), so a collection can be indexed and dropped
-- on its own.
CREATE TABLE users (
    backend_id    TEXT NOT NULL REFERENCES backends (id) ON DELETE CASCADE,
    id            TEXT NOT NULL,
    username      TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    properties    TEXT NOT NULL,   -- JSON object
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    PRIMARY KEY (backend_id, id),
    UNIQUE (backend_id, username)
) STRICT;

CREATE INDEX users_created ON users (backend_id, created_at);

CREATE TABLE collections (
    backend_id                TEXT NOT NULL REFERENCES backends (id) ON DELETE CASCADE,
    name                      TEXT NOT NULL,
    id                        TEXT NOT NULL UNIQUE,
    is_insertable             INTEGER NOT NULL,
    default_public_permission TEXT NOT NULL,
    indexed_properties        TEXT NOT NULL,   -- JSON array of property paths
    item_count                INTEGER NOT NULL DEFAULT 0,
    created_at                INTEGER NOT NULL,
    updated_at                INTEGER NOT NULL,
    PRIMARY KEY (backend_id, name)
) STRICT;
