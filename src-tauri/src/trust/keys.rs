//! Members' Ed25519 keys: a key pair per member, the private half kept encrypted under the
//! member's passphrase (Argon2id + XChaCha20-Poly1305) as team data, and signature checks.
use std::collections::HashSet;
use std::sync::Mutex;

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier, VerifyingKey};
use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Serialize};

use crate::error::{AppError, AppResult};

/// The demo workspace's passphrase for every demo member (documented in the README).
pub const DEMO_PASSPHRASE: &str = "playbook-demo";

/// Shorter passphrases are refused: the encrypted key travels with the team's data, so
/// the passphrase is all that stands between a copy of the database and a signature.
pub const MIN_PASSPHRASE_CHARS: usize = 8;

/// A private key encrypted under a passphrase, with what is needed to open it again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyEnvelope {
    /// Argon2id memory in KiB, iterations and lanes (stored so they can be raised later).
    pub m_kib: u32,
    pub t: u32,
    pub p: u32,
    pub salt: String,
    pub nonce: String,
    pub sealed: String,
}

fn kdf(passphrase: &str, salt: &[u8], m: u32, t: u32, p: u32) -> AppResult<[u8; 32]> {
    let params = Params::new(m, t, p, Some(32))
        .map_err(|e| AppError::invalid("key", format!("unusable key parameters: {e}")))?;
    let mut out = [0u8; 32];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(passphrase.as_bytes(), salt, &mut out)
        .map_err(|e| AppError::invalid("passphrase", format!("passphrase: {e}")))?;
    Ok(out)
}

/// Refuses a passphrase too short to protect a key that travels with the team's data.
pub fn check_passphrase(passphrase: &str) -> AppResult<()> {
    if passphrase.chars().count() < MIN_PASSPHRASE_CHARS {
        return Err(AppError::invalid(
            "passphrase",
            format!("passphrase: use at least {MIN_PASSPHRASE_CHARS} characters"),
        ));
    }
    Ok(())
}

/// A new key pair, its private half sealed under `passphrase`.
pub fn generate(passphrase: &str) -> AppResult<(SigningKey, KeyEnvelope)> {
    check_passphrase(passphrase)?;
    let key = SigningKey::generate(&mut OsRng);
    let envelope = seal(&key, passphrase)?;
    Ok((key, envelope))
}

/// Seals a private key under a passphrase (OWASP's Argon2id minimum: 19 MiB, 2 passes).
pub fn seal(key: &SigningKey, passphrase: &str) -> AppResult<KeyEnvelope> {
    let (m, t, p) = (19 * 1024, 2, 1);
    let mut salt = [0u8; 16];
    OsRng.fill_bytes(&mut salt);
    let mut nonce = [0u8; 24];
    OsRng.fill_bytes(&mut nonce);
    let k = kdf(passphrase, &salt, m, t, p)?;
    let sealed = XChaCha20Poly1305::new((&k).into())
        .encrypt(&XNonce::from(nonce), key.to_bytes().as_slice())
        .map_err(|_| AppError::invalid("key", "the key could not be sealed"))?;
    Ok(KeyEnvelope {
        m_kib: m,
        t,
        p,
        salt: hex::encode(salt),
        nonce: hex::encode(nonce),
        sealed: hex::encode(sealed),
    })
}

/// Opens a sealed key; a wrong passphrase is `not_allowed`, never a panic.
pub fn open(envelope: &KeyEnvelope, passphrase: &str, public_key: &str) -> AppResult<SigningKey> {
    let bad = || AppError::invalid("key", "the stored key is damaged");
    let salt = hex::decode(&envelope.salt).map_err(|_| bad())?;
    let nonce = hex::decode(&envelope.nonce).map_err(|_| bad())?;
    let sealed = hex::decode(&envelope.sealed).map_err(|_| bad())?;
    let nonce: [u8; 24] = nonce.as_slice().try_into().map_err(|_| bad())?;
    if envelope.m_kib > 1 << 22 || envelope.t > 64 || envelope.p > 16 {
        return Err(bad());
    }
    let k = kdf(passphrase, &salt, envelope.m_kib, envelope.t, envelope.p)?;
    let plain = XChaCha20Poly1305::new((&k).into())
        .decrypt(&XNonce::from(nonce), sealed.as_slice())
        .map_err(|_| AppError {
            field: Some("passphrase".into()),
            ..AppError::not_allowed("the passphrase is wrong")
        })?;
    let bytes: [u8; 32] = plain.as_slice().try_into().map_err(|_| bad())?;
    let key = SigningKey::from_bytes(&bytes);
    if public_hex(&key) != public_key {
        return Err(bad());
    }
    Ok(key)
}

/// The symmetric key a member's secrets are sealed with: derived from their private key
/// (which only their passphrase opens), kept apart from signatures by its tag.
fn secret_key(key: &SigningKey) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(b"playbook:member-secret/v1");
    h.update(key.to_bytes());
    h.finalize().into()
}

/// Seals a member's secret (XChaCha20-Poly1305): hex of nonce then ciphertext.
pub fn seal_secret(key: &SigningKey, secret: &str) -> AppResult<String> {
    let mut nonce = [0u8; 24];
    OsRng.fill_bytes(&mut nonce);
    let sealed = XChaCha20Poly1305::new((&secret_key(key)).into())
        .encrypt(&XNonce::from(nonce), secret.as_bytes())
        .map_err(|_| AppError::invalid("secret", "the secret could not be sealed"))?;
    Ok(format!("{}{}", hex::encode(nonce), hex::encode(sealed)))
}

