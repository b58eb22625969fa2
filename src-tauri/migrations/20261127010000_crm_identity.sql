-- CRM exports as people really have them (issue 10).
-- * Ids are unique only within a source system and record type (a Zoho lead 2585 and a
--   Zoho contact 2585 are different people): contact_keys keys them by all three, and a
--   contact may carry several (its lead id and, once converted, its contact id).
-- * Owners and accounts a file names but Playbook does not know yet are kept as written
--   (owner_ref, account_ref) and resolved as soon as the member or account exists.
-- * Accounts carry revenue and their own source keys; opportunities are their own entity.
-- * The workspace's time zone and date order (how imports read dates that do not say).

CREATE TABLE contact_keys (
    system       TEXT NOT NULL,   -- zoho, salesforce, … spreadsheet, or the user's own name
    record_type  TEXT NOT NULL,   -- lead, contact, person, … ('' when the file does not say)
    external_id  TEXT NOT NULL,
    contact_id   TEXT NOT NULL REFERENCES contacts (id),
    -- What this source's file last said about the person (so two files describing one
    -- person, say a lead and its contact record, never take turns updating it).
    import_hash  TEXT,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (system, record_type, external_id)
) WITHOUT ROWID;
CREATE INDEX contact_keys_contact ON contact_keys (contact_id);
-- Ids imported before sources were told apart: their system is unknown ('').
INSERT INTO contact_keys (system, record_type, external_id, contact_id, created_at)
    SELECT '', '', external_id, id, created_at FROM contacts
    WHERE external_id IS NOT NULL AND deleted_at IS NULL;
-- contacts.external_id stays as the id people see (the first one it was imported with);
-- it is no longer unique.
DROP INDEX contacts_external_id;

ALTER TABLE contacts ADD COLUMN salutation TEXT NOT NULL DEFAULT '';
-- The owner as the file named them (a name, an email or the CRM's user id).
ALTER TABLE contacts ADD COLUMN owner_ref TEXT;
CREATE INDEX contacts_owner_ref ON contacts (lower(owner_ref)) WHERE owner_id IS NULL AND owner_ref IS NOT NULL;
-- The account as the file's account-id column named it ('system:id').
ALTER TABLE contacts ADD COLUMN account_ref TEXT;
CREATE INDEX contacts_account_ref ON contacts (account_ref) WHERE account_id IS NULL AND account_ref IS NOT NULL;

ALTER TABLE accounts ADD COLUMN revenue INTEGER;
ALTER TABLE accounts ADD COLUMN owner_ref TEXT;
ALTER TABLE accounts ADD COLUMN import_hash TEXT;

CREATE TABLE account_keys (
    system       TEXT NOT NULL,
    external_id  TEXT NOT NULL,
    account_id   TEXT NOT NULL REFERENCES accounts (id),
    created_at   TEXT NOT NULL,
    PRIMARY KEY (system, external_id)
) WITHOUT ROWID;
CREATE INDEX account_keys_account ON account_keys (account_id);

-- The users of a CRM, as its users export lists them: owners named by the CRM's user id
-- or name resolve through here to a member's email.
CREATE TABLE crm_users (
    system       TEXT NOT NULL,
    external_id  TEXT NOT NULL,
    name         TEXT NOT NULL DEFAULT '',
    email        TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (system, external_id)
) WITHOUT ROWID;

CREATE TABLE opportunities (
    id                  TEXT PRIMARY KEY NOT NULL,
    name                TEXT NOT NULL,
    account_id          TEXT REFERENCES accounts (id),
    account_ref         TEXT,             -- the account as the file named it, until it resolves
    primary_contact_id  TEXT REFERENCES contacts (id),
    amount_minor        INTEGER,          -- in hundredths of the currency
    currency            TEXT NOT NULL DEFAULT '',
    stage               TEXT NOT NULL DEFAULT '',   -- as the CRM names it
    status              TEXT NOT NULL CHECK (status IN ('open', 'won', 'lost')),
    close_date          TEXT,             -- YYYY-MM-DD
    owner_id            TEXT REFERENCES members (id),
    owner_ref           TEXT,
    product             TEXT NOT NULL DEFAULT '',
    loss_reason         TEXT NOT NULL DEFAULT '',
    source_system       TEXT NOT NULL DEFAULT '',
    external_id         TEXT,
    import_hash         TEXT,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    deleted_at          TEXT
);
CREATE UNIQUE INDEX opportunities_key ON opportunities (source_system, external_id)
    WHERE external_id IS NOT NULL AND deleted_at IS NULL;
CREATE INDEX opportunities_account ON opportunities (account_id) WHERE deleted_at IS NULL;
CREATE INDEX opportunities_contact ON opportunities (primary_contact_id) WHERE deleted_at IS NULL;

-- Team-wide settings: how imports read dates that do not say (time zone, day/month order).
CREATE TABLE workspace_settings (
    key         TEXT PRIMARY KEY NOT NULL,
    value       TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    updated_by  TEXT REFERENCES members (id)
);

-- Append-only: merging a duplicate contact into the person it is (and undoing that), each
-- signed by whoever did it. The latest record per duplicate, by (at, id), decides; the
-- duplicate's `merged_into` and tombstone are its projection.
CREATE TABLE contact_merges (
    id            TEXT PRIMARY KEY NOT NULL,
    duplicate_id  TEXT NOT NULL REFERENCES contacts (id),
    survivor_id   TEXT NOT NULL REFERENCES contacts (id),
    action        TEXT NOT NULL CHECK (action IN ('merge', 'unmerge')),
    at            TEXT NOT NULL,
    actor_id      TEXT NOT NULL,
    hash          TEXT NOT NULL,
    signature     TEXT NOT NULL
);
CREATE INDEX contact_merges_duplicate ON contact_merges (duplicate_id, at);
CREATE INDEX contact_merges_survivor ON contact_merges (survivor_id);
CREATE TRIGGER contact_merges_no_update BEFORE UPDATE ON contact_merges
BEGIN SELECT RAISE(ABORT, 'contact_merges is append-only'); END;
CREATE TRIGGER contact_merges_no_delete BEFORE DELETE ON contact_merges
BEGIN SELECT RAISE(ABORT, 'contact_merges is append-only'); END;
ALTER TABLE contacts ADD COLUMN merged_into TEXT;

-- Two companies may share a name (a Western Union in Mexico and one in Ecuador are two
-- accounts in the CRM): names are no longer unique; accounts a source names by id keep
-- their own identity (their id derives from that source id).
DROP INDEX accounts_live_name;
CREATE INDEX accounts_live_name ON accounts (name COLLATE NOCASE) WHERE deleted_at IS NULL;
