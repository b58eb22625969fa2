//! The window's first screen in one answer: what the shell and Home need. It is counted
//! while WebKit starts (`prepare`, from the app's setup, ~0.3 s before the page can ask),
//! so the page's first question is answered at once instead of after six queries.
use std::sync::Mutex;

use serde::Serialize;
use specta::Type;
use tauri::async_runtime::JoinHandle;
use tauri::{AppHandle, Manager, State};

use super::AppState;
use crate::agreements::{ops, AgreementItem};
use crate::error::{AppError, AppResult};
use crate::home::Home;
use crate::labels::Vocabulary;
use crate::settings::Appearance;
use crate::team::Member;

/// The period, in days, Home compares when the window opens.
const HOME_DAYS: u32 = 30;

/// What the shell and Home need first.
#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct Boot {
    pub appearance: Appearance,
    pub vocabulary: Vocabulary,
    pub members: Vec<Member>,
    /// The member whose key is open in this window (none when it opens).
    pub me: Option<Member>,
    pub agreements: Vec<AgreementItem>,
    /// The period Home compares at first.
    pub home_days: u32,
    /// Home's numbers as kept from their last count, when asked for and any are kept
    /// (otherwise Home counts them itself).
    pub home: Option<Home>,
}

/// The answer being prepared at start, for the first `boot` call only.
#[derive(Default)]
pub struct Prepared(Mutex<Option<JoinHandle<AppResult<Boot>>>>);

/// Starts counting the first screen's answer, before the window has loaded its page.
pub fn prepare(app: &AppHandle) {
    let handle = app.clone();
    let task = tauri::async_runtime::spawn(async move {
        let state = handle.state::<AppState>();
        gather(&handle, &state, true).await
    });
    if let Ok(mut slot) = app.state::<Prepared>().0.lock() {
        *slot = Some(task);
    }
}

async fn gather(app: &AppHandle, state: &AppState, with_home: bool) -> AppResult<Boot> {
    let viewer = state.session.signer().map(|s| s.member_id);
    let home_viewer = super::reports::viewer(app, state)?;
    let home = async {
        match with_home {
            true => crate::home::cache::kept(&state.db, home_viewer.as_deref(), HOME_DAYS).await,
            false => Ok(None),
        }
    };
    let vocabulary = async {
        let mut conn = state.db.acquire().await?;
        crate::labels::vocabulary(&mut conn).await
    };
    let (vocabulary, members, me, agreements, home) = tokio::try_join!(
        vocabulary,
        crate::team::list(&state.db),
        super::team::current_member(state),
        ops::list(&state.db, None, viewer.as_deref()),
        home,
    )?;
    Ok(Boot {
        appearance: crate::settings::appearance(app, &state.data_dir)?,
        vocabulary,
        members,
        me,
        agreements,
        home_days: HOME_DAYS,
        home,
    })
}

/// The first screen's data; `home` when the window opens on Home. The first call takes
/// what was prepared at start; later ones (a reloaded page) count afresh.
#[tauri::command]
#[specta::specta]
pub async fn boot(
    app: AppHandle,
    state: State<'_, AppState>,
    prepared: State<'_, Prepared>,
    home: bool,
) -> AppResult<Boot> {
    let task = prepared.0.lock().ok().and_then(|mut slot| slot.take());
    if let Some(task) = task {
        let ready = task
            .await
            .map_err(|e| AppError::io(format!("the first screen could not be prepared: {e}")));
        if let Ok(Ok(mut boot)) = ready {
            if !home {
                boot.home = None;
            }
            return Ok(boot);
        }
    }
    gather(&app, &state, home).await
}
