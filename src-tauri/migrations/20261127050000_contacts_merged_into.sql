-- The contact page lists the duplicates merged into a contact (`WHERE merged_into = ?`);
-- without an index that read scans every contact (about 20 ms at 100k, twice the
-- timeline's budget). Few contacts are merged: the index holds only those.
CREATE INDEX contacts_merged_into ON contacts (merged_into) WHERE merged_into IS NOT NULL;
