//! Entry point: a subcommand runs headless; none opens the window.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

/// mimalloc: an import allocates millions of small strings on one thread and frees them on
/// another, which glibc's allocator does slowly.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    // Rust ignores SIGPIPE, so a read piped into `head` would panic on its next print; the
    // default action ends the process quietly, as every Unix tool does.
    #[cfg(unix)]
    // SAFETY: setting a signal's disposition to the default before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    playbook::cli::main()
}
