-- appframe schema (Postgres). Ids are UUIDs native;
-- timestamps are microseconds since the Unix epoch, so (created_at, id) orders and pages exactly.
CREATE TABLE publishers (
    name TEXT PRIMARY KEY NOT NULL,
    origins JSONB NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE apps (
    name TEXT PRIMARY KEY NOT NULL,
    key UUID NOT NULL UNIQUE,
    url TEXT NOT NULL,
    publisher TEXT NOT NULL REFERENCES publishers(name) ON DELETE CASCADE ON UPDATE CASCADE,
    description TEXT,
    thumbnail TEXT,
    created_at BIGINT NOT NULL
);

CREATE TABLE accounts (
    id UUID PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT 'member' CHECK (kind IN ('member', 'guest')),
    created_at BIGINT NOT NULL
);

CREATE TABLE items (
    id UUID PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    app TEXT NOT NULL REFERENCES apps(name) ON DELETE CASCADE ON UPDATE CASCADE,
    description TEXT,
    lang TEXT NOT NULL DEFAULT 'en',
    settings JSONB NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE memberships (
    account_id UUID NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    item_id UUID NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    permission TEXT NOT NULL CHECK (permission IN ('read', 'write', 'admin')),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, item_id)
);
CREATE INDEX memberships_item ON memberships(item_id);

CREATE TABLE app_data (
    id UUID PRIMARY KEY NOT NULL,
    item_id UUID NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    account_id UUID NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    creator_id UUID REFERENCES accounts(id) ON DELETE SET NULL,
    type TEXT NOT NULL,
    visibility TEXT NOT NULL CHECK (visibility IN ('member', 'item')),
    data JSONB NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX app_data_page ON app_data(item_id, created_at, id);

CREATE TABLE app_action (
    id UUID PRIMARY KEY NOT NULL,
    item_id UUID NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    account_id UUID NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    type TEXT NOT NULL,
    data JSONB NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX app_action_page ON app_action(item_id, created_at, id);

CREATE TABLE app_setting (
    id UUID PRIMARY KEY NOT NULL,
    item_id UUID NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    creator_id UUID REFERENCES accounts(id) ON DELETE SET NULL,
    name TEXT NOT NULL,
    data JSONB NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX app_setting_page ON app_setting(item_id, created_at, id);

-- Metadata of uploaded files; the bytes live in object storage under `path`.
CREATE TABLE files (
    row_id UUID PRIMARY KEY NOT NULL,
    item_id UUID NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    name TEXT NOT NULL,
    mimetype TEXT NOT NULL,
    size BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX files_item ON files(item_id);

CREATE TABLE api_keys (
    name TEXT PRIMARY KEY NOT NULL,
    key TEXT NOT NULL UNIQUE,
    scopes JSONB NOT NULL
);

CREATE TABLE sessions (
    id TEXT PRIMARY KEY NOT NULL,
    account_id UUID NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    expires_at BIGINT NOT NULL
);
