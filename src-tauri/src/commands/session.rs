//! Who is using the window, proven: the member whose key was opened with their passphrase.
//! The key stays open for the session and locks itself after an idle time.
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::error::{AppError, AppResult};
use crate::trust::Signer;

/// Long enough for a meeting's pauses, short enough that a laptop left open in a hallway
/// does not sign for its owner for long.
pub const IDLE_LOCK: Duration = Duration::from_secs(15 * 60);

#[derive(Default)]
pub struct Session(Mutex<Option<(Signer, Instant)>>);

impl Session {
    /// The unlocked signer, if any and not idle too long; using it counts as activity.
    pub fn signer(&self) -> Option<Signer> {
        let mut guard = self.0.lock().ok()?;
        match guard.as_mut() {
            Some((_, last)) if last.elapsed() > IDLE_LOCK => {
                *guard = None;
                None
            }
            Some((signer, last)) => {
                *last = Instant::now();
                Some(signer.clone())
            }
            None => None,
        }
    }

    /// The unlocked signer, without counting as activity (background sync must not keep
    /// an idle window unlocked).
    pub fn peek(&self) -> Option<Signer> {
        let guard = self.0.lock().ok()?;
        match guard.as_ref() {
            Some((signer, last)) if last.elapsed() <= IDLE_LOCK => Some(signer.clone()),
            _ => None,
        }
    }

    /// The signer, or a refusal that says what to do.
    pub fn require(&self, what: &str) -> AppResult<Signer> {
        self.signer().ok_or_else(|| {
            AppError::not_allowed(format!(
                "unlock with your passphrase (top right) before {what}"
            ))
        })
    }

    pub fn open(&self, signer: Signer) {
        if let Ok(mut guard) = self.0.lock() {
            *guard = Some((signer, Instant::now()));
        }
    }

    pub fn lock(&self) {
        if let Ok(mut guard) = self.0.lock() {
            *guard = None;
        }
    }
}
