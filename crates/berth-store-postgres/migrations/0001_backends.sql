-- Installation-wide values (e.g. the digest of the operator token).
CREATE TABLE settings (
    name  text PRIMARY KEY,
    value text NOT NULL
);

-- Mobile backends: the tenants. Every other table that holds a backend's data leads its key with
-- backend_id, so a later sharded deployment can distribute all of a backend's rows together.
--
-- Text that is sorted or searched uses the "C" collation: byte order, as in the SQLite store, whatever
-- the cluster's locale. Names are ASCII by rule, so lower() is a complete case fold here.
CREATE TABLE backends (
    id                    uuid PRIMARY KEY,
    name                  text COLLATE "C" NOT NULL,
    version               text COLLATE "C" NOT NULL,
    description           text,
    title                 text,
    action_comment        text,
    oauth_enabled         boolean NOT NULL,
    basic_auth_enabled    boolean NOT NULL,
    inactive              boolean NOT NULL,
    role_access_enabled   boolean NOT NULL,
    role_access_roles     jsonb NOT NULL,   -- array of role names
    analytics_app_guid    text,
    published             boolean NOT NULL,
    in_trash              boolean NOT NULL,
    revision              bigint NOT NULL,
    created_on            bigint NOT NULL,  -- milliseconds since the epoch
    created_by            text NOT NULL,
    modified_on           bigint NOT NULL,
    modified_by           text NOT NULL,
    deleted_on            bigint,
    deleted_by            text,
    client_id             text NOT NULL UNIQUE,
    client_secret         text NOT NULL,
    basic_auth_backend_id uuid NOT NULL UNIQUE,
    anonymous_key         text NOT NULL,
    app_api_key_hash      text NOT NULL UNIQUE,
    CONSTRAINT backends_roles_are_a_list CHECK (jsonb_typeof(role_access_roles) = 'array')
);

CREATE UNIQUE INDEX backends_name_version ON backends (lower(name), version);
CREATE INDEX backends_changed ON backends ((coalesce(deleted_on, modified_on)));

CREATE TABLE management_keys (
    backend_id       uuid NOT NULL REFERENCES backends (id) ON DELETE CASCADE,
    id               uuid NOT NULL,
    label            text,
    key_hash         text NOT NULL UNIQUE,
    prefix           text NOT NULL,
    allowed_ip_range text,
    created_on       bigint NOT NULL,
    created_by       text NOT NULL,
    PRIMARY KEY (backend_id, id)
);
