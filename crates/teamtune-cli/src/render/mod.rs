//! Human rendering: runs and batches (`run`), reports (`analyze`, `suggest`), and the
//! tuning commands (`apply`, `benchmark`, `history`, `check`). Colour codes are written
//! freely: `outln!` and `anstream` strip them when the stream is not a terminal or NO_COLOR
//! is set.

mod report;
mod run;
mod tuning;
mod whatif;

pub use report::{print_analysis, print_suggestions};
pub use run::{RunSummary, event_logger, print_run};
pub use tuning::{
    print_apply_results, print_benchmark, print_check, print_history, print_result_to_stderr,
    print_suggestion_to_stderr,
};
pub use whatif::print_whatif;

pub(crate) const BOLD: &str = "\x1b[1m";
pub(crate) const DIM: &str = "\x1b[2m";
pub(crate) const RED: &str = "\x1b[31m";
pub(crate) const YELLOW: &str = "\x1b[33m";
pub(crate) const GREEN: &str = "\x1b[32m";
pub(crate) const RESET: &str = "\x1b[0m";

/// `[████████░░]` for a value in 0..=1.
pub fn bar(v: f64) -> String {
    let filled = (v.clamp(0.0, 1.0) * 10.0).round() as usize;
    format!("[{}{}]", "█".repeat(filled), "░".repeat(10 - filled))
}

pub(crate) fn severity_colour(v: f64) -> &'static str {
    if v >= 0.7 {
        RED
    } else if v >= 0.3 {
        YELLOW
    } else {
        GREEN
    }
}

pub(crate) fn banner(title: &str) {
    outln!("{BOLD}== {title} =={RESET}");
}

/// "1 run", "2 runs", "1,000 runs": a count with the noun it agrees with.
pub(crate) fn count(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}

/// 12345 -> "12,345".
pub(crate) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_agree_with_their_noun() {
        assert_eq!(count(1, "node", "nodes"), "1 node");
        assert_eq!(count(0, "node", "nodes"), "0 nodes");
        assert_eq!(count(10612, "run", "runs"), "10,612 runs");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
    }
}
