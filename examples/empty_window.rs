//! The floor for the window benchmark (`scripts/bench-window.sh`): an empty Tauri 2 window
//! built from this package, so it shares Playbook's dependency build, its Tauri version
//! and its release profile. It shows one line of text and does nothing else.
fn main() {
    tauri::Builder::default()
        .run(tauri::generate_context!(
            "examples/empty-window/tauri.conf.json"
        ))
        .expect("the empty window starts");
}
