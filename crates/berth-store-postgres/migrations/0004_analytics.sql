-- Oracle analytics events, per mobile backend, in arrival order.
CREATE TABLE analytics_events (
    backend_id  uuid NOT NULL REFERENCES backends (id) ON DELETE CASCADE,
    seq         bigint GENERATED ALWAYS AS IDENTITY,
    name        text NOT NULL,
    event_type  text NOT NULL,
    happened_on bigint NOT NULL,
    component   text,
    session_id  text,
    device_id   text,
    user_id     text,
    properties  text NOT NULL,
    received_on bigint NOT NULL,
    PRIMARY KEY (backend_id, seq)
);
CREATE INDEX analytics_events_name ON analytics_events (backend_id, name, seq);
