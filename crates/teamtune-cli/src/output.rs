//! Writing to stdout. A reader that goes away (`teamtune ... | head`) must not kill or
//! panic the process: it may be in the middle of recording runs. Once stdout is closed,
//! further output is dropped and the work goes on.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

static CLOSED: AtomicBool = AtomicBool::new(false);

/// Writes one line to stdout (colours stripped when stdout is not a terminal or NO_COLOR is
/// set).
pub fn line(args: std::fmt::Arguments<'_>) {
    if CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut out = anstream::stdout();
    if writeln!(out, "{args}").and_then(|()| out.flush()).is_err() {
        CLOSED.store(true, Ordering::Relaxed);
    }
}

/// Handles an error of a direct stdout write: a closed pipe stops output, not the work.
pub fn closed_ok(r: std::io::Result<()>) -> std::io::Result<()> {
    match r {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            CLOSED.store(true, Ordering::Relaxed);
            Ok(())
        }
        other => other,
    }
}

pub fn is_closed() -> bool {
    CLOSED.load(Ordering::Relaxed)
}

macro_rules! outln {
    () => { $crate::output::line(format_args!("")) };
    ($($t:tt)*) => { $crate::output::line(format_args!($($t)*)) };
}

/// A writer over stdout that notes a closed pipe, so a command streaming to it can tell a
/// reader that went away (`| head`: done, exit 0) from a real write error.
pub struct Stdout<W: Write>(pub W);

impl<W: Write> Write for Stdout<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf).inspect_err(note_closed)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush().inspect_err(note_closed)
    }
}

fn note_closed(e: &std::io::Error) {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        CLOSED.store(true, Ordering::Relaxed);
    }
}
