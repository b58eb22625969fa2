//! Entry point: a subcommand runs headless; none opens the window.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() -> std::process::ExitCode {
    playbook::cli::main()
}
