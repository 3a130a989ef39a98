-- The configuration file is the truth for what it declares (issue 12, "Trust").
-- `managed`: the row was declared by appframe.toml (rows created through the integration API
-- are not), so a start with a file that no longer declares it takes it back.
-- `active`: false once the file stopped declaring an app, member or item. Such rows are kept,
-- because deleting them would cascade to app data, and a configuration change never deletes
-- app data; every access check ignores them.
ALTER TABLE publishers ADD COLUMN managed BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE apps ADD COLUMN managed BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE apps ADD COLUMN active BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE accounts ADD COLUMN managed BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE accounts ADD COLUMN active BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE items ADD COLUMN managed BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE items ADD COLUMN active BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE memberships ADD COLUMN managed BOOLEAN NOT NULL DEFAULT FALSE;

-- Before this migration nothing recorded where a row came from, so existing rows are left to
-- the integration API, except those of the built-in demo configuration (fixed names and ids):
-- they came from a file, and must not outlive a switch to one's own configuration.
UPDATE publishers SET managed = TRUE WHERE name = 'local';
UPDATE apps SET managed = TRUE WHERE name IN ('counter', 'sticky-notes', 'js-notes');
UPDATE accounts SET managed = TRUE WHERE id IN (
    X'dca3c530eff84c468172bd614654a02d', X'bc5c25bd3b164465baba7abf825cbd90',
    X'd54336042bb54d68a8761a7ad8c13608');
UPDATE items SET managed = TRUE WHERE id IN (
    X'860336f09317419391ad5d58f6a975d8', X'972072cf56bb4c7fafcb33f3427a68aa',
    X'79bf18ff133a4293ae6394768b2ff5c5');
UPDATE memberships SET managed = TRUE WHERE account_id IN (
    X'dca3c530eff84c468172bd614654a02d', X'bc5c25bd3b164465baba7abf825cbd90',
    X'd54336042bb54d68a8761a7ad8c13608') AND item_id IN (
    X'860336f09317419391ad5d58f6a975d8', X'972072cf56bb4c7fafcb33f3427a68aa',
    X'79bf18ff133a4293ae6394768b2ff5c5');

-- API keys are kept as SHA-256 digests. Until now only the file could create keys, so every
-- existing key is the file's. SQLite cannot hash in SQL: the plaintext is dropped and a marker
-- that matches no key takes its place; the start that runs this migration applies the file
-- right after, which stores the digest of every key it still declares and revokes the others.
CREATE TABLE api_keys_hashed (
    id BLOB PRIMARY KEY NOT NULL,
    name TEXT NOT NULL UNIQUE,
    key_hash TEXT NOT NULL UNIQUE,
    scopes TEXT NOT NULL, -- JSON array
    managed BOOLEAN NOT NULL DEFAULT FALSE,
    created_at INTEGER NOT NULL
);
INSERT INTO api_keys_hashed (id, name, key_hash, scopes, managed, created_at)
SELECT randomblob(16), name, 'unhashed:' || name, scopes, TRUE,
       CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)
FROM api_keys;
DROP TABLE api_keys;
ALTER TABLE api_keys_hashed RENAME TO api_keys;

-- Session ids are kept as SHA-256 digests too. The old rows hold plaintext ids that cannot be
-- hashed here; they are ended (members log in again) rather than left usable in plaintext.
DELETE FROM sessions;
