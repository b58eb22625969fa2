//! The TypeScript bindings in ui/src/lib/bindings.ts are generated from the Rust commands
//! and types; this test fails when they are stale. Regenerate with
//! `UPDATE_BINDINGS=1 cargo test --features custom-protocol --test bindings`.
use std::path::Path;

#[test]
fn bindings_are_fresh() {
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/src/lib/bindings.ts");
    let fresh = tempfile::NamedTempFile::new().unwrap();
    playbook::commands::builder()
        .export(playbook::commands::typescript(), fresh.path())
        .expect("bindings export");
    let generated = std::fs::read_to_string(fresh.path()).unwrap();
    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        std::fs::write(&committed, &generated).unwrap();
        return;
    }
    let current = std::fs::read_to_string(&committed).unwrap_or_default();
    assert!(
        current == generated,
        "ui/src/lib/bindings.ts is stale: run `UPDATE_BINDINGS=1 cargo test --features custom-protocol --test bindings` and commit it"
    );
}
