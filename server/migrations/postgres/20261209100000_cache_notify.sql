-- Every instance caches token checks and whole app-data lists (`server/src/cache/`), stamped by
-- what the database tells it on channel `appframe_cache` (`server/src/store/pg_listen.rs`):
-- `d<item id>` when an item's app data changed, `!registry` when anything a token check or a
-- row's member names read changed, `!sessions` when a host session ended or changed. The
-- NOTIFYs are sent by triggers inside the writing transaction, so they are delivered at its
-- commit, in commit order, whichever instance or SQL wrote; a fence an instance notifies on its
-- own channel after a request arrived is therefore heard after every write committed before.
CREATE FUNCTION appframe_cache_registry_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('appframe_cache', '!registry');
    RETURN NULL;
END
$$;

CREATE FUNCTION appframe_cache_sessions_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('appframe_cache', '!sessions');
    RETURN NULL;
END
$$;

-- Row triggers: one notification per item and transaction (Postgres folds identical
-- notifications of one transaction into one).
CREATE FUNCTION appframe_cache_data_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('appframe_cache', 'd' || OLD.item_id::text);
    ELSE
        PERFORM pg_notify('appframe_cache', 'd' || NEW.item_id::text);
        IF TG_OP = 'UPDATE' AND OLD.item_id <> NEW.item_id THEN
            PERFORM pg_notify('appframe_cache', 'd' || OLD.item_id::text);
        END IF;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER publishers_cache_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON publishers
    FOR EACH STATEMENT EXECUTE FUNCTION appframe_cache_registry_notify();
CREATE TRIGGER apps_cache_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON apps
    FOR EACH STATEMENT EXECUTE FUNCTION appframe_cache_registry_notify();
CREATE TRIGGER accounts_cache_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON accounts
    FOR EACH STATEMENT EXECUTE FUNCTION appframe_cache_registry_notify();
CREATE TRIGGER items_cache_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON items
    FOR EACH STATEMENT EXECUTE FUNCTION appframe_cache_registry_notify();
CREATE TRIGGER memberships_cache_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON memberships
    FOR EACH STATEMENT EXECUTE FUNCTION appframe_cache_registry_notify();
-- A session that starts invalidates nothing (its handle is new); purges that delete nothing
-- notify nothing (row triggers).
CREATE TRIGGER sessions_cache_notify AFTER UPDATE OR DELETE ON sessions
    FOR EACH ROW EXECUTE FUNCTION appframe_cache_sessions_notify();
CREATE TRIGGER sessions_cache_truncate AFTER TRUNCATE ON sessions
    FOR EACH STATEMENT EXECUTE FUNCTION appframe_cache_sessions_notify();
CREATE TRIGGER app_data_cache_notify AFTER INSERT OR UPDATE OR DELETE ON app_data
    FOR EACH ROW EXECUTE FUNCTION appframe_cache_data_notify();
CREATE TRIGGER app_data_cache_truncate AFTER TRUNCATE ON app_data
    FOR EACH STATEMENT EXECUTE FUNCTION appframe_cache_registry_notify();
