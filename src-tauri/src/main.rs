//! Entry point: a subcommand runs headless; none opens the window.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

/// mimalloc: an import allocates millions of small strings on one thread and frees them on
/// another, which glibc's allocator does slowly.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    playbook::cli::main()
}
