-- Monaca app data and what the app-facing API keeps. Same tables as the SQLite store's 0002 and 0003.
--
-- Documents (user properties, item data, permissions, settings) are jsonb. Text that is compared,
-- sorted or searched uses the "C" collation: byte order, as in SQLite and in MonaQL's evaluator,
-- whatever the cluster's locale. Times are milliseconds since the epoch. The backend id leads every
-- key.

CREATE TABLE users (
    backend_id    uuid NOT NULL REFERENCES backends (id) ON DELETE CASCADE,
    id            text COLLATE "C" NOT NULL,
    username      text COLLATE "C" NOT NULL,
    password_hash text NOT NULL,
    properties    jsonb NOT NULL,
    created_at    bigint NOT NULL,
    updated_at    bigint NOT NULL,
    PRIMARY KEY (backend_id, id),
    CONSTRAINT users_properties_are_an_object CHECK (jsonb_typeof(properties) = 'object')
);

-- Sorts put missing values first ascending (as SQLite's NULL), so the indexes that serve sorts are
-- built NULLS FIRST (see src/paging.rs); a unique constraint could not say so.
CREATE UNIQUE INDEX users_username ON users (backend_id, username NULLS FIRST);
CREATE INDEX users_created ON users (backend_id, created_at NULLS FIRST, id);

-- Each collection's items live in a table of their own, "items_<collection id without dashes>",
-- created and dropped by the store in the same transaction as the collection's row (see
-- src/collections.rs), so a collection can be indexed and dropped on its own.
CREATE TABLE collections (
    backend_id                uuid NOT NULL REFERENCES backends (id) ON DELETE CASCADE,
    name                      text COLLATE "C" NOT NULL,
    id                        uuid NOT NULL UNIQUE,
    is_insertable             boolean NOT NULL,
    default_public_permission text NOT NULL,
    indexed_properties        jsonb NOT NULL,   -- array of property paths
    item_count                bigint NOT NULL DEFAULT 0,
    created_at                bigint NOT NULL,
    updated_at                bigint NOT NULL,
    PRIMARY KEY (backend_id, name),
    CONSTRAINT collections_indexed_properties_are_a_list
        CHECK (jsonb_typeof(indexed_properties) = 'array')
);

CREATE TABLE app_settings (
    backend_id uuid PRIMARY KEY REFERENCES backends (id) ON DELETE CASCADE,
    settings   jsonb NOT NULL
);

CREATE TABLE sessions (
    backend_id uuid NOT NULL REFERENCES backends (id) ON DELETE CASCADE,
    id_hash    text NOT NULL,
    user_id    text COLLATE "C" NOT NULL,
    device_id  text COLLATE "C" NOT NULL,
    created_at bigint NOT NULL,
    expires_at bigint NOT NULL,
    PRIMARY KEY (backend_id, id_hash)
);
CREATE INDEX sessions_user ON sessions (backend_id, user_id);

-- Single-use tokens: login tokens (auto-login) and password-reset tokens.
CREATE TABLE user_tokens (
    backend_id uuid NOT NULL REFERENCES backends (id) ON DELETE CASCADE,
    kind       text NOT NULL,
    token_hash text NOT NULL,
    user_id    text COLLATE "C" NOT NULL,
    device_id  text COLLATE "C" NOT NULL,
    created_at bigint NOT NULL,
    expires_at bigint NOT NULL,
    PRIMARY KEY (backend_id, kind, token_hash)
);
CREATE INDEX user_tokens_user ON user_tokens (backend_id, kind, user_id);

CREATE TABLE login_failures (
    backend_id uuid NOT NULL REFERENCES backends (id) ON DELETE CASCADE,
    key        text COLLATE "C" NOT NULL,
    failed_at  bigint NOT NULL
);
CREATE INDEX login_failures_key ON login_failures (backend_id, key, failed_at);

CREATE TABLE devices (
    backend_id   uuid NOT NULL REFERENCES backends (id) ON DELETE CASCADE,
    id           text COLLATE "C" NOT NULL,
    properties   jsonb NOT NULL,
    last_user_id text COLLATE "C",
    created_at   bigint NOT NULL,
    updated_at   bigint NOT NULL,
    PRIMARY KEY (backend_id, id)
);
CREATE INDEX devices_user ON devices (backend_id, last_user_id);

CREATE TABLE mail_templates (
    backend_id uuid NOT NULL REFERENCES backends (id) ON DELETE CASCADE,
    name       text COLLATE "C" NOT NULL,
    subject    text NOT NULL,
    body       text NOT NULL,
    PRIMARY KEY (backend_id, name)
);

CREATE TABLE mail_outbox (
    backend_id uuid NOT NULL REFERENCES backends (id) ON DELETE CASCADE,
    id         uuid NOT NULL,
    recipient  text NOT NULL,
    subject    text NOT NULL,
    body       text NOT NULL,
    template   text NOT NULL,
    status     text NOT NULL,
    error      text,
    created_at bigint NOT NULL,
    PRIMARY KEY (backend_id, id)
);
CREATE INDEX mail_outbox_created ON mail_outbox (backend_id, created_at);
