//! Percentile bootstrap 95% confidence interval of the relative improvement
//! `(mean_a - mean_b) / mean_a * 100` (a = baseline), from a seeded `ChaCha8Rng` so every
//! interval can be replayed.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::summary::mean;

/// Resamples per interval.
pub const BOOTSTRAP_RESAMPLES: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BootstrapResult {
    pub ci_low: f64,
    pub ci_high: f64,
    /// The interval's confidence level (0.95).
    pub confidence: f64,
}

/// Relative improvement of `b` over `a` in percent; 0 when `a`'s mean is 0 or a side is empty.
pub fn improvement_percentage(a: &[f64], b: &[f64]) -> f64 {
    match (mean(a), mean(b)) {
        (Some(ma), Some(mb)) if ma != 0.0 => (ma - mb) / ma * 100.0,
        _ => 0.0,
    }
}

/// 95% percentile interval over [`BOOTSTRAP_RESAMPLES`] resamples (each resample draws n_a
/// indices of `a`, then n_b of `b`, with replacement). Percentiles interpolate linearly
/// (numpy's default). An empty side gives the interval [0, 0].
pub fn bootstrap_improvement_ci(a: &[f64], b: &[f64], seed: u64) -> BootstrapResult {
    bootstrap_with(a, b, seed, BOOTSTRAP_RESAMPLES, 0.95)
}

/// [`bootstrap_improvement_ci`] with a chosen number of resamples and confidence level.
pub fn bootstrap_with(
    a: &[f64],
    b: &[f64],
    seed: u64,
    resamples: usize,
    confidence: f64,
) -> BootstrapResult {
    if a.is_empty() || b.is_empty() || resamples == 0 {
        return BootstrapResult {
            ci_low: 0.0,
            ci_high: 0.0,
            confidence,
        };
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut stats = Vec::with_capacity(resamples);
    for _ in 0..resamples {
        let sum_a: f64 = (0..a.len()).map(|_| a[rng.random_range(0..a.len())]).sum();
        let sum_b: f64 = (0..b.len()).map(|_| b[rng.random_range(0..b.len())]).sum();
        let (ma, mb) = (sum_a / a.len() as f64, sum_b / b.len() as f64);
        stats.push(if ma != 0.0 {
            (ma - mb) / ma * 100.0
        } else {
            0.0
        });
    }
    stats.sort_by(f64::total_cmp);
    let tail = (1.0 - confidence) / 2.0;
    BootstrapResult {
        ci_low: percentile(&stats, tail),
        ci_high: percentile(&stats, 1.0 - tail),
        confidence,
    }
}

/// numpy's linear percentile of sorted data, q in 0..1.
fn percentile(sorted: &[f64], q: f64) -> f64 {
    let pos = q * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    let frac = pos - lo as f64;
    sorted[lo] + (sorted[hi] - sorted[lo]) * frac
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interval_brackets_the_estimate_and_replays() {
        let a = [10.0, 11.0, 9.5, 10.5, 12.0, 10.0, 9.0, 11.5];
        let b = [8.0, 8.5, 7.5, 9.0, 8.0, 7.0, 8.5, 9.5];
        let est = improvement_percentage(&a, &b);
        let ci = bootstrap_improvement_ci(&a, &b, 7);
        assert!(ci.ci_low < est && est < ci.ci_high, "{ci:?} {est}");
        assert_eq!(ci, bootstrap_improvement_ci(&a, &b, 7));
        assert_ne!(ci, bootstrap_improvement_ci(&a, &b, 8));
    }

    #[test]
    fn degenerate() {
        assert_eq!(bootstrap_improvement_ci(&[], &[1.0], 1).ci_low, 0.0);
        let ci = bootstrap_improvement_ci(&[0.0, 0.0], &[1.0], 1);
        assert_eq!((ci.ci_low, ci.ci_high), (0.0, 0.0));
        let same = bootstrap_improvement_ci(&[5.0, 5.0], &[4.0, 4.0], 1);
        assert!((same.ci_low - 20.0).abs() < 1e-9 && (same.ci_high - 20.0).abs() < 1e-9);
    }

    #[test]
    fn percentile_interpolates() {
        assert_eq!(percentile(&[1.0, 2.0, 3.0, 4.0], 0.5), 2.5);
    }
}
