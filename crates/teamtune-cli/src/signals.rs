//! SIGINT, SIGTERM and SIGHUP while members run: the first stops the batch cleanly (the runs
//! in flight are cancelled and their process groups killed, the finished runs are recorded,
//! the command exits 128 + the signal's number); a second quits at once, killing every
//! member process first. Members that leave their process group (`setsid`) are adopted
//! (Linux) so that they are killed too.

use std::io::IsTerminal;

use crate::exit::CliResult;

/// Installs the handlers; for commands that run members (`run`, `apply`, `benchmark`).
pub fn stop_cleanly() -> CliResult<()> {
    teamtune::adopt_orphans();
    teamtune::stop_on_signals(|signal, count| {
        if count == 1 {
            // A progress bar may hold the terminal's last line.
            if std::io::stderr().is_terminal() {
                anstream::eprintln!();
            }
            anstream::eprintln!(
                "teamtune: {signal}: stopping (the runs in flight are cancelled, finished runs are kept); send it again to quit at once"
            );
        } else {
            teamtune::kill_all_member_processes();
            anstream::eprintln!(
                "teamtune: {signal} again: quitting at once; runs not yet written to the store are lost"
            );
            std::process::exit(i32::from(signal.exit_code()));
        }
    })?;
    Ok(())
}
