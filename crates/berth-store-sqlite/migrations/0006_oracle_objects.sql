-- Oracle storage collections: tools assets defined once for the installation.
CREATE TABLE oracle_collections (
    id             TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    version        TEXT NOT NULL,
    description    TEXT,
    title          TEXT,
    action_comment TEXT,
    user_isolated  INTEGER NOT NULL,
    sync_control   INTEGER NOT NULL,
    permissions    TEXT NOT NULL,   -- JSON {"READ": [roles], "READ_WRITE": [...], ...}
    published      INTEGER NOT NULL,
    in_trash       INTEGER NOT NULL,
    revision       INTEGER NOT NULL,
    created_on     INTEGER NOT NULL, -- milliseconds since the epoch
    created_by     TEXT NOT NULL,
    modified_on    INTEGER NOT NULL,
    modified_by    TEXT NOT NULL,
    deleted_on     INTEGER,
    deleted_by     TEXT
) STRICT;
CREATE UNIQUE INDEX oracle_collections_name_version ON oracle_collections (lower(name), version);

-- Which backends a collection is associated with, and whether anonymous callers of that backend may
-- use it (Oracle's Security_CollectionsAnonymousAccess).
CREATE TABLE oracle_collection_links (
    backend_id       TEXT NOT NULL REFERENCES backends (id) ON DELETE CASCADE,
    collection_id    TEXT NOT NULL REFERENCES oracle_collections (id) ON DELETE CASCADE,
    anonymous_access INTEGER NOT NULL,
    PRIMARY KEY (backend_id, collection_id)
) STRICT;
CREATE INDEX oracle_collection_links_collection ON oracle_collection_links (collection_id);

-- Objects: each backend has its own space in a collection; owner is the user id in isolated
-- collections and '' in shared ones. The bytes are in oracle_object_chunks under blob_id.
CREATE TABLE oracle_objects (
    backend_id     TEXT NOT NULL REFERENCES backends (id) ON DELETE CASCADE,
    collection_id  TEXT NOT NULL REFERENCES oracle_collections (id) ON DELETE CASCADE,
    owner          TEXT NOT NULL,
    id             TEXT NOT NULL,
    name           TEXT NOT NULL,
    content_type   TEXT NOT NULL,
    content_length INTEGER NOT NULL,
    revision       INTEGER NOT NULL,
    created_on     INTEGER NOT NULL,
    created_by     TEXT NOT NULL,
    modified_on    INTEGER NOT NULL,
    modified_by    TEXT NOT NULL,
    blob_id        TEXT NOT NULL,
    PRIMARY KEY (backend_id, collection_id, owner, id)
) STRICT;
CREATE INDEX oracle_objects_collection ON oracle_objects (collection_id);
CREATE UNIQUE INDEX oracle_objects_blob ON oracle_objects (backend_id, blob_id);

-- Object bytes in pieces of at most 256 KiB, written as the request body streams in and read back one
-- piece at a time, so no object is ever held whole in memory. A write stores a new blob and swaps it
-- in with the metadata; pieces of uploads that never completed are swept after a day.
CREATE TABLE oracle_object_chunks (
    backend_id    TEXT NOT NULL REFERENCES backends (id) ON DELETE CASCADE,
    collection_id TEXT NOT NULL REFERENCES oracle_collections (id) ON DELETE CASCADE,
    blob_id       TEXT NOT NULL,
    seq           INTEGER NOT NULL,
    created_on    INTEGER NOT NULL,
    data          BLOB NOT NULL,
    PRIMARY KEY (backend_id, blob_id, seq)
) STRICT;
CREATE INDEX oracle_object_chunks_collection ON oracle_object_chunks (collection_id);
CREATE INDEX oracle_object_chunks_created ON oracle_object_chunks (created_on);
