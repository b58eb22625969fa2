-- Reports and the alignment meeting (issue 14).

-- Local projection (never synced, rebuilt from the log): the applied steps of every
-- contact's handoff log as the fold through the stage definitions in force at each event's
-- time saw them. Attempts are left out (no report counts them). Keyed by time first, so a
-- report reads one period as one range; a contact's steps are replaced as a whole when its
-- log changes (`reports/steps.rs` says when).
CREATE TABLE report_steps (
    at          INTEGER NOT NULL,   -- milliseconds since the epoch, UTC
    contact_id  TEXT NOT NULL,
    seq         INTEGER NOT NULL,   -- the event's place in the contact's fold
    kind        TEXT NOT NULL,
    from_stage  TEXT,               -- NULL for the contact's first event
    to_stage    TEXT NOT NULL,
    actor_id    TEXT,
    reason      TEXT,
    PRIMARY KEY (at, contact_id, seq)
) WITHOUT ROWID;
CREATE INDEX report_steps_contact ON report_steps (contact_id);

-- Append-only, signed: every write to a meeting, its agenda, decisions and action items.
-- A record sets some fields of one entity (`body`, JSON); an entity's state is its records
-- folded in (time, id) order, the newest write winning per field, so two laptops' edits of
-- different fields both survive and every replica reaches the same state.
CREATE TABLE meeting_records (
    id          TEXT PRIMARY KEY NOT NULL,
    entity      TEXT NOT NULL CHECK (entity IN ('meeting', 'agenda_item', 'decision', 'action_item')),
    entity_id   TEXT NOT NULL,
    meeting_id  TEXT NOT NULL,
    body        TEXT NOT NULL,
    at          TEXT NOT NULL,
    author_id   TEXT NOT NULL,
    hash        TEXT NOT NULL,
    signature   TEXT NOT NULL
);
CREATE INDEX meeting_records_entity ON meeting_records (entity_id, at, id);
CREATE INDEX meeting_records_meeting ON meeting_records (meeting_id);
CREATE TRIGGER meeting_records_no_update BEFORE UPDATE ON meeting_records
BEGIN SELECT RAISE(ABORT, 'meeting_records is append-only'); END;
CREATE TRIGGER meeting_records_no_delete BEFORE DELETE ON meeting_records
BEGIN SELECT RAISE(ABORT, 'meeting_records is append-only'); END;

-- Projections of the records above (rebuilt from them): the sync-ready rows the window,
-- the CLI and the minutes read. updated_at moves only with a member's write.
CREATE TABLE meetings (
    id           TEXT PRIMARY KEY NOT NULL,
    title        TEXT NOT NULL,
    held_on      TEXT NOT NULL,             -- YYYY-MM-DD
    period_from  TEXT NOT NULL,             -- YYYY-MM-DD, the first day the agenda covers
    period_to    TEXT NOT NULL,             -- YYYY-MM-DD, the last day (inclusive)
    attendees    TEXT NOT NULL DEFAULT '[]', -- JSON: member ids
    status       TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    closed_at    TEXT,
    created_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    deleted_at   TEXT
);
CREATE INDEX meetings_held ON meetings (held_on, id) WHERE deleted_at IS NULL;

CREATE TABLE agenda_items (
    id           TEXT PRIMARY KEY NOT NULL,
    meeting_id   TEXT NOT NULL REFERENCES meetings (id),
    position     REAL NOT NULL,
    kind         TEXT NOT NULL,             -- what the data showed (funnel, rejections, …) or manual
    title        TEXT NOT NULL,
    note         TEXT NOT NULL DEFAULT '',
    facts        TEXT NOT NULL DEFAULT '{}', -- JSON: the numbers shown and their evidence
    dropped      INTEGER NOT NULL DEFAULT 0,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    deleted_at   TEXT
);
CREATE INDEX agenda_items_meeting ON agenda_items (meeting_id, position);

CREATE TABLE meeting_decisions (
    id              TEXT PRIMARY KEY NOT NULL,
    meeting_id      TEXT NOT NULL REFERENCES meetings (id),
    agenda_item_id  TEXT,
    text            TEXT NOT NULL,
    version_id      TEXT,                   -- the agreement version it proposed, if any
    created_by      TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    deleted_at      TEXT
);
CREATE INDEX meeting_decisions_meeting ON meeting_decisions (meeting_id);
CREATE INDEX meeting_decisions_version ON meeting_decisions (version_id) WHERE version_id IS NOT NULL;

CREATE TABLE action_items (
    id              TEXT PRIMARY KEY NOT NULL,
    meeting_id      TEXT NOT NULL REFERENCES meetings (id),
    agenda_item_id  TEXT,
    title           TEXT NOT NULL,
    owner_id        TEXT,
    due_on          TEXT,                   -- YYYY-MM-DD
    status          TEXT NOT NULL CHECK (status IN ('open', 'done', 'dropped')),
    done_at         TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    deleted_at      TEXT
);
CREATE INDEX action_items_meeting ON action_items (meeting_id);
CREATE INDEX action_items_open ON action_items (status, due_on) WHERE deleted_at IS NULL;
