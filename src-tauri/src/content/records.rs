//! Signed content records as stored and as they will travel through sync: each state of an
//! asset, signed by the member who wrote it, with the canonical hash the signature covers.
use super::AssetFields;
use crate::trust::canon::Canon;
use crate::trust::Signer;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ContentRecord {
    pub id: String,
    pub asset_id: String,
    /// The fields as JSON (canonical: serialised from [`AssetFields`]).
    pub body: String,
    pub at: String,
    pub author_id: String,
    pub hash: String,
    pub signature: String,
}

impl ContentRecord {
    /// A new record of `fields` for `asset_id`, signed by `author`.
    pub fn signed(asset_id: &str, fields: &AssetFields, author: &Signer, at: &str) -> Self {
        let body = serde_json::to_string(fields).expect("fields serialise");
        let id = crate::db::new_id();
        let hash = Self::hash_of(&id, asset_id, &body, at, &author.member_id);
        ContentRecord {
            signature: author.sign(&hash),
            id,
            asset_id: asset_id.to_string(),
            body,
            at: at.to_string(),
            author_id: author.member_id.clone(),
            hash,
        }
    }

    pub fn hash_of(id: &str, asset_id: &str, body: &str, at: &str, author: &str) -> String {
        Canon::new("content/v1")
            .text(id)
            .text(asset_id)
            .text(body)
            .text(at)
            .text(author)
            .finish()
    }

    pub fn computed_hash(&self) -> String {
        Self::hash_of(
            &self.id,
            &self.asset_id,
            &self.body,
            &self.at,
            &self.author_id,
        )
    }

    pub fn fields(&self) -> Option<AssetFields> {
        serde_json::from_str(&self.body).ok()
    }

    /// Why the record does not count, if it does not: its content must match its hash and
    /// its author's signature, and its author must have been on the team then.
    pub fn problem(&self, roster: &crate::team::roster::Roster) -> Option<String> {
        if self.computed_hash() != self.hash {
            return Some("its content does not match what was signed".into());
        }
        let Some(author) = roster.at(&self.author_id, &self.at) else {
            return Some("its author was not on the team then".into());
        };
        if !crate::trust::keys::verify(&author.public_key, &self.hash, &self.signature) {
            return Some(format!("{}'s signature does not verify", author.email));
        }
        if self.fields().is_none() {
            return Some("its content is unreadable".into());
        }
        None
    }
}
