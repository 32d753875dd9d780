//! Guardrails: limits a candidate must respect whatever its speed-up. Success rate may not
//! drop by more than 10 points; p95 duration may not rise by more than 50%.

use serde::{Deserialize, Serialize};

/// One guardrail's verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Guardrail {
    /// `success_rate_drop` (points) or `p95_increase` (percent).
    pub name: String,
    pub value: f64,
    pub limit: f64,
    /// `value <= limit`.
    pub held: bool,
}

/// Success-rate drop in points (baseline - candidate, x100).
pub fn success_rate_drop(baseline_rate: f64, candidate_rate: f64, limit_points: f64) -> Guardrail {
    let value = (baseline_rate - candidate_rate) * 100.0;
    Guardrail {
        name: "success_rate_drop".into(),
        value,
        limit: limit_points,
        held: value <= limit_points,
    }
}

/// p95 increase in percent of the baseline p95. A zero baseline p95 gives 0 when the
/// candidate's is zero too, else `f64::MAX` (an unbounded rise; finite so it serializes).
pub fn p95_increase(baseline_p95: f64, candidate_p95: f64, limit_percent: f64) -> Guardrail {
    let value = if baseline_p95 > 0.0 {
        (candidate_p95 - baseline_p95) / baseline_p95 * 100.0
    } else if candidate_p95 > 0.0 {
        f64::MAX
    } else {
        0.0
    };
    Guardrail {
        name: "p95_increase".into(),
        value,
        limit: limit_percent,
        held: value <= limit_percent,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits() {
        assert!(success_rate_drop(0.95, 0.85, 10.0).held);
        assert!(!success_rate_drop(0.95, 0.80, 10.0).held);
        assert!(success_rate_drop(0.5, 0.9, 10.0).held);
        assert!(p95_increase(100.0, 150.0, 50.0).held);
        assert!(!p95_increase(100.0, 151.0, 50.0).held);
        assert!(!p95_increase(0.0, 1.0, 50.0).held);
        assert!(p95_increase(0.0, 0.0, 50.0).held);
    }
}
