//! This laptop's link to its hub, kept in the settings file tauri-plugin-store keeps in the
//! data directory (a laptop setting, not team data): the hub's address and CA, who this
//! laptop syncs as, and their hub password sealed under their key (so their passphrase
//! guards it; it is never stored in plain text).
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::admin::Enrolment;
use super::hub::HubAddress;
use crate::error::{AppError, AppResult};
use crate::trust::Signer;

const KEY: &str = "hub";

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HubConfig {
    pub url: String,
    pub ca_pem: Option<String>,
    pub email: String,
    pub member_id: String,
    pub sealed_password: String,
}

impl HubConfig {
    /// The address with the password, opened by the member's key.
    pub fn address(&self, signer: &Signer) -> AppResult<HubAddress> {
        Ok(HubAddress {
            url: self.url.clone(),
            ca_pem: self.ca_pem.clone(),
            password: Some(signer.open_secret(&self.sealed_password)?),
            timeout: super::hub::CALL_TIMEOUT,
        })
    }

    /// The hub as people read it: host, port and database, no user.
    pub fn label(&self) -> String {
        url::Url::parse(&self.url)
            .map(|u| {
                format!(
                    "{}:{}{}",
                    u.host_str().unwrap_or(""),
                    u.port().unwrap_or(5432),
                    u.path()
                )
            })
            .unwrap_or_else(|_| self.url.clone())
    }
}

fn read_settings(data_dir: &Path) -> AppResult<serde_json::Map<String, serde_json::Value>> {
    let path = crate::settings::store_path(data_dir);
    match std::fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str(&text)
            .map_err(|e| AppError::io(format!("cannot read the settings {}: {e}", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Default::default()),
        Err(e) => Err(e.into()),
    }
}

pub fn load(data_dir: &Path) -> AppResult<Option<HubConfig>> {
    let settings = read_settings(data_dir)?;
    match settings.get(KEY) {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(v) => serde_json::from_value(v.clone())
            .map(Some)
            .map_err(|e| AppError::io(format!("the hub settings are unreadable: {e}"))),
    }
}

/// Stores the link, written whole (temporary file, then rename).
pub fn save(data_dir: &Path, config: &HubConfig) -> AppResult<()> {
    let mut settings = read_settings(data_dir)?;
    settings.insert(
        KEY.into(),
        serde_json::to_value(config).expect("the hub settings serialise"),
    );
    let path = crate::settings::store_path(data_dir);
    let tmp = path.with_extension("json.tmp");
    std::fs::write(
        &tmp,
        serde_json::to_vec_pretty(&settings).expect("settings serialise"),
    )?;
    std::fs::rename(&tmp, &path)?;
    Ok(())
}

/// The link an enrolment gives, its password sealed by the member's key.
pub fn from_enrolment(e: &Enrolment, signer: &Signer) -> AppResult<HubConfig> {
    Ok(HubConfig {
        url: e.url.clone(),
        ca_pem: e.ca_pem.clone(),
        email: e.email.clone(),
        member_id: e.member_id.clone(),
        sealed_password: signer.seal_secret(&e.password)?,
    })
}
