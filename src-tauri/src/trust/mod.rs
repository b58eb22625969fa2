//! Who signed what: members' keys, canonical hashes of records, and the signer a write
//! carries. Every write that changes the team's shared record is signed by someone who
//! proved who they are with their passphrase.
pub mod bulk;
pub mod canon;
pub mod keys;
pub mod verify;

use ed25519_dalek::SigningKey;

/// A member whose key is open for this session (the window) or this command (the CLI).
#[derive(Clone)]
pub struct Signer {
    pub member_id: String,
    key: SigningKey,
}

impl Signer {
    pub fn new(member_id: String, key: SigningKey) -> Signer {
        Signer { member_id, key }
    }

    /// The signature (hex) of a record's hash.
    pub fn sign(&self, hash: &str) -> String {
        keys::sign(&self.key, hash)
    }

    pub fn public_key(&self) -> String {
        keys::public_hex(&self.key)
    }

    /// The open key sealed under a new passphrase (a member changing theirs).
    pub fn reseal(&self, passphrase: &str) -> crate::error::AppResult<keys::KeyEnvelope> {
        keys::seal(&self.key, passphrase)
    }
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the key.
        write!(f, "Signer({})", self.member_id)
    }
}
