-- Oracle storage collections: tools assets defined once for the installation.
CREATE TABLE oracle_collections (
    id             uuid PRIMARY KEY,
    name           text COLLATE "C" NOT NULL,
    version        text COLLATE "C" NOT NULL,
    description    text,
    title          text,
    action_comment text,
    user_isolated  boolean NOT NULL,
    sync_control   boolean NOT NULL,
    permissions    jsonb NOT NULL,   -- {"READ": [roles], "READ_WRITE": [...], ...}
    published      boolean NOT NULL,
    in_trash       boolean NOT NULL,
    revision       bigint NOT NULL,
    created_on     bigint NOT NULL,  -- milliseconds since the epoch
    created_by     text NOT NULL,
    modified_on    bigint NOT NULL,
    modified_by    text NOT NULL,
    deleted_on     bigint,
    deleted_by     text
);
CREATE UNIQUE INDEX oracle_collections_name_version ON oracle_collections (lower(name), version);

-- Which backends a collection is associated with, and whether anonymous callers of that backend may
-- use it (Oracle's Security_CollectionsAnonymousAccess).
CREATE TABLE oracle_collection_links (
    backend_id       uuid NOT NULL REFERENCES backends (id) ON DELETE CASCADE,
    collection_id    uuid NOT NULL REFERENCES oracle_collections (id) ON DELETE CASCADE,
    anonymous_access boolean NOT NULL,
    PRIMARY KEY (backend_id, collection_id)
);
CREATE INDEX oracle_collection_links_collection ON oracle_collection_links (collection_id);

-- Objects: each backend has its own space in a collection (the key leads with backend_id, as every
-- table of a backend's data does); owner is the user id in isolated collections and '' in shared ones.
-- The bytes are in oracle_object_chunks under blob_id.
CREATE TABLE oracle_objects (
    backend_id     uuid NOT NULL REFERENCES backends (id) ON DELETE CASCADE,
    collection_id  uuid NOT NULL REFERENCES oracle_collections (id) ON DELETE CASCADE,
    owner          text COLLATE "C" NOT NULL,
    id             text COLLATE "C" NOT NULL,
    name           text COLLATE "C" NOT NULL,
    content_type   text COLLATE "C" NOT NULL,
    content_length bigint NOT NULL,
    revision       bigint NOT NULL,
    created_on     bigint NOT NULL,
    created_by     text COLLATE "C" NOT NULL,
    modified_on    bigint NOT NULL,
    modified_by    text COLLATE "C" NOT NULL,
    blob_id        uuid NOT NULL,
    PRIMARY KEY (backend_id, collection_id, owner, id)
);
CREATE INDEX oracle_objects_collection ON oracle_objects (collection_id);
CREATE UNIQUE INDEX oracle_objects_blob ON oracle_objects (backend_id, blob_id);

-- Object bytes in pieces of at most 256 KiB, written as the request body streams in and read back one
-- piece at a time, so no object is ever held whole in memory. A write stores a new blob and swaps it
-- in with the metadata; pieces of uploads that never completed are swept after a day.
CREATE TABLE oracle_object_chunks (
    backend_id    uuid NOT NULL REFERENCES backends (id) ON DELETE CASCADE,
    collection_id uuid NOT NULL REFERENCES oracle_collections (id) ON DELETE CASCADE,
    blob_id       uuid NOT NULL,
    seq           integer NOT NULL,
    created_on    bigint NOT NULL,
    data          bytea NOT NULL,
    PRIMARY KEY (backend_id, blob_id, seq)
);
CREATE INDEX oracle_object_chunks_collection ON oracle_object_chunks (collection_id);
CREATE INDEX oracle_object_chunks_created ON oracle_object_chunks (created_on);
