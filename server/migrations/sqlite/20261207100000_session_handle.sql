-- App tokens name the host session they were minted from by this random handle, never by the
-- session id or its stored digest (an app can read its token). Sessions that exist already get
-- a handle of their own.
ALTER TABLE sessions ADD COLUMN handle TEXT NOT NULL DEFAULT '';
UPDATE sessions SET handle = lower(hex(randomblob(32)));
CREATE UNIQUE INDEX sessions_handle ON sessions(handle);
