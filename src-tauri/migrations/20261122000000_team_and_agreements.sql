-- The team and the playbook's agreements.
-- Sync-ready from the start: client-generated UUIDv7 text ids, UTC RFC 3339 text times,
-- tombstones (deleted_at) on editable rows, and append-only tables guarded by triggers.

CREATE TABLE members (
    id          TEXT PRIMARY KEY NOT NULL,
    email       TEXT NOT NULL,
    name        TEXT NOT NULL,
    side        TEXT NOT NULL CHECK (side IN ('marketing', 'sales')),
    role        TEXT NOT NULL CHECK (role IN ('manager', 'rep', 'ops')),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    deleted_at  TEXT
);
CREATE UNIQUE INDEX members_live_email ON members (email COLLATE NOCASE) WHERE deleted_at IS NULL;

-- An item is the stable identity of one thing both sides agree on (a stage, a term, a reason…).
CREATE TABLE agreement_items (
    id          TEXT PRIMARY KEY NOT NULL,
    kind        TEXT NOT NULL,
    key         TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    deleted_at  TEXT,
    UNIQUE (kind, key)
);

-- Append-only: a version's content never changes once written.
CREATE TABLE agreement_versions (
    id              TEXT PRIMARY KEY NOT NULL,
    item_id         TEXT NOT NULL REFERENCES agreement_items (id),
    number          INTEGER NOT NULL,
    name            TEXT NOT NULL,
    body            TEXT NOT NULL,           -- JSON: the fields of the item's kind
    summary         TEXT NOT NULL DEFAULT '', -- why the change is proposed
    effective_from  TEXT,                    -- earliest moment it may take force; NULL: once agreed
    author_id       TEXT REFERENCES members (id),
    created_at      TEXT NOT NULL,
    UNIQUE (item_id, number)
);

-- Append-only: the life of a version (proposed, approved, declined, agreed).
CREATE TABLE agreement_signoffs (
    id            TEXT PRIMARY KEY NOT NULL,
    version_id    TEXT NOT NULL REFERENCES agreement_versions (id),
    action        TEXT NOT NULL CHECK (action IN ('proposed', 'approved', 'declined', 'agreed')),
    member_id     TEXT REFERENCES members (id),
    comment       TEXT NOT NULL DEFAULT '',
    at            TEXT NOT NULL,
    effective_at  TEXT                       -- for 'agreed': when the version takes force
);
CREATE INDEX agreement_signoffs_by_version ON agreement_signoffs (version_id, at);

CREATE TRIGGER agreement_versions_no_update BEFORE UPDATE ON agreement_versions
BEGIN SELECT RAISE(ABORT, 'agreement_versions is append-only'); END;
CREATE TRIGGER agreement_versions_no_delete BEFORE DELETE ON agreement_versions
BEGIN SELECT RAISE(ABORT, 'agreement_versions is append-only'); END;
CREATE TRIGGER agreement_signoffs_no_update BEFORE UPDATE ON agreement_signoffs
BEGIN SELECT RAISE(ABORT, 'agreement_signoffs is append-only'); END;
CREATE TRIGGER agreement_signoffs_no_delete BEFORE DELETE ON agreement_signoffs
BEGIN SELECT RAISE(ABORT, 'agreement_signoffs is append-only'); END;
