-- Quotas: each app-data row keeps the size of its data, and each file who uploaded it, so the
-- usage of an item and of a member in it is summed from an index, never from the data itself.
ALTER TABLE app_data ADD COLUMN bytes BIGINT NOT NULL DEFAULT 0;
UPDATE app_data SET bytes = octet_length(data::text);
CREATE INDEX app_data_usage ON app_data(item_id, creator_id, bytes);

ALTER TABLE files ADD COLUMN account_id UUID REFERENCES accounts(id) ON DELETE SET NULL;
UPDATE files f SET account_id = COALESCE(
    (SELECT creator_id FROM app_data d WHERE d.id = f.row_id),
    (SELECT creator_id FROM app_setting s WHERE s.id = f.row_id));
CREATE INDEX files_usage ON files(item_id, account_id, size);
