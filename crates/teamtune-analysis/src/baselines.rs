//! What "normal" looks like for a team: the reference values the Victor detectors compare
//! against (`--baselines FILE`).

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::BaselinesError;

/// Reference values. A baselines file is a JSON object with any of these keys (missing keys
/// keep the Victor defaults); an unknown key is an error naming it. Victor's
/// `throughput_teams_per_minute` is accepted (and unused) so a Victor baselines dict loads.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Baselines {
    /// Mean run duration (Victor default 30 s).
    pub avg_duration_seconds: f64,
    /// Share of successful runs (default 0.95).
    pub success_rate: f64,
    /// Mean tool calls per run (default 15).
    pub avg_tool_calls: f64,
    /// p95 run duration (default 60 s).
    pub p95_duration_seconds: f64,
    /// Victor's throughput baseline (default 2.0); no detector reads it.
    pub throughput_teams_per_minute: f64,
}

impl Default for Baselines {
    fn default() -> Self {
        Baselines {
            avg_duration_seconds: 30.0,
            success_rate: 0.95,
            avg_tool_calls: 15.0,
            p95_duration_seconds: 60.0,
            throughput_teams_per_minute: 2.0,
        }
    }
}

impl Baselines {
    /// Fewest runs a team's own history needs before it serves as a baseline.
    pub const MIN_HISTORY_RUNS: usize = 5;

    /// The team's own history as baselines: the mean duration, success rate, mean tool calls
    /// and p95 of `history` (its runs in earlier configurations). `None` with fewer than
    /// [`Self::MIN_HISTORY_RUNS`] runs, or when a figure is zero (no run succeeded, no tool
    /// calls): a baseline is a divisor, and nothing is "above" a zero.
    pub fn from_history(history: &[crate::RunSample]) -> Option<Baselines> {
        if history.len() < Self::MIN_HISTORY_RUNS {
            return None;
        }
        let summary = crate::Summary::of(history);
        let b = Baselines {
            avg_duration_seconds: summary.mean_duration_seconds?,
            success_rate: summary.success_rate,
            avg_tool_calls: summary.mean_tool_calls?,
            p95_duration_seconds: summary.p95_duration_seconds?,
            throughput_teams_per_minute: Baselines::default().throughput_teams_per_minute,
        };
        b.validate().ok().map(|()| b)
    }

    /// Parses and validates a baselines JSON object.
    pub fn from_json(text: &str) -> Result<Baselines, BaselinesError> {
        let baselines: Baselines = serde_json::from_str(text)?;
        baselines.validate()?;
        Ok(baselines)
    }

    /// Reads a baselines file.
    pub fn from_file(path: &Path) -> Result<Baselines, BaselinesError> {
        let text = std::fs::read_to_string(path).map_err(|source| BaselinesError::Io {
            path: path.to_owned(),
            source,
        })?;
        Baselines::from_json(&text)
    }

    /// Every value must be a finite number above zero (they are divisors).
    pub fn validate(&self) -> Result<(), BaselinesError> {
        for (key, value) in [
            ("avg_duration_seconds", self.avg_duration_seconds),
            ("success_rate", self.success_rate),
            ("avg_tool_calls", self.avg_tool_calls),
            ("p95_duration_seconds", self.p95_duration_seconds),
            (
                "throughput_teams_per_minute",
                self.throughput_teams_per_minute,
            ),
        ] {
            if !(value.is_finite() && value > 0.0) {
                return Err(BaselinesError::NotPositive { key, value });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runs(durations: &[f64], calls: u64, success: bool) -> Vec<crate::RunSample> {
        durations
            .iter()
            .map(|&d| crate::RunSample {
                duration_seconds: d,
                total_tool_calls: calls,
                success,
                ..crate::RunSample::new("t")
            })
            .collect()
    }

    #[test]
    fn history_becomes_the_baseline_when_there_is_enough_of_it() {
        let b =
            Baselines::from_history(&runs(&[100.0, 110.0, 120.0, 130.0, 140.0], 10, true)).unwrap();
        assert_eq!(b.avg_duration_seconds, 120.0);
        assert_eq!(b.avg_tool_calls, 10.0);
        assert_eq!(b.success_rate, 1.0);
        assert!(Baselines::from_history(&runs(&[1.0; 4], 10, true)).is_none());
        assert!(
            Baselines::from_history(&runs(&[1.0; 6], 10, false)).is_none(),
            "a zero success rate is no divisor"
        );
    }

    #[test]
    fn partial_file_keeps_defaults() {
        let b = Baselines::from_json(r#"{"avg_duration_seconds": 10}"#).unwrap();
        assert_eq!(b.avg_duration_seconds, 10.0);
        assert_eq!(b.success_rate, 0.95);
    }

    #[test]
    fn unknown_key_is_named() {
        let e = Baselines::from_json(r#"{"avg_duration": 10}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown field `avg_duration`"), "{e}");
    }

    #[test]
    fn rejects_non_positive() {
        let e = Baselines::from_json(r#"{"success_rate": 0}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("success_rate"), "{e}");
    }
}