pub fn open_secret(key: &SigningKey, sealed: &str) -> AppResult<String> {
    let bad = || {
        AppError::not_allowed(
            "the stored hub password does not open with this member's key; join the hub again",
        )
    };
    let bytes = hex::decode(sealed).map_err(|_| bad())?;
    if bytes.len() < 24 {
        return Err(bad());
    }
    let (nonce, body) = bytes.split_at(24);
    let nonce: [u8; 24] = nonce.try_into().map_err(|_| bad())?;
    let plain = XChaCha20Poly1305::new((&secret_key(key)).into())
        .decrypt(&XNonce::from(nonce), body)
        .map_err(|_| bad())?;
    String::from_utf8(plain).map_err(|_| bad())
}

pub fn public_hex(key: &SigningKey) -> String {
    hex::encode(key.verifying_key().to_bytes())
}

/// Signs a record's hash (hex) and returns the signature as hex. A signature just made
/// verifies: it is remembered as such.
pub fn sign(key: &SigningKey, hash: &str) -> String {
    let signature = hex::encode(key.sign(hash.as_bytes()).to_bytes());
    passed(memo(&public_hex(key), hash, &signature));
    signature
}

/// Checks a signature. A pure function of its three inputs, so its answers are kept for
/// the life of the process: folds re-check the same records on every read.
/// Signature checks that passed in this process, by [`memo`]; and those not yet kept in the
/// workspace's `verified_signatures` projection.
static SEEN: Mutex<Option<HashSet<String>>> = Mutex::new(None);
static UNSAVED: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// The key a passed check is remembered by: a hash of its three inputs.
pub fn memo(public_key: &str, hash: &str, signature: &str) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for part in [public_key, hash, signature] {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    hex::encode(h.finalize())
}

/// Whether the workspace's projection of passed checks has been loaded into this process.
static PRELOADED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// True the first time it is asked after start (or after [`forget`]): the caller loads the
/// projection then.
pub fn preload_due() -> bool {
    !PRELOADED.swap(true, std::sync::atomic::Ordering::Relaxed)
}

/// Forgets every remembered verdict (`playbook verify` and the benchmark check cold).
pub fn forget() {
    PRELOADED.store(false, std::sync::atomic::Ordering::Relaxed);
    if let Ok(mut seen) = SEEN.lock() {
        *seen = None;
    }
    if let Ok(mut unsaved) = UNSAVED.lock() {
        unsaved.clear();
    }
}

/// Remembers checks that passed before (loaded from the workspace's projection).
pub fn remember(memos: impl IntoIterator<Item = String>) {
    if let Ok(mut seen) = SEEN.lock() {
        seen.get_or_insert_with(HashSet::new).extend(memos);
    }
}

/// The passed checks not yet kept in the workspace, taken once there are at least `min`.
pub fn take_unsaved(min: usize) -> Vec<String> {
    UNSAVED
        .lock()
        .map(|mut u| {
            if u.len() >= min {
                std::mem::take(&mut *u)
            } else {
                vec![]
            }
        })
        .unwrap_or_default()
}

fn passed(memo: String) {
    if let Ok(mut seen) = SEEN.lock() {
        let set = seen.get_or_insert_with(HashSet::new);
        // Bounded: a verify of a huge workspace must not keep every answer.
        if set.len() > 2_000_000 {
            set.clear();
        }
        if set.insert(memo.clone()) {
            if let Ok(mut unsaved) = UNSAVED.lock() {
                unsaved.push(memo);
            }
        }
    }
}

/// Checks a signature. A pure function of its three inputs, so a passed check is
/// remembered (in the process, and in the workspace's projection): folds re-check the same
/// records on every read.
pub fn verify(public_key: &str, hash: &str, signature: &str) -> bool {
    let key = memo(public_key, hash, signature);
    if let Ok(seen) = SEEN.lock() {
        if seen.as_ref().is_some_and(|s| s.contains(&key)) {
            return true;
        }
    }
    let ok = check(public_key, hash, signature);
    if ok {
        passed(key);
    }
    ok
}

fn check(public_key: &str, hash: &str, signature: &str) -> bool {
    let Ok(pk) = hex::decode(public_key) else {
        return false;
    };
    let Ok(sig) = hex::decode(signature) else {
        return false;
    };
    let (Ok(pk), Ok(sig)) = (
        <[u8; 32]>::try_from(pk.as_slice()),
        <[u8; 64]>::try_from(sig.as_slice()),
    ) else {
        return false;
    };
    let Ok(vk) = VerifyingKey::from_bytes(&pk) else {
        return false;
    };
    vk.verify(hash.as_bytes(), &Signature::from_bytes(&sig))
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_key_opens_only_with_its_passphrase() {
        let (key, env) = generate("correct horse").unwrap();
        let public = public_hex(&key);
        let opened = open(&env, "correct horse", &public).unwrap();
        assert_eq!(opened.to_bytes(), key.to_bytes());
        let wrong = open(&env, "wrong horse!", &public).unwrap_err();
        assert_eq!(wrong.code, crate::error::ErrorCode::NotAllowed);
        assert_eq!(wrong.message, "the passphrase is wrong");
        assert!(generate("short").is_err(), "short passphrases are refused");
    }

    #[test]
    fn signatures_bind_key_and_hash() {
        let (key, _) = generate("correct horse").unwrap();
        let public = public_hex(&key);
        let sig = sign(&key, "abc");
        assert!(verify(&public, "abc", &sig));
        assert!(!verify(&public, "abd", &sig));
        let (other, _) = generate("another one").unwrap();
        assert!(!verify(&public_hex(&other), "abc", &sig));
        assert!(!verify("zz", "abc", &sig));
        assert!(!verify(&public, "abc", "00"));
    }
}
