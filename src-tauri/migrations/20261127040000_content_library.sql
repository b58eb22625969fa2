-- The content library (issue 13): assets as a signed, append-only log of their states with a
-- projection for reading, the files' local store index with the text pulled out of them, a
-- full-text index, account risks noted by reps, and content sends as signed activities.

-- Append-only: every state of an asset, signed by the member who wrote it (or covered by a
-- bulk record for a manifest import). The newest record by (at, id) is the asset's state.
CREATE TABLE content_records (
    id         TEXT PRIMARY KEY NOT NULL,
    asset_id   TEXT NOT NULL,
    body       TEXT NOT NULL,           -- JSON: the asset's fields as written
    at         TEXT NOT NULL,
    author_id  TEXT NOT NULL,
    hash       TEXT NOT NULL,
    signature  TEXT NOT NULL
);
CREATE INDEX content_records_asset ON content_records (asset_id, at, id);
CREATE TRIGGER content_records_no_update BEFORE UPDATE ON content_records
BEGIN SELECT RAISE(ABORT, 'content_records is append-only'); END;
CREATE TRIGGER content_records_no_delete BEFORE DELETE ON content_records
BEGIN SELECT RAISE(ABORT, 'content_records is append-only'); END;

-- Projection of the newest valid record per asset (rebuilt from content_records). Its
-- integer rowid is the full-text index's rowid. updated_at moves only with a user's edit.
CREATE TABLE content_assets (
    rowid       INTEGER PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    record_id   TEXT NOT NULL,
    title       TEXT NOT NULL,
    kind        TEXT NOT NULL,
    summary     TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL CHECK (status IN ('draft', 'published', 'retired')),
    owner_id    TEXT,
    review_by   TEXT,                    -- a date, YYYY-MM-DD
    sha256      TEXT,                    -- the current file, or NULL for a link
    file_name   TEXT,
    file_size   INTEGER,
    media_type  TEXT,
    url         TEXT,
    version     INTEGER NOT NULL,        -- how many files (or links) it has had
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    deleted_at  TEXT
);

-- Projection: one row per tag of an asset (stage, persona, risk, industry, language).
CREATE TABLE content_tags (
    asset_rowid  INTEGER NOT NULL REFERENCES content_assets (rowid),
    facet        TEXT NOT NULL,
    value        TEXT NOT NULL,
    PRIMARY KEY (asset_rowid, facet, value)
) WITHOUT ROWID;
CREATE INDEX content_tags_value ON content_tags (facet, value);

-- Projection: the files an asset has had, oldest first (version history).
CREATE TABLE content_versions (
    asset_id    TEXT NOT NULL,
    number      INTEGER NOT NULL,
    record_id   TEXT NOT NULL,
    sha256      TEXT,
    file_name   TEXT,
    file_size   INTEGER,
    media_type  TEXT,
    url         TEXT,
    added_at    TEXT NOT NULL,
    added_by    TEXT,
    PRIMARY KEY (asset_id, number)
) WITHOUT ROWID;

-- Local: the files in this laptop's store (DATA/content/sha256/…), by content hash, with
-- the media type sniffed from their bytes and the text pulled out of them for search.
CREATE TABLE content_blobs (
    sha256       TEXT PRIMARY KEY NOT NULL,
    size         INTEGER NOT NULL,
    media_type   TEXT NOT NULL,
    text_status  TEXT NOT NULL,          -- indexed, truncated, none, failed: …
    text         TEXT NOT NULL DEFAULT '',
    stored_at    TEXT NOT NULL
) WITHOUT ROWID;

-- Local: the full-text index over the projection (title, summary, tags, file text).
CREATE VIRTUAL TABLE content_fts USING fts5(
    title, summary, tags, body,
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3'
);

-- Append-only: risks (competitors, status quo, budget…) noted on an account, signed by the
-- member who noted or cleared them; the account's known risks are a fold over these.
CREATE TABLE account_risk_records (
    id          TEXT PRIMARY KEY NOT NULL,
    account_id  TEXT NOT NULL REFERENCES accounts (id),
    risk        TEXT NOT NULL,           -- a risk point key from the agreed taxonomy
    present     INTEGER NOT NULL,        -- 1 noted, 0 cleared
    note        TEXT NOT NULL DEFAULT '',
    at          TEXT NOT NULL,
    author_id   TEXT NOT NULL,
    hash        TEXT NOT NULL,
    signature   TEXT NOT NULL
);
CREATE INDEX account_risk_records_account ON account_risk_records (account_id, at, id);
CREATE TRIGGER account_risk_records_no_update BEFORE UPDATE ON account_risk_records
BEGIN SELECT RAISE(ABORT, 'account_risk_records is append-only'); END;
CREATE TRIGGER account_risk_records_no_delete BEFORE DELETE ON account_risk_records
BEGIN SELECT RAISE(ABORT, 'account_risk_records is append-only'); END;

-- Activities a member logs themselves (a content send): signed by them, naming the asset.
ALTER TABLE activities ADD COLUMN actor_id TEXT;
ALTER TABLE activities ADD COLUMN asset_id TEXT;
ALTER TABLE activities ADD COLUMN signature TEXT;
CREATE INDEX activities_asset ON activities (asset_id, at) WHERE asset_id IS NOT NULL;
