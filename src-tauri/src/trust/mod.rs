//! Who signed what: members' keys, canonical hashes of records, and the signer a write
//! carries. Every write that changes the team's shared record is signed by someone who
//! proved who they are with their passphrase.
pub mod bulk;
pub mod canon;
pub mod keys;
pub mod verify;

use ed25519_dalek::SigningKey;
use serde::Serialize;
use specta::Type;

/// Why a record does not count, in two kinds: its content, hash, signature or chain does not
/// hold (`tampered`: written or changed behind Playbook's back), or it is genuine but its
/// signer had no right to it (`not_authorised`: not a manager then, not on the team then, a
/// sign-off dated before what it signs); and, found only by `playbook verify`, a record
/// whose counterpart row is gone (`missing`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    Tampered,
    NotAuthorised,
    Missing,
}

impl ProblemKind {
    /// How `playbook verify` labels it.
    pub fn label(self) -> &'static str {
        match self {
            ProblemKind::Tampered => "TAMPERED",
            ProblemKind::NotAuthorised => "NOT AUTHORISED",
            ProblemKind::Missing => "MISSING",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub kind: ProblemKind,
    pub text: String,
}

impl Problem {
    pub fn tampered(text: impl Into<String>) -> Problem {
        Problem {
            kind: ProblemKind::Tampered,
            text: text.into(),
        }
    }
    pub fn not_authorised(text: impl Into<String>) -> Problem {
        Problem {
            kind: ProblemKind::NotAuthorised,
            text: text.into(),
        }
    }
}

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

    /// The key sealed under a new passphrase (the member changing their passphrase).
    pub fn reseal(&self, passphrase: &str) -> crate::error::AppResult<keys::KeyEnvelope> {
        keys::check_passphrase(passphrase)?;
        keys::seal(&self.key, passphrase)
    }
}

impl Signer {
    /// A secret of this member's (the hub password) sealed so that only their key, which
    /// their passphrase opens, can read it again: hex of nonce and ciphertext.
    pub fn seal_secret(&self, secret: &str) -> crate::error::AppResult<String> {
        keys::seal_secret(&self.key, secret)
    }

    pub fn open_secret(&self, sealed: &str) -> crate::error::AppResult<String> {
        keys::open_secret(&self.key, sealed)
    }
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the key.
        write!(f, "Signer({})", self.member_id)
    }
}
