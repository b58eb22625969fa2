-- Accounts, contacts (the buying team), the append-only handoff log and activities.
-- contacts.stage / stage_since / score are caches of the fold over the contact's events
-- (and of its score), written in the same transaction as the events they follow, so lists
-- can filter and sort 100k contacts through indexes.

CREATE TABLE accounts (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    domain      TEXT,
    industry    TEXT,
    employees   INTEGER,
    country     TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    deleted_at  TEXT
);
CREATE UNIQUE INDEX accounts_live_name ON accounts (name COLLATE NOCASE) WHERE deleted_at IS NULL;

CREATE TABLE contacts (
    id               TEXT PRIMARY KEY NOT NULL,
    external_id      TEXT,
    account_id       TEXT REFERENCES accounts (id),
    email            TEXT,
    first_name       TEXT NOT NULL DEFAULT '',
    last_name        TEXT NOT NULL DEFAULT '',
    title            TEXT NOT NULL DEFAULT '',
    phone            TEXT NOT NULL DEFAULT '',
    country          TEXT NOT NULL DEFAULT '',
    owner_id         TEXT REFERENCES members (id),
    source_channel   TEXT NOT NULL DEFAULT '',
    source_campaign  TEXT NOT NULL DEFAULT '',
    budget_known     INTEGER NOT NULL DEFAULT 0,
    budget_note      TEXT NOT NULL DEFAULT '',
    authority_known  INTEGER NOT NULL DEFAULT 0,
    authority_note   TEXT NOT NULL DEFAULT '',
    need_known       INTEGER NOT NULL DEFAULT 0,
    need_note        TEXT NOT NULL DEFAULT '',
    timeline_known   INTEGER NOT NULL DEFAULT 0,
    timeline_note    TEXT NOT NULL DEFAULT '',
    buying_role      TEXT,
    buying_stage     TEXT,
    stage            TEXT NOT NULL,
    stage_since      TEXT NOT NULL,
    score            INTEGER NOT NULL DEFAULT 0,
    import_hash      TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    deleted_at       TEXT
);
CREATE UNIQUE INDEX contacts_external_id ON contacts (external_id) WHERE external_id IS NOT NULL AND deleted_at IS NULL;
CREATE INDEX contacts_email ON contacts (email COLLATE NOCASE);
CREATE INDEX contacts_account ON contacts (account_id);
CREATE INDEX contacts_stage ON contacts (stage, stage_since);
CREATE INDEX contacts_owner ON contacts (owner_id, stage);
CREATE INDEX contacts_score ON contacts (score);
CREATE INDEX contacts_updated ON contacts (updated_at);

-- Append-only: what happened to a contact, in the words of the playbook.
CREATE TABLE handoff_events (
    id           TEXT PRIMARY KEY NOT NULL,
    contact_id   TEXT NOT NULL REFERENCES contacts (id),
    kind         TEXT NOT NULL,
    at           TEXT NOT NULL,
    actor_id     TEXT REFERENCES members (id),
    from_stage   TEXT,
    to_stage     TEXT NOT NULL,
    reason       TEXT,
    channel      TEXT,
    note         TEXT NOT NULL DEFAULT '',
    playbook     TEXT NOT NULL DEFAULT '',  -- the versions in force, e.g. "stage/sal@1 reason/no_budget@1"
    external_id  TEXT,
    recorded_at  TEXT NOT NULL
);
CREATE INDEX handoff_events_contact ON handoff_events (contact_id, at);
CREATE INDEX handoff_events_kind_at ON handoff_events (kind, at);
CREATE UNIQUE INDEX handoff_events_external ON handoff_events (external_id) WHERE external_id IS NOT NULL;

-- Append-only: what a contact did (digital body language).
CREATE TABLE activities (
    id           TEXT PRIMARY KEY NOT NULL,
    contact_id   TEXT NOT NULL REFERENCES contacts (id),
    kind         TEXT NOT NULL,
    at           TEXT NOT NULL,
    detail       TEXT NOT NULL DEFAULT '',
    external_id  TEXT,
    recorded_at  TEXT NOT NULL
);
CREATE INDEX activities_contact ON activities (contact_id, at);
CREATE UNIQUE INDEX activities_external ON activities (external_id) WHERE external_id IS NOT NULL;

CREATE TRIGGER handoff_events_no_update BEFORE UPDATE ON handoff_events
BEGIN SELECT RAISE(ABORT, 'handoff_events is append-only'); END;
CREATE TRIGGER handoff_events_no_delete BEFORE DELETE ON handoff_events
BEGIN SELECT RAISE(ABORT, 'handoff_events is append-only'); END;
CREATE TRIGGER activities_no_update BEFORE UPDATE ON activities
BEGIN SELECT RAISE(ABORT, 'activities is append-only'); END;
CREATE TRIGGER activities_no_delete BEFORE DELETE ON activities
BEGIN SELECT RAISE(ABORT, 'activities is append-only'); END;
