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
    'dca3c530-eff8-4c46-8172-bd614654a02d', 'bc5c25bd-3b16-4465-baba-7abf825cbd90',
    'd5433604-2bb5-4d68-a876-1a7ad8c13608');
UPDATE items SET managed = TRUE WHERE id IN (
    '860336f0-9317-4193-91ad-5d58f6a975d8', '972072cf-56bb-4c7f-afcb-33f3427a68aa',
    '79bf18ff-133a-4293-ae63-94768b2ff5c5');
UPDATE memberships SET managed = TRUE WHERE account_id IN (
    'dca3c530-eff8-4c46-8172-bd614654a02d', 'bc5c25bd-3b16-4465-baba-7abf825cbd90',
    'd5433604-2bb5-4d68-a876-1a7ad8c13608') AND item_id IN (
    '860336f0-9317-4193-91ad-5d58f6a975d8', '972072cf-56bb-4c7f-afcb-33f3427a68aa',
    '79bf18ff-133a-4293-ae63-94768b2ff5c5');

-- API keys are kept as SHA-256 digests. Until now only the file could create keys, so every
-- existing key is the file's. As on SQLite (which cannot hash in SQL), the plaintext is dropped
-- and a marker that matches no key takes its place; the start that runs this migration applies
-- the file right after, which stores the digest of every key it still declares and revokes the
-- others.
CREATE TABLE api_keys_hashed (
    id UUID PRIMARY KEY NOT NULL,
    name TEXT NOT NULL UNIQUE,
    key_hash TEXT NOT NULL UNIQUE,
    scopes JSONB NOT NULL,
    managed BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL
);
INSERT INTO api_keys_hashed (id, name, key_hash, scopes, managed, created_at)
SELECT md5(random()::text || name)::uuid, name, 'unhashed:' || name, scopes, TRUE,
       (extract(epoch FROM clock_timestamp()) * 1000000)::BIGINT
FROM api_keys;
DROP TABLE api_keys;
ALTER TABLE api_keys_hashed RENAME TO api_keys;
ALTER TABLE api_keys RENAME CONSTRAINT api_keys_hashed_pkey TO api_keys_pkey;

-- Session ids are kept as SHA-256 digests too. The old rows hold plaintext ids that cannot be
-- hashed here; they are ended (members log in again) rather than left usable in plaintext.
DELETE FROM sessions;
