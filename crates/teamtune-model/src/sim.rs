//! The `sim:` block: parameters of the seeded member model. A team
//! sets them for all members, a member may override any key.

use serde::{Deserialize, Serialize};

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

    /// Range checks, one message per bad key.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut non_negative = |name: &str, v: Option<f64>| {
            if let Some(v) = v
                && !(v.is_finite() && v >= 0.0)
            {
                out.push(format!("sim.{name} must be a finite number >= 0, got {v}"));
            }
        };
        non_negative("work_calls", self.work_calls);
        non_negative("call_latency_s", self.call_latency_s);
        non_negative("coordination_s", self.coordination_s);
        for (name, v) in [
            ("failure_rate", self.failure_rate),
            ("hang_rate", self.hang_rate),
            ("over_explore", self.over_explore),
        ] {
            if let Some(v) = v
                && !(0.0..=1.0).contains(&v)
            {
                out.push(format!("sim.{name} must be between 0 and 1, got {v}"));
            }
        }
        match self.think_s {
            Some(ThinkTime::Fixed(v)) if !(v.is_finite() && v >= 0.0) => {
                out.push(format!("sim.think_s must be a finite number >= 0, got {v}"));
            }
            Some(ThinkTime::LogNormal { median, p95 })
                if !(median.is_finite() && median > 0.0 && p95.is_finite() && p95 >= median) =>
            {
                out.push(format!(
                    "sim.think_s needs 0 < median <= p95, got median {median}, p95 {p95}"
                ));
            }
            _ => {}
        }
        out
    }
}
