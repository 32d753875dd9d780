//! `teamtune`, the command line. Arguments are parsed here, each command lives in its own
//! module under `commands/`, and every error maps to an exit code in one place: 0 done,
//! 1 the work ran but did not succeed, 2 bad input or usage.

#![allow(clippy::print_stdout, clippy::print_stderr)]

mod args;
mod commands;
mod exit;
mod progress;
mod prompt;
mod render;

use clap::Parser;

fn main() -> std::process::ExitCode {
    restore_sigpipe();
    let cli = args::Cli::parse();
    match commands::dispatch(cli) {
        Ok(code) => code.into(),
        Err(e) => {
            e.report();
            e.code().into()
        }
    }
}

/// Rust ignores SIGPIPE, which turns `teamtune ... | head` into a write error on every later
/// print. Restore the default so the process ends quietly when its reader goes away, as other
/// Unix tools do.
#[allow(unsafe_code)]
fn restore_sigpipe() {
    // SAFETY: called first thing in main, before any thread exists; SIG_DFL is a valid
    // disposition for SIGPIPE.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
