//! Team-wide settings of the workspace: the time zone and the day/month order in which
//! imports read dates that do not say. Unset, they follow this laptop (its zone, and the
//! date order of its locale).
use chrono::Utc;
use chrono_tz::Tz;
use serde::Serialize;
use specta::Type;

use crate::db::{ts, Conn};
use crate::error::{AppError, AppResult};
use crate::imports::dates::{DateOrder, DatePrefs};
use crate::imports::Mapping;
use crate::trust::Signer;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct WorkspaceSettings {
    /// IANA time zone for times written without one.
    pub timezone: String,
    /// Whether it was set for the workspace, or follows this laptop.
    pub timezone_set: bool,
    pub date_order: DateOrder,
    pub date_order_set: bool,
}

/// The setting keys, as the CLI names them.
pub const KEYS: [&str; 2] = ["timezone", "date-order"];

pub async fn get(conn: &mut Conn) -> AppResult<WorkspaceSettings> {
    let rows: Vec<(String, String)> = sqlx::query_as("SELECT key, value FROM workspace_settings")
        .fetch_all(conn)
        .await?;
    let value = |k: &str| {
        rows.iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    };
    let zone = value("timezone").filter(|z| z.parse::<Tz>().is_ok());
    let order = value("date-order").and_then(|o| DateOrder::parse(&o));
    Ok(WorkspaceSettings {
        timezone_set: zone.is_some(),
        timezone: zone.unwrap_or_else(laptop_zone),
        date_order_set: order.is_some(),
        date_order: order.unwrap_or_else(laptop_date_order),
    })
}

/// Sets one setting (`timezone` or `date-order`), as a manager or ops member.
pub async fn set(conn: &mut Conn, key: &str, value: &str, signer: &Signer) -> AppResult<()> {
    let m = crate::team::store::get(&mut *conn, &signer.member_id).await?;
    if !matches!(m.role, crate::team::Role::Manager | crate::team::Role::Ops) {
        return Err(AppError::not_allowed(format!(
            "only managers and ops people change the workspace's settings; {} is a {} {}",
            m.name,
            m.side.as_str(),
            m.role.as_str()
        )));
    }
    let value = match key {
        "timezone" => value
            .trim()
            .parse::<Tz>()
            .map_err(|_| {
                AppError::invalid(
                    "timezone",
                    format!(
                        "'{value}' is not an IANA time zone (e.g. Europe/Berlin, America/New_York)"
                    ),
                )
            })?
            .name()
            .to_string(),
        "date-order" => DateOrder::parse(value)
            .ok_or_else(|| {
                AppError::invalid(
                    "date-order",
                    format!(
                        "'{value}' is not a date order; use dmy (15/04/2021) or mdy (04/15/2021)"
                    ),
                )
            })?
            .as_str()
            .to_string(),
        other => {
            return Err(AppError::invalid(
                "key",
                format!("'{other}' is not a setting; use one of {}", KEYS.join(", ")),
            ))
        }
    };
    sqlx::query(
        "INSERT INTO workspace_settings (key, value, updated_at, updated_by) VALUES (?, ?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at,
             updated_by = excluded.updated_by",
    )
    .bind(key)
    .bind(value)
    .bind(ts(Utc::now()))
    .bind(&signer.member_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// How an import reads dates: the mapping's choices, else the workspace's.
pub async fn date_prefs(conn: &mut Conn, mapping: &Mapping) -> AppResult<DatePrefs> {
    mapping.check()?;
    let s = get(conn).await?;
    let (zone, zone_source) = match &mapping.timezone {
        Some(z) => (
            z.parse::<Tz>().unwrap_or(Tz::UTC),
            "the mapping".to_string(),
        ),
        None => (
            s.timezone.parse::<Tz>().unwrap_or(Tz::UTC),
            if s.timezone_set {
                "the workspace's setting".to_string()
            } else {
                "this laptop's time zone".to_string()
            },
        ),
    };
    Ok(DatePrefs {
        mapping_order: mapping.date_order,
        workspace_order: s.date_order,
        year_pivot: mapping.year_pivot,
        zone,
        zone_source,
    })
}

fn laptop_zone() -> String {
    iana_time_zone::get_timezone()
        .ok()
        .filter(|z| z.parse::<Tz>().is_ok())
        .unwrap_or_else(|| "UTC".to_string())
}

/// Month first where the locale's region writes dates that way (the United States and a
/// few others), day first elsewhere; month first when the laptop names no locale.
fn laptop_date_order() -> DateOrder {
    let locale = ["LC_ALL", "LC_TIME", "LANG"]
        .iter()
        .filter_map(|k| std::env::var(k).ok())
        .find(|v| !v.is_empty())
        .unwrap_or_default();
    let region = locale
        .split(['.', '@'])
        .next()
        .and_then(|l| l.split('_').nth(1))
        .unwrap_or("US");
    match region {
        "US" | "PH" | "FM" | "MH" | "PW" | "BZ" | "AS" | "GU" | "PR" | "UM" | "VI" => {
            DateOrder::MonthFirst
        }
        _ => DateOrder::DayFirst,
    }
}
