-- Two list indexes widened so that common filter combinations are answered from the index
-- alone: a score range with an age in stage (count and page without table reads), and a
-- source filter sorted by name (the first page is the first 50 index entries).

DROP INDEX contacts_live_score;
CREATE INDEX contacts_live_score ON contacts (score, stage_since) WHERE deleted_at IS NULL;

DROP INDEX contacts_live_source;
CREATE INDEX contacts_live_source ON contacts (source_channel, last_name COLLATE NOCASE, first_name COLLATE NOCASE) WHERE deleted_at IS NULL;
