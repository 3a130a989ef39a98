-- The storage shim (`app.storage()`): string values under keys, per member and item. Its own
-- table, so it never appears in app-data lists, live updates or exports. `bytes` (key + value)
-- is kept so usage is summed from an index, never from the values.
CREATE TABLE app_storage (
    item_id UUID NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    account_id UUID NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    bytes BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (item_id, account_id, key)
);
CREATE INDEX app_storage_usage ON app_storage(item_id, account_id, bytes);
