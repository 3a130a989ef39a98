-- Every instance's websocket hub caches the memberships it checks events against
-- (`server/src/ws/pg.rs`). Whatever changes them (config reconcile, admin and integration
-- routes, or SQL typed by an operator) tells every instance on the channel the events use:
-- a NOTIFY is delivered at commit, in commit order with the events, so an event written after
-- a membership was revoked reaches no instance before the revocation does.
CREATE FUNCTION appframe_registry_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('appframe_ws', '!registry');
    RETURN NULL;
END
$$;

CREATE TRIGGER memberships_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON memberships
    FOR EACH STATEMENT EXECUTE FUNCTION appframe_registry_notify();
CREATE TRIGGER accounts_notify AFTER UPDATE OF active OR DELETE OR TRUNCATE ON accounts
    FOR EACH STATEMENT EXECUTE FUNCTION appframe_registry_notify();
CREATE TRIGGER items_notify AFTER UPDATE OF active, app OR DELETE OR TRUNCATE ON items
    FOR EACH STATEMENT EXECUTE FUNCTION appframe_registry_notify();
CREATE TRIGGER apps_notify AFTER UPDATE OF active OR DELETE OR TRUNCATE ON apps
    FOR EACH STATEMENT EXECUTE FUNCTION appframe_registry_notify();
