-- appframe schema (SQLite). Ids are UUIDs stored as 16-byte blobs (sqlx's encoding);
-- timestamps are microseconds since the Unix epoch, so (created_at, id) orders and pages exactly.
CREATE TABLE publishers (
    name TEXT PRIMARY KEY NOT NULL,
    origins TEXT NOT NULL, -- JSON array of origins
    created_at INTEGER NOT NULL
);

CREATE TABLE apps (
    name TEXT PRIMARY KEY NOT NULL,
    key BLOB NOT NULL UNIQUE,
    url TEXT NOT NULL,
    publisher TEXT NOT NULL REFERENCES publishers(name) ON DELETE CASCADE ON UPDATE CASCADE,
    description TEXT,
    thumbnail TEXT,
    created_at INTEGER NOT NULL
);

CREATE TABLE accounts (
    id BLOB PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT 'member' CHECK (kind IN ('member', 'guest')),
    created_at INTEGER NOT NULL
);

CREATE TABLE items (
    id BLOB PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    app TEXT NOT NULL REFERENCES apps(name) ON DELETE CASCADE ON UPDATE CASCADE,
    description TEXT,
    lang TEXT NOT NULL DEFAULT 'en',
    settings TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE memberships (
    account_id BLOB NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    item_id BLOB NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    permission TEXT NOT NULL CHECK (permission IN ('read', 'write', 'admin')),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, item_id)
);
CREATE INDEX memberships_item ON memberships(item_id);

CREATE TABLE app_data (
    id BLOB PRIMARY KEY NOT NULL,
    item_id BLOB NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    account_id BLOB NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    creator_id BLOB REFERENCES accounts(id) ON DELETE SET NULL,
    type TEXT NOT NULL,
    visibility TEXT NOT NULL CHECK (visibility IN ('member', 'item')),
    data TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX app_data_page ON app_data(item_id, created_at, id);

CREATE TABLE app_action (
    id BLOB PRIMARY KEY NOT NULL,
    item_id BLOB NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    account_id BLOB NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    type TEXT NOT NULL,
    data TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX app_action_page ON app_action(item_id, created_at, id);

CREATE TABLE app_setting (
    id BLOB PRIMARY KEY NOT NULL,
    item_id BLOB NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    creator_id BLOB REFERENCES accounts(id) ON DELETE SET NULL,
    name TEXT NOT NULL,
    data TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX app_setting_page ON app_setting(item_id, created_at, id);

-- Metadata of uploaded files; the bytes live in object storage under `path`.
CREATE TABLE files (
    row_id BLOB PRIMARY KEY NOT NULL,
    item_id BLOB NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    name TEXT NOT NULL,
    mimetype TEXT NOT NULL,
    size INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX files_item ON files(item_id);

CREATE TABLE api_keys (
    name TEXT PRIMARY KEY NOT NULL,
    key TEXT NOT NULL UNIQUE,
    scopes TEXT NOT NULL -- JSON array
);

CREATE TABLE sessions (
    id TEXT PRIMARY KEY NOT NULL,
    account_id BLOB NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL
);
