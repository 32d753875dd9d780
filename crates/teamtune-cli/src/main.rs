//! `teamtune`, the command line. Arguments are parsed here, each command lives in its own
//! module under `commands/`, and every error maps to an exit code in one place: 0 done,
//! 1 the work ran but did not succeed, 2 bad input or usage.

#![allow(clippy::print_stdout, clippy::print_stderr)]

#[macro_use]
mod output;

mod args;
mod commands;
mod exit;
mod progress;
mod prompt;
mod render;
mod signals;

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = args::Cli::parse();
    match commands::dispatch(cli) {
        Ok(code) => code.into(),
        Err(e) => {
            e.report();
            e.code().into()
        }
    }
}
