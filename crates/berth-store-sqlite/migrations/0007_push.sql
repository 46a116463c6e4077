-- Push: provider settings per backend, device registrations, notifications and their outbox.

CREATE TABLE push_configs (
    backend_id         TEXT PRIMARY KEY REFERENCES backends (id) ON DELETE CASCADE,
    push_project_id    TEXT NOT NULL UNIQUE,
    sealed_credentials BLOB NOT NULL,   -- encrypted JSON (never returned by the APIs)
    updated_at         INTEGER NOT NULL
) STRICT;

-- seq orders registrations for batched expansion (a cursor per notification).
CREATE TABLE push_registrations (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    backend_id  TEXT NOT NULL REFERENCES backends (id) ON DELETE CASCADE,
    id          TEXT NOT NULL,
    provider    TEXT NOT NULL,
    platform    TEXT NOT NULL,
    token       TEXT NOT NULL,
    device_id   TEXT,
    user_id     TEXT,
    build_type  TEXT,
    gateway     TEXT,
    app_id      TEXT,
    app_version TEXT,
    invalid     INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (backend_id, provider, token),
    UNIQUE (backend_id, id)
) STRICT;
CREATE INDEX push_registrations_device ON push_registrations (backend_id, device_id);
CREATE INDEX push_registrations_user ON push_registrations (backend_id, user_id);

CREATE TABLE push_notifications (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    backend_id  TEXT NOT NULL REFERENCES backends (id) ON DELETE CASCADE,
    target      TEXT NOT NULL,   -- JSON NotificationTarget
    platform    TEXT,
    provider    TEXT,
    build_type  TEXT,
    message     TEXT NOT NULL,   -- JSON NotificationMessage
    request     TEXT NOT NULL,   -- JSON, the request as received
    tag         TEXT,
    send_on     INTEGER,
    due_at      INTEGER NOT NULL,
    state       TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    started_at  INTEGER,
    finished_at INTEGER,
    expanded    INTEGER NOT NULL DEFAULT 0,
    cursor      INTEGER NOT NULL DEFAULT 0,   -- last registration seq put into the outbox
    total       INTEGER NOT NULL DEFAULT 0,
    sent        INTEGER NOT NULL DEFAULT 0,
    failed      INTEGER NOT NULL DEFAULT 0,
    invalid     INTEGER NOT NULL DEFAULT 0,
    error       TEXT
) STRICT;
CREATE INDEX push_notifications_backend ON push_notifications (backend_id, id);
CREATE INDEX push_notifications_due ON push_notifications (due_at) WHERE expanded = 0;

CREATE TABLE push_deliveries (
    backend_id       TEXT NOT NULL REFERENCES backends (id) ON DELETE CASCADE,
    notification_id  INTEGER NOT NULL REFERENCES push_notifications (id) ON DELETE CASCADE,
    registration_seq INTEGER NOT NULL,
    provider         TEXT NOT NULL,
    token            TEXT NOT NULL,
    gateway          TEXT,
    status           TEXT NOT NULL,   -- pending, sent, failed, invalid
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    lease_owner      TEXT,
    lease_until      INTEGER,
    last_error       TEXT,
    PRIMARY KEY (backend_id, notification_id, registration_seq)
) STRICT;
CREATE INDEX push_deliveries_due ON push_deliveries (next_attempt_at) WHERE status = 'pending';
