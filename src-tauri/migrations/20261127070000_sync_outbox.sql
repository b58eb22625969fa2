-- Team sync (issue 15): the outbox of changes to push, and what this laptop has pulled.
--
-- Every signed record written here enters the outbox through a trigger, so no write path
-- can forget it: member records, the workspace's founding row, versions, sign-offs, single
-- handoff events, and a bulk write as one change (its rows travel with its record). Records
-- that arrive by a pull are written while `sync_applying` holds a row (inside the pull's own
-- transaction, so no other writer ever sees it) and are not queued again.
CREATE TABLE sync_outbox (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,  -- the order records were written here,
                                                      -- so a sign-off never overtakes its version
    change_id     TEXT NOT NULL UNIQUE,       -- random UUIDv7, given when the record is written
    kind          TEXT NOT NULL,              -- member, workspace, version, signoff, event, bulk
    record_id     TEXT NOT NULL,
    payload       TEXT,                       -- built once, at the first push, then fixed
    payload_hash  TEXT,                       -- SHA-256 (hex) of payload
    created_at    TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'rejected')),
    reason        TEXT,                       -- why the hub rejected it
    settled_at    TEXT                        -- when the hub's answer was recorded
);
CREATE INDEX sync_outbox_status ON sync_outbox (status, seq);

-- Pull bookkeeping: the hub's feed position applied last, and when the last sync succeeded.
CREATE TABLE sync_state (
    key    TEXT PRIMARY KEY NOT NULL,
    value  TEXT NOT NULL
);

-- Holds a row only inside a pull's transaction: records written then came from the hub.
CREATE TABLE sync_applying (
    one  INTEGER PRIMARY KEY CHECK (one = 1)
);

-- A UUIDv7 in SQL: 48 bits of Unix milliseconds (julianday, which every SQLite has), the
-- version nibble 7, the variant bits 10, and random bits for the rest.
CREATE VIEW sync_new_change_id AS
SELECT substr(t, 1, 8) || '-' || substr(t, 9, 4) || '-7' || substr(r, 1, 3) || '-'
       || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(r, 4, 3) || '-' || substr(r, 7, 12)
       AS id
FROM (SELECT printf('%012x', CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)) AS t,
             lower(hex(randomblob(9))) AS r);

CREATE TRIGGER sync_out_member AFTER INSERT ON member_records
WHEN NOT EXISTS (SELECT 1 FROM sync_applying)
BEGIN
    INSERT INTO sync_outbox (change_id, kind, record_id, created_at)
    SELECT id, 'member', NEW.id, strftime('%Y-%m-%dT%H:%M:%fZ', 'now') FROM sync_new_change_id;
END;

CREATE TRIGGER sync_out_workspace AFTER INSERT ON workspace
WHEN NOT EXISTS (SELECT 1 FROM sync_applying)
BEGIN
    INSERT INTO sync_outbox (change_id, kind, record_id, created_at)
    SELECT id, 'workspace', NEW.id, strftime('%Y-%m-%dT%H:%M:%fZ', 'now') FROM sync_new_change_id;
END;

CREATE TRIGGER sync_out_version AFTER INSERT ON agreement_versions
WHEN NOT EXISTS (SELECT 1 FROM sync_applying)
BEGIN
    INSERT INTO sync_outbox (change_id, kind, record_id, created_at)
    SELECT id, 'version', NEW.id, strftime('%Y-%m-%dT%H:%M:%fZ', 'now') FROM sync_new_change_id;
END;

CREATE TRIGGER sync_out_signoff AFTER INSERT ON agreement_signoffs
WHEN NOT EXISTS (SELECT 1 FROM sync_applying)
BEGIN
    INSERT INTO sync_outbox (change_id, kind, record_id, created_at)
    SELECT id, 'signoff', NEW.id, strftime('%Y-%m-%dT%H:%M:%fZ', 'now') FROM sync_new_change_id;
END;

-- Rows of a bulk write travel with their bulk record, not one by one.
CREATE TRIGGER sync_out_event AFTER INSERT ON handoff_events
WHEN NEW.bulk_id IS NULL AND NOT EXISTS (SELECT 1 FROM sync_applying)
BEGIN
    INSERT INTO sync_outbox (change_id, kind, record_id, created_at)
    SELECT id, 'event', NEW.id, strftime('%Y-%m-%dT%H:%M:%fZ', 'now') FROM sync_new_change_id;
END;

CREATE TRIGGER sync_out_bulk AFTER INSERT ON bulk_records
WHEN NOT EXISTS (SELECT 1 FROM sync_applying)
BEGIN
    INSERT INTO sync_outbox (change_id, kind, record_id, created_at)
    SELECT id, 'bulk', NEW.id, strftime('%Y-%m-%dT%H:%M:%fZ', 'now') FROM sync_new_change_id;
END;

-- The demo stays home: a workspace holding the demo data never pushes it. Demo workspaces
-- made before this migration are known by their founder, the demo's marketing manager.
INSERT INTO sync_state (key, value)
SELECT 'demo', 'true' FROM workspace w JOIN member_records m ON m.id = w.genesis_record_id
WHERE m.email = 'maya.okafor@larkspur.example';
