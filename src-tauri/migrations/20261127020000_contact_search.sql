-- Search people expect (issue 11): full names, any word of a company name, email, accents
-- ignored ("muller" finds "Müller"), ranked. An FTS5 index over each contact's name, email
-- and company, kept apart from the contacts table:
-- * contentless (content=''): it stores only the index, never a second copy of the text;
--   contentless_delete=1 lets a row be replaced by rowid when a name or email changes;
-- * rowid = the contact's rowid, so a match joins the contacts table by its own key;
-- * filled in one pass per bulk write (`leads::search_index::add`, called when an import
--   or a generated workspace commits) up to a high-water mark kept in projection_state;
--   rows written one at a time are caught up before the next search.
CREATE VIRTUAL TABLE contacts_fts USING fts5 (
    name, email, company,
    content = '',
    contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2'
);

-- A contact already indexed whose name, email or account changes is indexed again (the
-- same row's new text replaces the old). Rows past the high-water mark wait for `add`.
CREATE TRIGGER contacts_fts_update AFTER UPDATE OF first_name, last_name, email, account_id ON contacts
WHEN new.rowid <= (SELECT CAST(value AS INTEGER) FROM projection_state WHERE key = 'search_index')
  AND (old.first_name IS NOT new.first_name OR old.last_name IS NOT new.last_name
       OR old.email IS NOT new.email OR old.account_id IS NOT new.account_id)
BEGIN
    DELETE FROM contacts_fts WHERE rowid = new.rowid;
    INSERT INTO contacts_fts (rowid, name, email, company)
    VALUES (new.rowid, new.first_name || ' ' || new.last_name, coalesce(new.email, ''),
            coalesce((SELECT name FROM accounts WHERE id = new.account_id), ''));
END;

-- Ranking: a match in the name counts most, then the email, then the company.
INSERT INTO contacts_fts (contacts_fts, rank) VALUES ('rank', 'bm25(10.0, 4.0, 2.0)');

-- The default sort is "highest score, longest in stage first": with score descending in
-- the index, that order is the index's own, so a page after any anchor is one seek.
DROP INDEX contacts_live_score;
CREATE INDEX contacts_live_score ON contacts (score DESC, stage_since) WHERE deleted_at IS NULL;
