-- Websocket events too large for a NOTIFY payload (8000 bytes): stored here, their id is
-- notified instead, and they are deleted a few minutes later.
CREATE TABLE ws_events (
    id BIGSERIAL PRIMARY KEY,
    payload TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX ws_events_created_at ON ws_events (created_at);
