//! The twin checks itself: it replays every recorded configuration and compares the replayed
//! runs with the recorded ones. Durations by the two-sample Kolmogorov-Smirnov distance
//! against its 1% critical value, `1.63 * sqrt((n + m) / (n m))`; success rates within three
//! standard errors plus five points. A twin that fails either is not used for tuning: the
//! rule strategies are.

use serde::Serialize;

use super::fit::{ObservedRun, Twin};

/// Replayed runs per recorded configuration.
const CHECK_RUNS: usize = 2000;

/// How well the twin reproduces its own records.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FitCheck {
    /// Recorded runs the twin was fitted from.
    pub runs: usize,
    /// The largest Kolmogorov-Smirnov distance between recorded and replayed durations.
    pub distance: f64,
    /// Its critical value (1%) for that configuration's number of runs.
    pub threshold: f64,
    /// The largest gap between recorded and replayed success rates, in points.
    pub success_gap_points: f64,
    pub success_threshold_points: f64,
    pub ok: bool,
    /// What was wrong, when something was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

impl Twin {
    pub fn check(&self, seed: u64) -> FitCheck {
        let mut worst = FitCheck {
            runs: self.runs,
            distance: 0.0,
            threshold: 1.0,
            success_gap_points: 0.0,
            success_threshold_points: 100.0,
            ok: true,
            problem: None,
        };
        let mut worst_ratio = 0.0;
        for (config, recorded) in &self.observed {
            if recorded.len() < 5 {
                continue;
            }
            let replayed = self.replay(config, CHECK_RUNS, seed);
            let a: Vec<f64> = recorded.iter().map(|r| r.duration_seconds).collect();
            let b: Vec<f64> = replayed.iter().map(|r| r.duration_seconds).collect();
            let d = ks_distance(&a, &b);
            let (n, m) = (a.len() as f64, b.len() as f64);
            let threshold = 1.63 * ((n + m) / (n * m)).sqrt();
            let p_rec = rate(recorded);
            let p_rep = replayed.iter().filter(|r| r.success).count() as f64 / m;
            let gap = (p_rec - p_rep).abs() * 100.0;
            let gap_limit = (3.0 * (p_rep * (1.0 - p_rep) / n).sqrt() + 0.05) * 100.0;
            let ratio = (d / threshold).max(gap / gap_limit);
            if ratio >= worst_ratio {
                worst_ratio = ratio;
                worst.distance = d;
                worst.threshold = threshold;
                worst.success_gap_points = gap;
                worst.success_threshold_points = gap_limit;
            }
            if d > threshold {
                worst.ok = false;
                worst.problem.get_or_insert_with(|| {
                    format!(
                        "replayed durations differ from the {} recorded runs (KS distance {d:.3} > {threshold:.3})",
                        recorded.len()
                    )
                });
            }
            if gap > gap_limit {
                worst.ok = false;
                worst.problem.get_or_insert_with(|| {
                    format!(
                        "replayed success rate {:.0}% against {:.0}% recorded",
                        p_rep * 100.0,
                        p_rec * 100.0
                    )
                });
            }
        }
        worst
    }
}

fn rate(runs: &[ObservedRun]) -> f64 {
    runs.iter().filter(|r| r.success).count() as f64 / runs.len().max(1) as f64
}

/// The two-sample Kolmogorov-Smirnov statistic: the largest gap between the empirical CDFs.
pub fn ks_distance(a: &[f64], b: &[f64]) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 1.0;
    }
    let mut a = a.to_vec();
    let mut b = b.to_vec();
    a.sort_by(f64::total_cmp);
    b.sort_by(f64::total_cmp);
    let (mut i, mut j, mut d) = (0, 0, 0.0f64);
    while i < a.len() && j < b.len() {
        let x = a[i].min(b[j]);
        while i < a.len() && a[i] <= x {
            i += 1;
        }
        while j < b.len() && b[j] <= x {
            j += 1;
        }
        d = d.max((i as f64 / a.len() as f64 - j as f64 / b.len() as f64).abs());
    }
    d
}

#[cfg(test)]
mod tests {
    use super::ks_distance;

    #[test]
    fn ks_distance_of_equal_and_disjoint_samples() {
        assert_eq!(ks_distance(&[1.0, 2.0, 3.0], &[1.0, 2.0, 3.0]), 0.0);
        assert_eq!(ks_distance(&[1.0, 2.0], &[5.0, 6.0]), 1.0);
        assert!((ks_distance(&[1.0, 2.0, 3.0, 4.0], &[3.0, 4.0, 5.0, 6.0]) - 0.5).abs() < 1e-12);
    }
}
