-- What the app-facing Monaca API keeps: settings, sessions, tokens, login failures, devices, mail.
CREATE TABLE app_settings (
    backend_id TEXT PRIMARY KEY REFERENCES backends (id) ON DELETE CASCADE,
    settings   TEXT NOT NULL   -- JSON object
) STRICT;

CREATE TABLE sessions (
    backend_id TEXT NOT NULL REFERENCES backends (id) ON DELETE CASCADE,
    id_hash    TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    device_id  TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (backend_id, id_hash)
) STRICT;
CREATE INDEX sessions_user ON sessions (backend_id, user_id);

-- Single-use tokens: login tokens (auto-login) and password-reset tokens.
CREATE TABLE user_tokens (
    backend_id TEXT NOT NULL REFERENCES backends (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    device_id  TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (backend_id, kind, token_hash)
) STRICT;
CREATE INDEX user_tokens_user ON user_tokens (backend_id, kind, user_id);

CREATE TABLE login_failures (
    backend_id TEXT NOT NULL REFERENCES backends (id) ON DELETE CASCADE,
    key        TEXT NOT NULL,
    failed_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX login_failures_key ON login_failures (backend_id, key, failed_at);

CREATE TABLE devices (
    backend_id   TEXT NOT NULL REFERENCES backends (id) ON DELETE CASCADE,
    id           TEXT NOT NULL,
    properties   TEXT NOT NULL,   -- JSON object
    last_user_id TEXT,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (backend_id, id)
) STRICT;
CREATE INDEX devices_user ON devices (backend_id, last_user_id);

CREATE TABLE mail_templates (
    backend_id TEXT NOT NULL REFERENCES backends (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    subject    TEXT NOT NULL,
    body       TEXT NOT NULL,
    PRIMARY KEY (backend_id, name)
) STRICT;

CREATE TABLE mail_outbox (
    backend_id TEXT NOT NULL REFERENCES backends (id) ON DELETE CASCADE,
    id         TEXT NOT NULL,
    recipient  TEXT NOT NULL,
    subject    TEXT NOT NULL,
    body       TEXT NOT NULL,
    template   TEXT NOT NULL,
    status     TEXT NOT NULL,
    error      TEXT,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (backend_id, id)
) STRICT;
CREATE INDEX mail_outbox_created ON mail_outbox (backend_id, created_at);
