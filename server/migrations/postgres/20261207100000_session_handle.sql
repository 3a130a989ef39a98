-- App tokens name the host session they were minted from by this random handle, never by the
-- session id or its stored digest (an app can read its token). Sessions that exist already get
-- a handle of their own.
ALTER TABLE sessions ADD COLUMN handle TEXT;
UPDATE sessions SET handle = md5(random()::text || id) || md5(random()::text || clock_timestamp()::text);
ALTER TABLE sessions ALTER COLUMN handle SET NOT NULL;
CREATE UNIQUE INDEX sessions_handle ON sessions(handle);
