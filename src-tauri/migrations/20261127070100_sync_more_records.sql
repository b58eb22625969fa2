-- Team sync (issue 15): the signed records that landed on main after the first outbox
-- (content library, account risks, contact merges, meetings, activities a member logs
-- such as a content send) enter the outbox like every other signed record: one change per
-- record, queued by a trigger so no write path forgets it. Records a pull writes (while
-- `sync_applying` holds its row) are not queued again. SLAs and business calendars are
-- agreement versions and already travel as `version` changes.
CREATE TRIGGER sync_out_content AFTER INSERT ON content_records
WHEN NOT EXISTS (SELECT 1 FROM sync_applying)
BEGIN
    INSERT INTO sync_outbox (change_id, kind, record_id, created_at)
    SELECT id, 'content', NEW.id, strftime('%Y-%m-%dT%H:%M:%fZ', 'now') FROM sync_new_change_id;
END;

CREATE TRIGGER sync_out_risk AFTER INSERT ON account_risk_records
WHEN NOT EXISTS (SELECT 1 FROM sync_applying)
BEGIN
    INSERT INTO sync_outbox (change_id, kind, record_id, created_at)
    SELECT id, 'risk', NEW.id, strftime('%Y-%m-%dT%H:%M:%fZ', 'now') FROM sync_new_change_id;
END;

CREATE TRIGGER sync_out_merge AFTER INSERT ON contact_merges
WHEN NOT EXISTS (SELECT 1 FROM sync_applying)
BEGIN
    INSERT INTO sync_outbox (change_id, kind, record_id, created_at)
    SELECT id, 'merge', NEW.id, strftime('%Y-%m-%dT%H:%M:%fZ', 'now') FROM sync_new_change_id;
END;

CREATE TRIGGER sync_out_meeting AFTER INSERT ON meeting_records
WHEN NOT EXISTS (SELECT 1 FROM sync_applying)
BEGIN
    INSERT INTO sync_outbox (change_id, kind, record_id, created_at)
    SELECT id, 'meeting', NEW.id, strftime('%Y-%m-%dT%H:%M:%fZ', 'now') FROM sync_new_change_id;
END;

-- An activity written outside a bulk write is one a member logged and signed themselves;
-- the rows of a bulk write (an import's history) travel with their bulk record.
CREATE TRIGGER sync_out_activity AFTER INSERT ON activities
WHEN NEW.bulk_id IS NULL AND NOT EXISTS (SELECT 1 FROM sync_applying)
BEGIN
    INSERT INTO sync_outbox (change_id, kind, record_id, created_at)
    SELECT id, 'activity', NEW.id, strftime('%Y-%m-%dT%H:%M:%fZ', 'now') FROM sync_new_change_id;
END;
