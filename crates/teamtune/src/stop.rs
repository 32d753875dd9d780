//! Stopping runs on a signal. A program that wants SIGINT, SIGTERM and SIGHUP to stop its
//! batches cleanly calls [`stop_on_signals`] once: the first signal asks every batch to stop
//! (the runs in flight are cancelled, their member processes killed, the finished runs kept
//! and recorded) and the batch ends with [`Error::Interrupted`]; the program then exits with
//! [`Signal::exit_code`]. A library inside a larger program leaves the signals to it and
//! may call [`request_stop`] itself.

use std::sync::LazyLock;

use tokio::sync::watch;

use crate::error::Error;

/// A signal that stops runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// SIGINT (Ctrl-C).
    Interrupt,
    /// SIGTERM (`kill`, service managers).
    Terminate,
    /// SIGHUP (the terminal went away).
    Hangup,
}

impl Signal {
    pub fn name(self) -> &'static str {
        match self {
            Signal::Interrupt => "SIGINT",
            Signal::Terminate => "SIGTERM",
            Signal::Hangup => "SIGHUP",
        }
    }

    pub fn number(self) -> u8 {
        match self {
            Signal::Interrupt => 2,
            Signal::Terminate => 15,
            Signal::Hangup => 1,
        }
    }

    /// The shell's convention for a process ended by the signal: 128 + its number.
    pub fn exit_code(self) -> u8 {
        128 + self.number()
    }
}

impl std::fmt::Display for Signal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The first stop request of the process; `None` until there is one.
static STOP: LazyLock<watch::Sender<Option<Signal>>> = LazyLock::new(|| watch::Sender::new(None));

/// Asks every batch of this process to stop, as `signal` would. Later requests keep the first
/// signal.
pub fn request_stop(signal: Signal) {
    STOP.send_if_modified(|s| {
        if s.is_none() {
            *s = Some(signal);
            true
        } else {
            false
        }
    });
}

/// Forgets the stop request, so later batches run again: for a host program that handles the
/// interrupt itself and goes on (the Python package raises `KeyboardInterrupt` and its caller
/// may catch it). Batches still running when it is called may miss the request.
pub fn clear_stop() {
    STOP.send_replace(None);
}

/// The signal that asked runs to stop, if one did.
pub fn stop_requested() -> Option<Signal> {
    *STOP.borrow()
}

/// Resolves when a stop is requested.
pub(crate) async fn stopped() -> Signal {
    let mut rx = STOP.subscribe();
    match rx.wait_for(Option::is_some).await {
        Ok(s) => s.unwrap_or(Signal::Interrupt),
        // The sender is a static and never dropped.
        Err(_) => std::future::pending().await,
    }
}

/// Whether the process was started with `signal` ignored (`nohup` ignores SIGHUP).
#[allow(unsafe_code)]
fn inherited_ignore(signal: libc::c_int) -> bool {
    // SAFETY: with a null new action, sigaction(2) only writes the current action into
    // `old`, a zeroed local of the right type.
    unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        libc::sigaction(signal, std::ptr::null(), &mut old) == 0
            && old.sa_sigaction == libc::SIG_IGN
    }
}

/// Listens for SIGINT, SIGTERM and SIGHUP for the rest of the process's life (on a thread of
/// its own): each one requests a stop, then `on_signal` gets it with the number of signals
/// so far (a program may quit at once on the second). From the call on, these signals no
/// longer end the process by themselves, except SIGHUP when the process was started with it
/// ignored: under `nohup` it stays ignored.
pub fn stop_on_signals(on_signal: impl Fn(Signal, u32) + Send + 'static) -> Result<(), Error> {
    use tokio::signal::unix::{SignalKind, signal};
    let listen_hup = !inherited_ignore(libc::SIGHUP);
    let (ready_tx, ready_rx) = std::sync::mpsc::channel::<std::io::Result<()>>();
    std::thread::Builder::new()
        .name("teamtune-signals".into())
        .spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread()
                .enable_io()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                    return;
                }
            };
            rt.block_on(async move {
                let listeners = (|| {
                    Ok::<_, std::io::Error>((
                        signal(SignalKind::interrupt())?,
                        signal(SignalKind::terminate())?,
                        listen_hup
                            .then(|| signal(SignalKind::hangup()))
                            .transpose()?,
                    ))
                })();
                let (mut int, mut term, mut hup) = match listeners {
                    Ok(l) => {
                        let _ = ready_tx.send(Ok(()));
                        l
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                let mut count = 0u32;
                loop {
                    let sig = tokio::select! {
                        _ = int.recv() => Signal::Interrupt,
                        _ = term.recv() => Signal::Terminate,
                        Some(_) = recv(&mut hup) => Signal::Hangup,
                    };
                    count += 1;
                    request_stop(sig);
                    on_signal(sig, count);
                }
            });
        })?;
    // Wait until the handlers are in place: a signal before that would still kill the
    // process outright.
    ready_rx
        .recv()
        .map_err(|_| Error::Io(std::io::Error::other("the signal thread ended at start")))??;
    Ok(())
}

/// The next delivery of a signal that may not be listened for (then never).
async fn recv(listener: &mut Option<tokio::signal::unix::Signal>) -> Option<()> {
    match listener {
        Some(l) => l.recv().await,
        None => std::future::pending().await,
    }
}
