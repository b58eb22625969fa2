//! Canonical hashes of signed records: SHA-256 over a domain tag and length-prefixed
//! fields, so two different records can never encode to the same bytes.
use sha2::{Digest, Sha256};

/// Builds the hash of one record, field by field, in a fixed order.
///
/// ```
/// use playbook::trust::canon::Canon;
/// let a = Canon::new("event/v1").text("ab").text("c").finish();
/// let b = Canon::new("event/v1").text("a").text("bc").finish();
/// assert_ne!(a, b, "field boundaries are part of the hash");
/// assert_eq!(a.len(), 64, "hex of 32 bytes");
/// ```
pub struct Canon(Sha256);

impl Canon {
    /// Starts a hash for one kind of record; the tag keeps kinds apart.
    pub fn new(tag: &str) -> Canon {
        let mut h = Sha256::new();
        h.update(b"playbook:");
        Canon(h).text(tag)
    }

    pub fn text(mut self, value: &str) -> Canon {
        self.0.update([1u8]);
        self.0.update((value.len() as u64).to_le_bytes());
        self.0.update(value.as_bytes());
        self
    }

    /// An optional field: absent and empty are different.
    pub fn opt(mut self, value: Option<&str>) -> Canon {
        match value {
            Some(v) => self.text(v),
            None => {
                self.0.update([0u8]);
                self
            }
        }
    }

    pub fn int(mut self, value: i64) -> Canon {
        self.0.update([2u8]);
        self.0.update(value.to_le_bytes());
        self
    }

    /// The hash as lowercase hex, as stored.
    pub fn finish(self) -> String {
        hex::encode(self.0.finalize())
    }
}

/// Hash of many row hashes in the given order: what a bulk record signs.
pub fn of_rows<'a>(tag: &str, rows: impl Iterator<Item = &'a str>) -> String {
    let mut h = Sha256::new();
    h.update(b"playbook:bulk:");
    h.update(tag.as_bytes());
    let mut n: u64 = 0;
    for r in rows {
        h.update(r.as_bytes());
        n += 1;
    }
    h.update(n.to_le_bytes());
    hex::encode(h.finalize())
}
