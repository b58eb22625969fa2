-- Local projection: signature checks that passed, keyed by a hash of (public key, signed
-- hash, signature), so a workspace with tens of thousands of signed records does not check
-- them all again on every read. Never synced; `playbook verify` ignores it and rewrites it.
CREATE TABLE verified_signatures (
    memo  TEXT PRIMARY KEY NOT NULL
) WITHOUT ROWID;
