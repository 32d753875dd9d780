//! Summaries of a team's runs: means, the reference p95, success rate, tool calls, per-member
//! figures.
//!
//! The duration and tool call figures follow the Victor reference exactly: zero (missing)
//! values are left out of the lists before averaging, and p95 is the maximum below 20 samples
//! and Python's `statistics.quantiles(data, n=20)[18]` (the exclusive method) from 20 on.

use std::collections::HashMap;
use std::sync::Arc;

use serde::Serialize;

use crate::run_sample::RunSample;

/// Arithmetic mean with compensated summation (close to Python's exact `statistics.mean`);
/// `None` for no values.
pub fn mean(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    Some(neumaier_sum(values.iter().copied()) / values.len() as f64)
}

/// Sample variance (n - 1 denominator); `None` below two values.
pub fn sample_variance(values: &[f64]) -> Option<f64> {
    if values.len() < 2 {
        return None;
    }
    let m = mean(values)?;
    Some(neumaier_sum(values.iter().map(|v| (v - m) * (v - m))) / (values.len() - 1) as f64)
}

pub(crate) fn neumaier_sum(values: impl Iterator<Item = f64>) -> f64 {
    let mut sum = 0.0f64;
    let mut compensation = 0.0f64;
    for v in values {
        let t = sum + v;
        if sum.abs() >= v.abs() {
            compensation += (sum - t) + v;
        } else {
            compensation += (v - t) + sum;
        }
        sum = t;
    }
    sum + compensation
}

/// Python's `statistics.quantiles(data, n=n, method="exclusive")[i - 1]`: the i-th of the
/// n-quantiles. Needs at least two values and 0 < i < n.
pub fn quantile_exclusive(values: &[f64], n: usize, i: usize) -> Option<f64> {
    let ld = values.len();
    if ld < 2 || i == 0 || i >= n {
        return None;
    }
    let mut data = values.to_vec();
    data.sort_by(f64::total_cmp);
    let m = ld + 1;
    let j = (i * m / n).clamp(1, ld - 1);
    let delta = i * m - j * n;
    let (n_f, delta_f) = (n as f64, delta as f64);
    Some((data[j - 1] * (n_f - delta_f) + data[j] * delta_f) / n_f)
}

/// The reference p95: `max` below 20 values, else `statistics.quantiles(n=20)[18]`.
pub fn p95(values: &[f64]) -> Option<f64> {
    if values.len() >= 20 {
        quantile_exclusive(values, 20, 19)
    } else {
        values.iter().copied().reduce(f64::max)
    }
}

/// p99 with the same convention (max below 100 values, else the exclusive 99th percentile).
pub fn p99(values: &[f64]) -> Option<f64> {
    if values.len() >= 100 {
        quantile_exclusive(values, 100, 99)
    } else {
        values.iter().copied().reduce(f64::max)
    }
}

/// The `q` quantile (0..=1) by linear interpolation between closest ranks (numpy's default);
/// `None` for no values.
pub fn quantile(values: &[f64], q: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut data = values.to_vec();
    data.sort_by(f64::total_cmp);
    let pos = q.clamp(0.0, 1.0) * (data.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    Some(data[lo] + (data[hi] - data[lo]) * (pos - lo as f64))
}

/// The median (average of the middle two for an even count).
pub fn median(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut data = values.to_vec();
    data.sort_by(f64::total_cmp);
    let mid = data.len() / 2;
    Some(if data.len().is_multiple_of(2) {
        (data[mid - 1] + data[mid]) / 2.0
    } else {
        data[mid]
    })
}

/// What a team's runs look like, in the reference's conventions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub runs: usize,
    pub successes: usize,
    /// successes / runs (0 when there are no runs).
    pub success_rate: f64,
    /// Number of runs with a non-zero duration (the ones the duration figures use).
    pub timed_runs: usize,
    pub mean_duration_seconds: Option<f64>,
    pub p95_duration_seconds: Option<f64>,
    /// Mean over runs with a non-zero tool call count (the reference's convention).
    pub mean_tool_calls: Option<f64>,
    /// The formation of the latest run.
    pub current_formation: Option<String>,
    pub members: Vec<MemberSummary>,
}

/// One member across the runs it appears in (from `member_metrics`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MemberSummary {
    pub member_id: String,
    pub role: String,
    pub runs: usize,
    pub failures: usize,
    pub failure_rate: f64,
    /// Mean over the runs with a non-zero duration.
    pub mean_duration_seconds: Option<f64>,
    pub mean_tool_calls: f64,
    pub p95_tool_calls: Option<f64>,
}

