//! Playbook: the shared sales and marketing playbook. This file assembles the window
//! (plugins, state, commands); the domain lives in the area modules, the CLI in `cli`.
pub mod agreements;
pub mod backup;
pub mod bench;
pub mod bench_import;
pub mod bulk;
pub mod business_time;
pub mod cli;
pub mod commands;
pub mod content;
pub mod db;
pub mod demo;
pub mod error;
pub mod exports;
pub mod generator;
pub mod handoffs;
pub mod home;
pub mod imports;
pub mod labels;
pub mod leads;
pub mod meetings;
pub mod reports;
pub mod scoring;
pub mod settings;
pub mod slas;
pub mod sync;
pub mod team;
pub mod trust;
pub mod workspace;

use std::path::PathBuf;

use commands::AppState;
use error::AppResult;

/// Opens the window on the database in `data_dir`. On a first start (no team yet) the
/// demo workspace is created, so there is something real to look at.
pub fn run_window(data_dir: PathBuf) -> AppResult<()> {
    db::set_data_dir(&data_dir);
    let db = tauri::async_runtime::block_on(async {
        let db = db::open(&data_dir).await?;
        let mut conn = db.acquire().await?;
        if !team::store::has_members(&mut conn).await? {
            let mut tx = db::write(&db).await?;
            demo::create(&mut tx, chrono::Utc::now()).await?;
            tx.commit().await?;
            content::demo::create(&db, &data_dir, chrono::Utc::now()).await?;
        }
        AppResult::Ok(db)
    })?;
    // Cached scores follow decay daily and a new scoring model at once: bring them up to
    // date in the background, so the window opens at once.
    let background = db.clone();
    let background_dir = data_dir.clone();
    tauri::async_runtime::spawn(async move {
        // The window's first screen goes first: on two cores a quick_check of a large
        // workspace (0.4 s at 100k contacts) would otherwise slow its first queries.
        tokio::time::sleep(std::time::Duration::from_secs(3)).await;
        // The integrity check and the daily snapshot run behind the open window; a damaged
        // file switches the workspace to read-only (writes then say why and what to restore).
        if let Ok(None) = db::check_integrity(&background, &background_dir).await {
            let _ = backup::daily_if_due(&background, &background_dir).await;
        }
        // Then every ten minutes: a window left open past midnight, or until a scheduled
        // scoring model takes force, shows scores of the model and day in force.
        loop {
            let _ = leads::rebuild::refresh_scores(&background, chrono::Utc::now()).await;
            tokio::time::sleep(std::time::Duration::from_secs(600)).await;
        }
    });
    let specta = commands::builder();
    tauri::Builder::default()
        .plugin(tauri_plugin_store::Builder::new().build())
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_clipboard_manager::init())
        .manage(commands::content::Dropped::default())
        .manage(commands::boot::Prepared::default())
        .on_window_event(commands::content::on_drop)
        .manage(AppState {
            db,
            data_dir,
            import_cancel: commands::leads::cancel_flag(),
            session: Default::default(),
            sla: Default::default(),
        })
        .invoke_handler(specta.invoke_handler())
        .setup(move |app| {
            commands::sync::spawn_background(app.handle().clone());
            specta.mount_events(app);
            commands::boot::prepare(app.handle());
            commands::slas::spawn_warnings(app.handle().clone());
            Ok(())
        })
        .run(tauri::generate_context!())
        .map_err(|e| error::AppError::io(format!("the window could not start: {e}")))
}
