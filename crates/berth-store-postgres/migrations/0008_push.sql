-- Push: provider settings per backend, device registrations, notifications and their outbox.
-- Every key leads with the backend id (docs/scaling.md).

CREATE TABLE push_configs (
    backend_id         uuid PRIMARY KEY REFERENCES backends (id) ON DELETE CASCADE,
    push_project_id    text COLLATE "C" NOT NULL UNIQUE,
    sealed_credentials bytea NOT NULL,   -- encrypted JSON (never returned by the APIs)
    updated_at         bigint NOT NULL
);

-- seq orders registrations for batched expansion (a cursor per notification).
CREATE TABLE push_registrations (
    backend_id  uuid NOT NULL REFERENCES backends (id) ON DELETE CASCADE,
    seq         bigint GENERATED ALWAYS AS IDENTITY,
    id          uuid NOT NULL,
    provider    text COLLATE "C" NOT NULL,
    platform    text COLLATE "C" NOT NULL,
    token       text COLLATE "C" NOT NULL,
    device_id   text COLLATE "C",
    user_id     text COLLATE "C",
    build_type  text COLLATE "C",
    gateway     text COLLATE "C",
    app_id      text,
    app_version text,
    invalid     boolean NOT NULL DEFAULT false,
    created_at  bigint NOT NULL,
    updated_at  bigint NOT NULL,
    PRIMARY KEY (backend_id, seq),
    UNIQUE (backend_id, provider, token),
    UNIQUE (backend_id, id)
);
CREATE INDEX push_registrations_device ON push_registrations (backend_id, device_id);
CREATE INDEX push_registrations_user ON push_registrations (backend_id, user_id);

CREATE TABLE push_notifications (
    backend_id  uuid NOT NULL REFERENCES backends (id) ON DELETE CASCADE,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    target      jsonb NOT NULL,
    platform    text COLLATE "C",
    provider    text COLLATE "C",
    build_type  text COLLATE "C",
    message     jsonb NOT NULL,
    request     jsonb NOT NULL,
    tag         text COLLATE "C",
    send_on     bigint,
    due_at      bigint NOT NULL,
    state       text COLLATE "C" NOT NULL,
    created_at  bigint NOT NULL,
    started_at  bigint,
    finished_at bigint,
    expanded    boolean NOT NULL DEFAULT false,
    cursor      bigint NOT NULL DEFAULT 0,
    total       bigint NOT NULL DEFAULT 0,
    sent        bigint NOT NULL DEFAULT 0,
    failed      bigint NOT NULL DEFAULT 0,
    invalid     bigint NOT NULL DEFAULT 0,
    error       text,
    PRIMARY KEY (backend_id, id)
);
CREATE INDEX push_notifications_due ON push_notifications (due_at) WHERE NOT expanded;

CREATE TABLE push_deliveries (
    backend_id       uuid NOT NULL,
    notification_id  bigint NOT NULL,
    registration_seq bigint NOT NULL,
    provider         text COLLATE "C" NOT NULL,
    token            text COLLATE "C" NOT NULL,
    gateway          text COLLATE "C",
    status           text COLLATE "C" NOT NULL,   -- pending, sent, failed, invalid
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  bigint NOT NULL,
    lease_owner      text,
    lease_until      bigint,
    last_error       text,
    PRIMARY KEY (backend_id, notification_id, registration_seq),
    FOREIGN KEY (backend_id, notification_id) REFERENCES push_notifications (backend_id, id) ON DELETE CASCADE
);
CREATE INDEX push_deliveries_due ON push_deliveries (next_attempt_at) WHERE status = 'pending';
