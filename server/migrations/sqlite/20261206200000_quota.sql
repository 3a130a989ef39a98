-- Quotas: each app-data row keeps the size of its data, and each file who uploaded it, so the
-- usage of an item and of a member in it is summed from an index, never from the data itself.
ALTER TABLE app_data ADD COLUMN bytes INTEGER NOT NULL DEFAULT 0;
UPDATE app_data SET bytes = length(CAST(data AS BLOB));
CREATE INDEX app_data_usage ON app_data(item_id, creator_id, bytes);

ALTER TABLE files ADD COLUMN account_id BLOB REFERENCES accounts(id) ON DELETE SET NULL;
UPDATE files SET account_id = COALESCE(
    (SELECT creator_id FROM app_data WHERE app_data.id = files.row_id),
    (SELECT creator_id FROM app_setting WHERE app_setting.id = files.row_id));
CREATE INDEX files_usage ON files(item_id, account_id, size);
