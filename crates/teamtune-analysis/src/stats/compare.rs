//! [`compare`]: the full two-sample comparison (`teamtune compare --json`).

use serde::{Deserialize, Serialize};

use super::bootstrap::{BootstrapResult, bootstrap_improvement_ci, improvement_percentage};
use super::mann_whitney::{MannWhitneyResult, mann_whitney_u};
use super::welch::{WelchResult, welch_t_test};
use crate::summary::mean;

/// Sample `a` is the baseline, `b` the candidate; a positive improvement means `b` is lower
/// (faster).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub n_a: usize,
    pub n_b: usize,
    /// 0 for an empty sample.
    pub mean_a: f64,
    pub mean_b: f64,
    /// (mean_a - mean_b) / mean_a * 100; 0 when mean_a is 0.
    pub improvement_percentage: f64,
    pub welch: WelchResult,
    pub mann_whitney: MannWhitneyResult,
    pub bootstrap: BootstrapResult,
}

/// Compares two samples; `seed` drives the bootstrap.
pub fn compare(a: &[f64], b: &[f64], seed: u64) -> Comparison {
    Comparison {
        n_a: a.len(),
        n_b: b.len(),
        mean_a: mean(a).unwrap_or(0.0),
        mean_b: mean(b).unwrap_or(0.0),
        improvement_percentage: improvement_percentage(a, b),
        welch: welch_t_test(a, b),
        mann_whitney: mann_whitney_u(a, b),
        bootstrap: bootstrap_improvement_ci(a, b, seed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_shape() {
        let c = compare(&[10.0, 12.0, 11.0], &[8.0, 9.0, 8.5], 1);
        let v = serde_json::to_value(&c).unwrap();
        for key in [
            "n_a",
            "n_b",
            "mean_a",
            "mean_b",
            "improvement_percentage",
            "welch",
            "mann_whitney",
            "bootstrap",
        ] {
            assert!(v.get(key).is_some(), "{key}");
        }
        assert!(v["welch"].get("df").is_some() && v["mann_whitney"].get("u").is_some());
        assert!(v["bootstrap"].get("ci_low").is_some() && v["bootstrap"]["confidence"] == 0.95);
    }

    #[test]
    fn empty_samples_serialize() {
        let c = compare(&[], &[], 1);
        assert!(serde_json::to_string(&c).is_ok());
        assert_eq!(c.welch.p_value, 1.0);
    }
}
