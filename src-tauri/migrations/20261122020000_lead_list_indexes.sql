-- Indexes shaped by the leads list's filters and sorts, and no more: every index costs each
-- imported contact a B-tree insert. All cover live rows only, so counts need no table reads.

DROP INDEX contacts_stage;
DROP INDEX contacts_owner;
DROP INDEX contacts_score;
DROP INDEX contacts_updated;
DROP INDEX handoff_events_kind_at;

-- Stage filter, sorted by score; stage counts.
CREATE INDEX contacts_live_stage ON contacts (stage, score) WHERE deleted_at IS NULL;
-- A rep's queue and owner filters, oldest in stage first.
CREATE INDEX contacts_live_owner ON contacts (owner_id, stage, stage_since) WHERE deleted_at IS NULL;
-- The default sort and score ranges.
CREATE INDEX contacts_live_score ON contacts (score) WHERE deleted_at IS NULL;
-- Source filter and counts.
CREATE INDEX contacts_live_source ON contacts (source_channel) WHERE deleted_at IS NULL;
-- Name sort, and search by the start of a last name (LIKE is case-insensitive: NOCASE).
-- Search also runs on contacts_email and accounts_live_name; an email mostly starts with
-- the first name, so first names get no index of their own.
CREATE INDEX contacts_live_name ON contacts (last_name COLLATE NOCASE, first_name COLLATE NOCASE) WHERE deleted_at IS NULL;
