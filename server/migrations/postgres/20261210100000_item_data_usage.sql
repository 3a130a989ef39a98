-- The app-data usage of every item, per creator, kept up to date by the statements that change
-- `app_data`, so the group commit (`server/src/store/pg_batch.rs`) reads the few counters of a
-- batch's items instead of summing every row of them (an item holds up to 10,000 rows, and the
-- sum ran once per item and batch). `creator` is the nil UUID for rows without a creator (a
-- primary key cannot hold NULL).
--
-- Counters change by deltas (`rows = rows + ...`), applied by statement triggers inside the
-- writing transaction: whatever the order in which concurrent writers commit, the counters end
-- equal to the sums. A quota-checked writer locks the item first, so it reads counters no other
-- quota-checked writer is changing. A trigger upserts its counters in key order, so two
-- statements that change several counters wait for each other instead of deadlocking.
--
-- No foreign key to `items`: a deleted item's rows go by cascade, and their trigger would then
-- write to a counter row the cascade deleted. A deleted item's counters stay, at zero.
CREATE TABLE item_data_usage (
    item_id UUID NOT NULL,
    creator UUID NOT NULL,
    rows BIGINT NOT NULL,
    bytes BIGINT NOT NULL,
    PRIMARY KEY (item_id, creator)
);

INSERT INTO item_data_usage (item_id, creator, rows, bytes)
    SELECT item_id, COALESCE(creator_id, '00000000-0000-0000-0000-000000000000'), COUNT(*),
           COALESCE(SUM(bytes), 0)
    FROM app_data GROUP BY 1, 2;

CREATE FUNCTION appframe_usage_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO item_data_usage AS u (item_id, creator, rows, bytes)
        SELECT item_id, COALESCE(creator_id, '00000000-0000-0000-0000-000000000000'), COUNT(*),
               SUM(bytes)
        FROM new_rows GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (item_id, creator)
        DO UPDATE SET rows = u.rows + EXCLUDED.rows, bytes = u.bytes + EXCLUDED.bytes;
    RETURN NULL;
END
$$;

-- Deleted rows were counted, so their counters exist: the upsert only updates (it is written as
-- an upsert for its ordered locking).
CREATE FUNCTION appframe_usage_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO item_data_usage AS u (item_id, creator, rows, bytes)
        SELECT item_id, COALESCE(creator_id, '00000000-0000-0000-0000-000000000000'), -COUNT(*),
               -SUM(bytes)
        FROM old_rows GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (item_id, creator)
        DO UPDATE SET rows = u.rows + EXCLUDED.rows, bytes = u.bytes + EXCLUDED.bytes;
    RETURN NULL;
END
$$;

-- An update may change a row's size, its creator (an account deleted: `ON DELETE SET NULL`)
-- or its item: the old values leave their counter, the new ones join theirs.
CREATE FUNCTION appframe_usage_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO item_data_usage AS u (item_id, creator, rows, bytes)
        SELECT item_id, creator, SUM(rows), SUM(bytes)
        FROM (SELECT item_id, COALESCE(creator_id, '00000000-0000-0000-0000-000000000000') AS creator,
                     1 AS rows, bytes FROM new_rows
              UNION ALL
              SELECT item_id, COALESCE(creator_id, '00000000-0000-0000-0000-000000000000'),
                     -1, -bytes FROM old_rows) c
        GROUP BY 1, 2 HAVING SUM(rows) <> 0 OR SUM(bytes) <> 0 ORDER BY 1, 2
    ON CONFLICT (item_id, creator)
        DO UPDATE SET rows = u.rows + EXCLUDED.rows, bytes = u.bytes + EXCLUDED.bytes;
    RETURN NULL;
END
$$;

CREATE FUNCTION appframe_usage_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM item_data_usage;
    RETURN NULL;
END
$$;

CREATE TRIGGER app_data_usage_insert AFTER INSERT ON app_data
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION appframe_usage_inserted();
CREATE TRIGGER app_data_usage_delete AFTER DELETE ON app_data
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION appframe_usage_deleted();
CREATE TRIGGER app_data_usage_update AFTER UPDATE ON app_data
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION appframe_usage_updated();
CREATE TRIGGER app_data_usage_truncate AFTER TRUNCATE ON app_data
    FOR EACH STATEMENT EXECUTE FUNCTION appframe_usage_truncated();
