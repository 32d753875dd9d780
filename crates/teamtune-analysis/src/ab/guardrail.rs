//! Guardrails: limits a candidate must respect whatever its speed-up. Success rate may not
//! drop by 10 points or more; p95 duration may not rise by 50% or more.

use serde::{Deserialize, Serialize};

/// One guardrail's verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Guardrail {
    /// `success_rate_drop` (points) or `p95_increase` (percent).
    pub name: String,
    pub value: f64,
    pub limit: f64,
    /// `value < limit`: reaching the limit breaks it (rounding in the value's last digits
    /// does not count as staying under).
    pub held: bool,
}

/// Below the limit by more than rounding noise: 29/30 - 26/30 is 9.999999999999998 points,
/// which is the 10-point limit reached, not held.
fn under(value: f64, limit: f64) -> bool {
    value < limit - 1e-9 * limit.abs().max(1.0)
}

/// Success-rate drop in points (baseline - candidate, x100).
pub fn success_rate_drop(baseline_rate: f64, candidate_rate: f64, limit_points: f64) -> Guardrail {
    let value = (baseline_rate - candidate_rate) * 100.0;
    Guardrail {
        name: "success_rate_drop".into(),
        value,
        limit: limit_points,
        held: under(value, limit_points),
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
        held: under(value, limit_percent),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits() {
        assert!(success_rate_drop(0.95, 0.86, 10.0).held);
        assert!(!success_rate_drop(0.95, 0.80, 10.0).held);
        // At its own boundary a limit is broken, also when rounding lands a hair below it.
        assert!(!success_rate_drop(29.0 / 30.0, 26.0 / 30.0, 10.0).held);
        assert!(!success_rate_drop(0.95, 0.85, 10.0).held);
        assert!(success_rate_drop(0.5, 0.9, 10.0).held);
        assert!(p95_increase(100.0, 149.0, 50.0).held);
        assert!(!p95_increase(100.0, 150.0, 50.0).held);
        assert!(!p95_increase(100.0, 151.0, 50.0).held);
        assert!(!p95_increase(0.0, 1.0, 50.0).held);
        assert!(p95_increase(0.0, 0.0, 50.0).held);
    }
}