impl Summary {
    pub fn of(records: &[RunSample]) -> Summary {
        let runs = records.len();
        let successes = records.iter().filter(|r| r.success).count();
        let durations = nonzero_durations(records);
        let tool_calls: Vec<f64> = records
            .iter()
            .filter(|r| r.total_tool_calls > 0)
            .map(|r| r.total_tool_calls as f64)
            .collect();
        Summary {
            runs,
            successes,
            success_rate: ratio(successes, runs),
            timed_runs: durations.len(),
            mean_duration_seconds: mean(&durations),
            p95_duration_seconds: p95(&durations),
            mean_tool_calls: mean(&tool_calls),
            current_formation: records.last().map(|r| r.formation.to_string()),
            members: member_summaries(records),
        }
    }
}

/// Durations with Victor's filter (zero/missing left out).
pub fn nonzero_durations(records: &[RunSample]) -> Vec<f64> {
    records
        .iter()
        .map(|r| r.duration_seconds)
        .filter(|d| *d > 0.0)
        .collect()
}

pub(crate) fn ratio(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

fn member_summaries(records: &[RunSample]) -> Vec<MemberSummary> {
    struct Acc {
        role: Arc<str>,
        runs: usize,
        failures: usize,
        durations: Vec<f64>,
        calls: Vec<f64>,
    }
    let mut order: Vec<Arc<str>> = Vec::new();
    let mut by_id: HashMap<Arc<str>, Acc> = HashMap::new();
    for r in records {
        for m in &r.members {
            let acc = by_id.entry(Arc::clone(&m.member_id)).or_insert_with(|| {
                order.push(Arc::clone(&m.member_id));
                Acc {
                    role: Arc::clone(&m.role),
                    runs: 0,
                    failures: 0,
                    durations: Vec::new(),
                    calls: Vec::new(),
                }
            });
            acc.runs += 1;
            acc.failures += usize::from(!m.success);
            if m.duration_seconds > 0.0 {
                acc.durations.push(m.duration_seconds);
            }
            acc.calls.push(m.tool_calls_used as f64);
        }
    }
    order
        .into_iter()
        .filter_map(|id| {
            let acc = by_id.remove(&id)?;
            Some(MemberSummary {
                member_id: id.to_string(),
                role: acc.role.to_string(),
                runs: acc.runs,
                failures: acc.failures,
                failure_rate: ratio(acc.failures, acc.runs),
                mean_duration_seconds: mean(&acc.durations),
                mean_tool_calls: mean(&acc.calls).unwrap_or(0.0),
                p95_tool_calls: p95(&acc.calls),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p95_matches_python_statistics_quantiles() {
        // statistics.quantiles(list(range(1, 21)), n=20)[18] == 19.95
        let v: Vec<f64> = (1..=20).map(f64::from).collect();
        assert!((p95(&v).unwrap() - 19.95).abs() < 1e-12);
        // statistics.quantiles([float(x*x) for x in range(1, 26)], n=20)[18] == 610.3
        let sq: Vec<f64> = (1..=25).map(|x| f64::from(x * x)).collect();
        assert!((p95(&sq).unwrap() - 610.3).abs() < 1e-9);
        assert_eq!(p95(&[3.0, 9.0, 1.0]), Some(9.0));
        assert_eq!(p95(&[]), None);
    }

    #[test]
    fn mean_median_variance() {
        assert_eq!(mean(&[75.0, 80.0, 70.0, 120.0]), Some(86.25));
        assert_eq!(median(&[3.0, 1.0, 2.0, 10.0]), Some(2.5));
        assert_eq!(sample_variance(&[1.0, 2.0, 3.0, 4.0]), Some(5.0 / 3.0));
        assert_eq!(sample_variance(&[1.0]), None);
        assert_eq!(quantile(&[4.0, 1.0, 3.0, 2.0], 0.5), Some(2.5));
        assert_eq!(quantile(&[4.0, 1.0, 3.0, 2.0], 0.0), Some(1.0));
        assert_eq!(quantile(&[4.0, 1.0, 3.0, 2.0], 1.0), Some(4.0));
        assert_eq!(quantile(&[], 0.5), None);
    }

    #[test]
    fn summary_drops_zero_durations_like_victor() {
        let mut a = RunSample::new("t");
        a.duration_seconds = 10.0;
        a.total_tool_calls = 4;
        let mut b = RunSample::new("t");
        b.success = false;
        let s = Summary::of(&[a, b]);
        assert_eq!(s.runs, 2);
        assert_eq!(s.success_rate, 0.5);
        assert_eq!(s.mean_duration_seconds, Some(10.0));
        assert_eq!(s.mean_tool_calls, Some(4.0));
    }
}
