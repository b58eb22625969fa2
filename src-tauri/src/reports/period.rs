//! A report's period: whole days in the workspace's time zone, from the first to the last
//! (inclusive), as the CLI's `--from`/`--to` and the window's period picker name them.
use chrono::{Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use specta::Type;

use crate::error::{AppError, AppResult};

/// Whole days `from`..=`to` (YYYY-MM-DD) in the workspace's time zone. Named
/// `ReportPeriod` in TypeScript, apart from an SLA rule's week, month or quarter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase", rename = "ReportPeriod")]
pub struct Period {
    pub from: String,
    pub to: String,
}

/// A period resolved to instants: `[start, end)` in milliseconds since the epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: i64,
    pub end: i64,
}

/// How long the default period is when only one end is given, or none.
pub const DEFAULT_DAYS: i64 = 30;

pub fn parse_date(field: &str, text: &str) -> AppResult<NaiveDate> {
    let t = text.trim();
    NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .or_else(|_| {
            crate::db::parse_ts(field, t)
                .map(|ts| ts.date_naive())
                .map_err(|_| ())
        })
        .map_err(|_| {
            AppError::invalid(
                field,
                format!("{field}: '{text}' is not a date such as 2026-11-01"),
            )
        })
}

impl Period {
    /// The period from optional ends: without `to`, up to `today`; without `from`, the
    /// 30 days that end at `to`. Refuses a period that ends before it starts.
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use playbook::reports::period::Period;
    /// let today = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
    /// let p = Period::resolve(None, None, today).unwrap();
    /// assert_eq!((p.from.as_str(), p.to.as_str()), ("2026-10-29", "2026-11-27"));
    /// assert!(Period::resolve(Some("2026-11-02"), Some("2026-11-01"), today).is_err());
    /// ```
    pub fn resolve(from: Option<&str>, to: Option<&str>, today: NaiveDate) -> AppResult<Period> {
        let to = match to {
            Some(t) => parse_date("to", t)?,
            None => today,
        };
        let from = match from {
            Some(f) => parse_date("from", f)?,
            None => to - Duration::days(DEFAULT_DAYS - 1),
        };
        if from > to {
            return Err(AppError::invalid(
                "from",
                format!("from: the period starts ({from}) after it ends ({to})"),
            ));
        }
        if (to - from).num_days() > 3660 {
            return Err(AppError::invalid(
                "from",
                "from: a report covers at most ten years",
            ));
        }
        Ok(Period {
            from: from.to_string(),
            to: to.to_string(),
        })
    }

    fn dates(&self) -> AppResult<(NaiveDate, NaiveDate)> {
        Ok((parse_date("from", &self.from)?, parse_date("to", &self.to)?))
    }

    pub fn days(&self) -> AppResult<i64> {
        let (f, t) = self.dates()?;
        Ok((t - f).num_days() + 1)
    }

    /// The period of the same length just before this one (what "against the last" compares).
    pub fn previous(&self) -> AppResult<Period> {
        let (f, t) = self.dates()?;
        let len = t - f + Duration::days(1);
        Ok(Period {
            from: (f - len).to_string(),
            to: (t - len).to_string(),
        })
    }

    /// The instants the period covers, midnight to midnight in `zone`.
    pub fn span(&self, zone: Tz) -> AppResult<Span> {
        let (f, t) = self.dates()?;
        let midnight = |d: NaiveDate| -> i64 {
            let local = d.and_hms_opt(0, 0, 0).expect("midnight exists as a time");
            // A day that starts in a clock change begins at the first instant it has.
            zone.from_local_datetime(&local)
                .earliest()
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_else(|| local.and_utc())
                .timestamp_millis()
        };
        Ok(Span {
            start: midnight(f),
            end: midnight(t + Duration::days(1)),
        })
    }
}

/// The workspace's time zone (what its days are counted in).
pub async fn zone(conn: &mut crate::db::Conn) -> AppResult<Tz> {
    let settings = crate::workspace::get(conn).await?;
    Ok(settings.timezone.parse().unwrap_or(chrono_tz::UTC))
}

/// Today in `zone`.
pub fn today(zone: Tz) -> NaiveDate {
    Utc::now().with_timezone(&zone).date_naive()
}
