//! Long calls without the GIL, stoppable with Ctrl-C.
//!
//! Python runs its signal handlers only in the main thread, between bytecodes, so a Rust call
//! that holds the thread for minutes would make Ctrl-C wait for it. [`blocking`] runs the
//! work on a thread of its own with the GIL released (other Python threads, and an asyncio
//! loop, go on), and the calling thread wakes every [`POLL`] to let Python check for signals.
//! When a handler raises (`KeyboardInterrupt` for SIGINT), the library is asked to stop as the
//! CLI's Ctrl-C does ([`teamtune::request_stop`]): runs in flight are cancelled, finished ones
//! recorded. Once the work has wound down, the stop request is cleared (the Python program
//! may catch the exception and go on) and the handler's exception is raised.

use std::sync::{Condvar, Mutex, PoisonError};
use std::time::Duration;

use pyo3::prelude::*;

use crate::errors::to_py;

/// How often the waiting thread lets Python check for signals.
const POLL: Duration = Duration::from_millis(50);

/// Where the worker leaves its result for the waiting thread.
struct Slot<T> {
    value: Mutex<Option<T>>,
    ready: Condvar,
}

impl<T> Slot<T> {
    fn put(&self, value: T) {
        *self.value.lock().unwrap_or_else(PoisonError::into_inner) = Some(value);
        self.ready.notify_all();
    }

    /// The value, if it comes within `wait`.
    fn take_within(&self, wait: Duration) -> Option<T> {
        let guard = self.value.lock().unwrap_or_else(PoisonError::into_inner);
        let (mut guard, _) = self
            .ready
            .wait_timeout_while(guard, wait, |v| v.is_none())
            .unwrap_or_else(PoisonError::into_inner);
        guard.take()
    }
}

/// Runs `work` without the GIL; returns its value, its error as a Python exception, or the
/// exception a signal handler raised while it ran.
pub fn blocking<T: Send>(
    py: Python<'_>,
    work: impl FnOnce() -> Result<T, teamtune::Error> + Send,
) -> PyResult<T> {
    let slot = Slot {
        value: Mutex::new(None),
        ready: Condvar::new(),
    };
    std::thread::scope(|scope| {
        let slot = &slot;
        let worker = std::thread::Builder::new()
            .name("teamtune-call".into())
            .spawn_scoped(scope, move || slot.put(work()))
            .map_err(|e| to_py(py, teamtune::Error::Io(e)))?;
        let mut interrupted = None;
        let result = loop {
            if let Some(result) = py.detach(|| slot.take_within(POLL)) {
                break result;
            }
            if worker.is_finished() {
                // Finished without a result: the work panicked.
                if let Some(result) = slot.take_within(Duration::ZERO) {
                    break result;
                }
                break Err(teamtune::Error::Io(std::io::Error::other(
                    "teamtune's worker thread panicked (a bug: please report it)",
                )));
            }
            if interrupted.is_none()
                && let Err(signal) = py.check_signals()
            {
                // Ask the runs in flight to stop, as the CLI's Ctrl-C does, and wait for the
                // finished ones to be recorded; whatever the work ends with, the signal wins.
                teamtune::request_stop(teamtune::Signal::Interrupt);
                interrupted = Some(signal);
            }
        };
        // A panic was reported above as an error; joining only reaps the thread.
        let _ = worker.join();
        if let Some(signal) = interrupted {
            teamtune::clear_stop();
            return Err(signal);
        }
        result.map_err(|e| to_py(py, e))
    })
}
