-- Action quotas: each app action keeps the size of its data, so the usage of an item and of a
-- member in it is summed from an index, never from the data itself.
ALTER TABLE app_action ADD COLUMN bytes BIGINT NOT NULL DEFAULT 0;
UPDATE app_action SET bytes = octet_length(data::text);
CREATE INDEX app_action_usage ON app_action(item_id, account_id, bytes);
