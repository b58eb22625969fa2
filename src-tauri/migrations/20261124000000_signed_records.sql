-- no-transaction
-- Signed records and a history that converges (issue 9).
-- * Members are a fold over signed member records; `members` becomes a local projection.
-- * Versions lose their stored number (numbers are derived from time order, so two laptops
--   proposing offline never collide) and carry the author's signature over their hash.
-- * Sign-offs and handoff events carry a hash and a signature; a contact's events form a
--   hash chain (prev_hash); bulk writes are one signed record covering all their rows.
-- * `agreed` sign-off rows are no longer written: agreement is derived from valid approvals.
-- Rebuilding agreement_versions needs foreign keys off, hence no migration transaction.
PRAGMA foreign_keys = OFF;
BEGIN;

-- The workspace's anchor: which member record founded it (its creator, the first manager).
CREATE TABLE workspace (
    id                 TEXT PRIMARY KEY NOT NULL,
    genesis_record_id  TEXT NOT NULL,
    created_at         TEXT NOT NULL
);

-- Append-only: every addition of a member and every change of name, side, role or key,
-- signed by a manager (the founding record by the creator).
CREATE TABLE member_records (
    id            TEXT PRIMARY KEY NOT NULL,
    member_id     TEXT NOT NULL,
    email         TEXT NOT NULL,
    name          TEXT NOT NULL,
    side          TEXT NOT NULL,
    role          TEXT NOT NULL,
    removed       INTEGER NOT NULL DEFAULT 0,
    public_key    TEXT NOT NULL,
    key_envelope  TEXT NOT NULL,   -- JSON: the private key sealed under the member's passphrase
    at            TEXT NOT NULL,
    signer_id     TEXT NOT NULL,
    hash          TEXT NOT NULL,
    signature     TEXT NOT NULL
);
CREATE INDEX member_records_member ON member_records (member_id, at);
CREATE TRIGGER member_records_no_update BEFORE UPDATE ON member_records
BEGIN SELECT RAISE(ABORT, 'member_records is append-only'); END;
CREATE TRIGGER member_records_no_delete BEFORE DELETE ON member_records
BEGIN SELECT RAISE(ABORT, 'member_records is append-only'); END;

ALTER TABLE members ADD COLUMN public_key TEXT;

-- Append-only: one signed record per bulk write (an import, a generated workspace); its
-- hash covers the hashes of all the rows that name it in bulk_id.
CREATE TABLE bulk_records (
    id         TEXT PRIMARY KEY NOT NULL,
    kind       TEXT NOT NULL,
    rows       INTEGER NOT NULL,
    at         TEXT NOT NULL,
    signer_id  TEXT NOT NULL,
    hash       TEXT NOT NULL,
    signature  TEXT NOT NULL
);
CREATE TRIGGER bulk_records_no_update BEFORE UPDATE ON bulk_records
BEGIN SELECT RAISE(ABORT, 'bulk_records is append-only'); END;
CREATE TRIGGER bulk_records_no_delete BEFORE DELETE ON bulk_records
BEGIN SELECT RAISE(ABORT, 'bulk_records is append-only'); END;

CREATE TABLE agreement_versions_signed (
    id              TEXT PRIMARY KEY NOT NULL,
    item_id         TEXT NOT NULL REFERENCES agreement_items (id),
    name            TEXT NOT NULL,
    body            TEXT NOT NULL,
    summary         TEXT NOT NULL DEFAULT '',
    effective_from  TEXT,
    supersedes      TEXT,          -- hash of the version in force when this one was proposed
    author_id       TEXT REFERENCES members (id),
    created_at      TEXT NOT NULL,
    hash            TEXT,
    signature       TEXT
);
INSERT INTO agreement_versions_signed (id, item_id, name, body, summary, effective_from, author_id, created_at)
    SELECT id, item_id, name, body, summary, effective_from, author_id, created_at FROM agreement_versions;
DROP TABLE agreement_versions;
ALTER TABLE agreement_versions_signed RENAME TO agreement_versions;
CREATE INDEX agreement_versions_item ON agreement_versions (item_id, created_at);
CREATE TRIGGER agreement_versions_no_update BEFORE UPDATE ON agreement_versions
BEGIN SELECT RAISE(ABORT, 'agreement_versions is append-only'); END;
CREATE TRIGGER agreement_versions_no_delete BEFORE DELETE ON agreement_versions
BEGIN SELECT RAISE(ABORT, 'agreement_versions is append-only'); END;

ALTER TABLE agreement_signoffs ADD COLUMN hash TEXT;
ALTER TABLE agreement_signoffs ADD COLUMN signature TEXT;

ALTER TABLE handoff_events ADD COLUMN assignee_id TEXT;
ALTER TABLE handoff_events ADD COLUMN prev_hash TEXT;
ALTER TABLE handoff_events ADD COLUMN hash TEXT;
ALTER TABLE handoff_events ADD COLUMN signature TEXT;
ALTER TABLE handoff_events ADD COLUMN bulk_id TEXT;  -- no index: `verify` reads rows by contact

ALTER TABLE activities ADD COLUMN hash TEXT;
ALTER TABLE activities ADD COLUMN bulk_id TEXT;

-- Local projection: records that failed verification (by `playbook verify` or on arrival).
-- Folds ignore them. Never synced; rebuilt by `playbook verify`.
CREATE TABLE tampered (
    record_id   TEXT PRIMARY KEY NOT NULL,
    table_name  TEXT NOT NULL,
    problem     TEXT NOT NULL,
    found_at    TEXT NOT NULL
);

-- Local projection bookkeeping (which scoring model the cached scores follow, and when).
CREATE TABLE projection_state (
    key    TEXT PRIMARY KEY NOT NULL,
    value  TEXT NOT NULL
);

COMMIT;
PRAGMA foreign_keys = ON;
