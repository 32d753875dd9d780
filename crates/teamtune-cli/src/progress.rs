//! Progress of a batch, on stderr only (stdout carries the results, `--json` lines
//! included). When stderr is a terminal: a bar. Otherwise (a log file, a CI job): a line
//! every [`LINE_EVERY`], so a long run shows it is alive without flooding the log; a batch
//! shorter than that prints none. Nothing for a single unit of work.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

use crate::render::thousands;

/// How often a progress line is written when stderr is not a terminal.
pub const LINE_EVERY: Duration = Duration::from_secs(5);

pub struct Progress(Mode);

enum Mode {
    Off,
    Bar(ProgressBar),
    Lines(Lines),
}

/// The line writer: a thread that wakes every [`LINE_EVERY`] and reports the count.
struct Lines {
    done: Arc<AtomicU64>,
    stop: Sender<()>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Progress {
    pub fn new(total: u64, unit: &'static str) -> Self {
        if total < 2 {
            return Progress(Mode::Off);
        }
        if std::io::stderr().is_terminal() {
            return Progress(Mode::Bar(bar(total, unit)));
        }
        let done = Arc::new(AtomicU64::new(0));
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let counter = Arc::clone(&done);
        let thread = std::thread::Builder::new()
            .name("teamtune-progress".into())
            .spawn(move || {
                let start = Instant::now();
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(LINE_EVERY) {
                    let line = progress_line(
                        counter.load(Ordering::Relaxed),
                        total,
                        start.elapsed(),
                        unit,
                    );
                    anstream::eprintln!("teamtune: {line}");
                }
            })
            .ok();
        Progress(Mode::Lines(Lines {
            done,
            stop,
            thread: Mutex::new(thread),
        }))
    }

    pub fn inc(&self) {
        match &self.0 {
            Mode::Bar(b) => b.inc(1),
            Mode::Lines(l) => {
                l.done.fetch_add(1, Ordering::Relaxed);
            }
            Mode::Off => {}
        }
    }

    /// Runs `f` (which prints) with the bar out of the way.
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        match &self.0 {
            Mode::Bar(b) => b.suspend(f),
            _ => f(),
        }
    }

    pub fn finish(&self) {
        match &self.0 {
            Mode::Bar(b) => b.finish_and_clear(),
            Mode::Lines(l) => {
                let _ = l.stop.send(());
                let thread = l.thread.lock().unwrap_or_else(|p| p.into_inner()).take();
                if let Some(t) = thread {
                    let _ = t.join();
                }
            }
            Mode::Off => {}
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

fn bar(total: u64, unit: &str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    let template = format!(
        "{{spinner}} [{{bar:40}}] {{human_pos}}/{{human_len}} {unit} ({{rate}}, eta {{eta}})"
    );
    if let Ok(style) = ProgressStyle::with_template(&template) {
        let style = style.with_key(
            "rate",
            |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = w.write_str(&format_rate(state.per_sec()));
            },
        );
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// `12,345 of 100,000 runs (12.3%), 2,469/s, eta 35s`.
pub fn progress_line(done: u64, total: u64, elapsed: Duration, unit: &str) -> String {
    let secs = elapsed.as_secs_f64();
    let rate = if secs > 0.0 { done as f64 / secs } else { 0.0 };
    let percent = 100.0 * done as f64 / total.max(1) as f64;
    let eta = if rate > 0.0 {
        format_duration(total.saturating_sub(done) as f64 / rate)
    } else {
        "unknown".to_string()
    };
    format!(
        "{} of {} {unit} ({percent:.1}%), {}, eta {eta}",
        thousands(done),
        thousands(total),
        format_rate(rate)
    )
}

/// A rate a person reads at a glance: whole units (rounded down) with thousands separators
/// from 10 a second up (`10,612/s`), one decimal below that (`2.5/s`), two below one (`0.25/s`).
pub fn format_rate(per_sec: f64) -> String {
    if !per_sec.is_finite() || per_sec <= 0.0 {
        return "0/s".to_string();
    }
    if per_sec >= 10.0 {
        format!("{}/s", thousands(per_sec.floor() as u64))
    } else if per_sec >= 1.0 {
        format!("{per_sec:.1}/s")
    } else {
        format!("{per_sec:.2}/s")
    }
}

/// `42s`, `3m 05s`, `2h 07m`.
fn format_duration(secs: f64) -> String {
    let s = secs.round() as u64;
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m {:02}s", s / 60, s % 60),
        _ => format!("{}h {:02}m", s / 3600, (s % 3600) / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_read_at_a_glance() {
        assert_eq!(format_rate(10_612.824_1), "10,612/s");
        assert_eq!(format_rate(1_234_567.0), "1,234,567/s");
        assert_eq!(format_rate(42.49), "42/s");
        assert_eq!(format_rate(2.54), "2.5/s");
        assert_eq!(format_rate(0.254), "0.25/s");
        assert_eq!(format_rate(0.0), "0/s");
        assert_eq!(format_rate(f64::NAN), "0/s");
    }

    #[test]
    fn a_progress_line_says_how_far_how_fast_and_how_long() {
        let line = progress_line(12_345, 100_000, Duration::from_secs(5), "runs");
        assert_eq!(line, "12,345 of 100,000 runs (12.3%), 2,469/s, eta 36s");
        let slow = progress_line(3, 10, Duration::from_secs(100), "runs");
        assert_eq!(slow, "3 of 10 runs (30.0%), 0.03/s, eta 3m 53s");
        assert!(progress_line(0, 10, Duration::ZERO, "runs").ends_with("eta unknown"));
    }
}
