//! The `sim:` block: parameters of the seeded member model. A team
//! sets them for all members, a member may override any key.

use serde::{Deserialize, Serialize};

use crate::limits::{MAX_DURATION, MAX_TOOL_CALLS};
use crate::seconds::{Seconds, number};

/// The most tokens a simulated turn may name per key (a million: more than any context).
const MAX_TOKENS: f64 = 1_000_000.0;

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
    /// Token use per turn; `None`: the member reports none (like a command member).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens: Option<SimTokens>,
}

/// A simulated member's token use in one turn: `prompt_tokens + tokens_per_call * calls` in
/// (each tool result is read back), `completion_tokens` out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimTokens {
    pub prompt_tokens: u64,
    pub tokens_per_call: u64,
    pub completion_tokens: u64,
}

impl SimTokens {
    /// Tokens in and out of a turn that made `calls` tool calls.
    pub fn of_turn(&self, calls: u64) -> (u64, u64) {
        (
            self.prompt_tokens
                .saturating_add(self.tokens_per_call.saturating_mul(calls)),
            self.completion_tokens,
        )
    }
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
            tokens: None,
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
    pub prompt_tokens: Option<f64>,
    pub tokens_per_call: Option<f64>,
    pub completion_tokens: Option<f64>,
}

impl SimOverrides {
    pub fn apply(&self, base: SimParams) -> SimParams {
        let keys = [
            self.prompt_tokens,
            self.tokens_per_call,
            self.completion_tokens,
        ];
        let tokens = if keys.iter().any(Option::is_some) {
            // Whole numbers in range: `problems` checks them before a run.
            let whole = |v: Option<f64>, base: u64| v.map_or(base, |v| v as u64);
            let b = base.tokens.unwrap_or_default();
            Some(SimTokens {
                prompt_tokens: whole(self.prompt_tokens, b.prompt_tokens),
                tokens_per_call: whole(self.tokens_per_call, b.tokens_per_call),
                completion_tokens: whole(self.completion_tokens, b.completion_tokens),
            })
        } else {
            base.tokens
        };
        SimParams {
            work_calls: self.work_calls.unwrap_or(base.work_calls),
            call_latency_s: self.call_latency_s.unwrap_or(base.call_latency_s),
            think_s: self.think_s.unwrap_or(base.think_s),
            coordination_s: self.coordination_s.unwrap_or(base.coordination_s),
            failure_rate: self.failure_rate.unwrap_or(base.failure_rate),
            hang_rate: self.hang_rate.unwrap_or(base.hang_rate),
            over_explore: self.over_explore.unwrap_or(base.over_explore),
            tokens,
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
            ("prompt_tokens", self.prompt_tokens),
            ("tokens_per_call", self.tokens_per_call),
            ("completion_tokens", self.completion_tokens),
        ] {
            if let Some(v) = v
                && !((0.0..=MAX_TOKENS).contains(&v) && v.fract() == 0.0)
            {
                out.push((
                    name,
                    format!(
                        "sim.{name} must be a whole number between 0 and {MAX_TOKENS}, got {}",
                        number(v)
                    ),
                ));
            }
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
