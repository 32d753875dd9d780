//! The `sim:` block: parameters of the seeded member model. A team
//! sets them for all members, a member may override any key.

use serde::{Deserialize, Serialize};

use crate::limits::{MAX_DURATION, MAX_TOOL_CALLS};
use crate::seconds::{Seconds, number};

/// Per-turn thinking time: fixed, or lognormal given its median and p95.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ThinkTime {
    Fixed(f64),
    LogNormal { median: f64, p95: f64 },
}

/// Fully resolved simulation parameters of one member.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SimParams {
    pub work_calls: f64,
    pub call_latency_s: f64,
    pub think_s: ThinkTime,
    pub coordination_s: f64,
    pub failure_rate: f64,
    pub hang_rate: f64,
    pub over_explore: f64,
}

impl Default for SimParams {
    fn default() -> Self {
        SimParams {
            work_calls: 20.0,
            call_latency_s: 1.0,
            think_s: ThinkTime::LogNormal {
                median: 5.0,
                p95: 15.0,
            },
            coordination_s: 0.5,
            failure_rate: 0.02,
            hang_rate: 0.0,
            over_explore: 0.0,
        }
    }
}

/// A `sim:` block as written: every key optional.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimOverrides {
    pub work_calls: Option<f64>,
    pub call_latency_s: Option<f64>,
    pub think_s: Option<ThinkTime>,
    pub coordination_s: Option<f64>,
    pub failure_rate: Option<f64>,
    pub hang_rate: Option<f64>,
    pub over_explore: Option<f64>,
}

impl SimOverrides {
    pub fn apply(&self, base: SimParams) -> SimParams {
        SimParams {
            work_calls: self.work_calls.unwrap_or(base.work_calls),
            call_latency_s: self.call_latency_s.unwrap_or(base.call_latency_s),
            think_s: self.think_s.unwrap_or(base.think_s),
            coordination_s: self.coordination_s.unwrap_or(base.coordination_s),
            failure_rate: self.failure_rate.unwrap_or(base.failure_rate),
            hang_rate: self.hang_rate.unwrap_or(base.hang_rate),
            over_explore: self.over_explore.unwrap_or(base.over_explore),
        }
    }

    /// Range checks, one `(key, message)` per bad key. Durations are at most
    /// [`MAX_DURATION`] (so a turn's length stays representable), `work_calls` is a whole
    /// number up to [`MAX_TOOL_CALLS`].
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if let Some(v) = self.work_calls
            && !(v >= 0.0 && v <= f64::from(MAX_TOOL_CALLS) && v.fract() == 0.0)
        {
            out.push((
                "work_calls",
                format!(
                    "sim.work_calls must be a whole number between 0 and {MAX_TOOL_CALLS}, got {}",
                    number(v)
                ),
            ));
        }
        for (name, v) in [
            ("call_latency_s", self.call_latency_s),
            ("coordination_s", self.coordination_s),
        ] {
            if let Some(v) = v
                && let Err(msg) = Seconds::new(v)
            {
                out.push((name, format!("sim.{name} {msg}")));
            }
        }
        for (name, v) in [
            ("failure_rate", self.failure_rate),
            ("hang_rate", self.hang_rate),
            ("over_explore", self.over_explore),
        ] {
            if let Some(v) = v
                && !(0.0..=1.0).contains(&v)
            {
                out.push((
                    name,
                    format!("sim.{name} must be between 0 and 1, got {}", number(v)),
                ));
            }
        }
        let max = MAX_DURATION.as_secs_f64();
        match self.think_s {
            Some(ThinkTime::Fixed(v)) => {
                if let Err(msg) = Seconds::new(v) {
                    out.push(("think_s", format!("sim.think_s {msg}")));
                }
            }
            Some(ThinkTime::LogNormal { median, p95 })
                if !(median > 0.0 && p95 >= median && p95 <= max) =>
            {
                out.push((
                    "think_s",
                    format!(
                        "sim.think_s needs 0 < median <= p95 <= {max} seconds (30 days), got median {}, p95 {}",
                        number(median),
                        number(p95)
                    ),
                ));
            }
            _ => {}
        }
        out
    }
}
