-- Installation-wide values (e.g. the digest of the operator token).
CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

-- Mobile backends: the tenants. Every other table carries backend_id in its key.
CREATE TABLE backends (
    id                    TEXT PRIMARY KEY,
    name                  TEXT NOT NULL,
    version               TEXT NOT NULL,
    description           TEXT,
    title                 TEXT,
    action_comment        TEXT,
    oauth_enabled         INTEGER NOT NULL,
    basic_auth_enabled    INTEGER NOT NULL,
    inactive              INTEGER NOT NULL,
    role_access_enabled   INTEGER NOT NULL,
    role_access_roles     TEXT NOT NULL,   -- JSON array of role names
    analytics_app_guid    TEXT,
    published             INTEGER NOT NULL,
    in_trash              INTEGER NOT NULL,
    revision              INTEGER NOT NULL,
    created_on            INTEGER NOT NULL, -- milliseconds since the epoch
    created_by            TEXT NOT NULL,
    modified_on           INTEGER NOT NULL,
    modified_by           TEXT NOT NULL,
    deleted_on            INTEGER,
    deleted_by            TEXT,
    client_id             TEXT NOT NULL UNIQUE,
    client_secret         TEXT NOT NULL,
    basic_auth_backend_id TEXT NOT NULL UNIQUE,
    anonymous_key         TEXT NOT NULL,
    app_api_key_hash      TEXT NOT NULL UNIQUE
) STRICT;

-- Names are ASCII by rule, so lower() is a complete case fold here.
CREATE UNIQUE INDEX backends_name_version ON backends (lower(name), version);
CREATE INDEX backends_changed ON backends (coalesce(deleted_on, modified_on));

CREATE TABLE management_keys (
    backend_id       TEXT NOT NULL REFERENCES backends (id) ON DELETE CASCADE,
    id               TEXT NOT NULL,
    label            TEXT,
    key_hash         TEXT NOT NULL UNIQUE,
    prefix           TEXT NOT NULL,
    allowed_ip_range TEXT,
    created_on       INTEGER NOT NULL,
    created_by       TEXT NOT NULL,
    PRIMARY KEY (backend_id, id)
) STRICT;
