-- Oracle analytics events, per mobile backend, in arrival order.
CREATE TABLE analytics_events (
    backend_id  TEXT NOT NULL REFERENCES backends (id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL,
    name        TEXT NOT NULL,
    event_type  TEXT NOT NULL,
    happened_on INTEGER NOT NULL,
    component   TEXT,
    session_id  TEXT,
    device_id   TEXT,
    user_id     TEXT,
    properties  TEXT NOT NULL,
    received_on INTEGER NOT NULL,
    PRIMARY KEY (backend_id, seq)
) STRICT;
CREATE INDEX analytics_events_name ON analytics_events (backend_id, name, seq);
