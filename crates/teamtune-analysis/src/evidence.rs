//! Facts derived from a team's own history that both detectors and strategies rely on: how
//! much a sequential team would gain by running its members concurrently (from per-member
//! timings), which other formations the team ran faster under, how many consensus rounds it
//! needs.

use std::collections::BTreeMap;

use crate::run_sample::RunSample;
use crate::stats::welch::welch_t_test;
use crate::summary::{mean, nonzero_durations};

/// Runs whose member times add up to the run's duration: at least two timed members, and the
/// sum between 75% and 105% of the duration (members ran one after another). A run without a
/// duration is taken on its members' word.
pub fn additive_runs<'a>(
    records: &'a [RunSample],
    formation: &'a str,
) -> impl Iterator<Item = &'a RunSample> + 'a {
    records.iter().filter(move |r| {
        if &*r.formation != formation || r.timed_members().count() < 2 {
            return false;
        }
        let sum: f64 = r.timed_members().map(|m| m.duration_seconds).sum();
        r.duration_seconds <= 0.0 || (0.75..=1.05).contains(&(sum / r.duration_seconds))
    })
}

/// What running a sequential (or pipeline) team's members at once would save, per the runs
/// whose member times add up.
#[derive(Debug, Clone, PartialEq)]
pub struct ConcurrencyEvidence {
    pub runs: usize,
    /// Mean observed duration of those runs.
    pub mean_duration: f64,
    /// Mean of the slowest member's time.
    pub mean_member_max: f64,
    /// Mean of the sum of member times.
    pub mean_member_sum: f64,
    /// Mean of (run duration - member sum), at least 0: coordination the members do not account for.
    pub mean_overhead: f64,
    /// Mean over runs of 1 - max/sum.
    pub mean_saving: f64,
    /// Mean over runs of max + overhead: the duration if members ran concurrently.
    pub predicted_duration: f64,
    /// 1 - predicted / observed, 0..1.
    pub improvement: f64,
}

pub fn concurrency_evidence(records: &[RunSample], formation: &str) -> Option<ConcurrencyEvidence> {
    let mut observed = Vec::new();
    let mut maxes = Vec::new();
    let mut sums = Vec::new();
    let mut overheads = Vec::new();
    let mut savings = Vec::new();
    let mut predicted = Vec::new();
    for r in additive_runs(records, formation) {
        let sum: f64 = r.timed_members().map(|m| m.duration_seconds).sum();
        let max = r
            .timed_members()
            .map(|m| m.duration_seconds)
            .fold(0.0, f64::max);
        let duration = if r.duration_seconds > 0.0 {
            r.duration_seconds
        } else {
            sum
        };
        let overhead = (duration - sum).max(0.0);
        observed.push(duration);
        maxes.push(max);
        sums.push(sum);
        overheads.push(overhead);
        savings.push(1.0 - max / sum);
        predicted.push(max + overhead);
    }
    let mean_duration = mean(&observed)?;
    let predicted_duration = mean(&predicted)?;
    Some(ConcurrencyEvidence {
        runs: observed.len(),
        mean_duration,
        mean_member_max: mean(&maxes)?,
        mean_member_sum: mean(&sums)?,
        mean_overhead: mean(&overheads)?,
        mean_saving: mean(&savings)?,
        predicted_duration,
        improvement: (1.0 - predicted_duration / mean_duration).clamp(0.0, 1.0),
    })
}

/// Another formation the team ran under, clearly faster than the current one.
#[derive(Debug, Clone, PartialEq)]
pub struct FormationEvidence {
    pub formation: String,
    pub runs: usize,
    pub mean_duration: f64,
    pub current_runs: usize,
    pub current_mean_duration: f64,
    /// Welch p-value of the difference.
    pub p_value: f64,
    /// 1 - mean / current mean.
    pub improvement: f64,
}

/// Formations seen in the history with at least `min_runs` runs whose mean duration is at
/// least 20% below the current formation's and significantly so (Welch p < 0.05); best first.
pub fn faster_formations(
    records: &[RunSample],
    current: &str,
    min_runs: usize,
) -> Vec<FormationEvidence> {
    let mut by_formation: BTreeMap<&str, Vec<RunSample>> = BTreeMap::new();
    for r in records {
        by_formation
            .entry(&r.formation)
            .or_default()
            .push(r.clone());
    }
    let Some(current_runs) = by_formation.get(current) else {
        return Vec::new();
    };
    let current_durations = nonzero_durations(current_runs);
    let Some(current_mean) = mean(&current_durations) else {
        return Vec::new();
    };
    if current_durations.len() < min_runs {
        return Vec::new();
    }
    let mut found: Vec<FormationEvidence> = by_formation
        .iter()
        .filter(|(f, _)| **f != current)
        .filter_map(|(f, runs)| {
            let durations = nonzero_durations(runs);
            let m = mean(&durations)?;
            if durations.len() < min_runs || m >= current_mean * 0.8 {
                return None;
            }
            let p = welch_t_test(&current_durations, &durations).p_value;
            (p < 0.05).then(|| FormationEvidence {
                formation: (*f).to_owned(),
                runs: durations.len(),
                mean_duration: m,
                current_runs: current_durations.len(),
                current_mean_duration: current_mean,
                p_value: p,
                improvement: 1.0 - m / current_mean,
            })
        })
        .collect();
    found.sort_by(|a, b| a.mean_duration.total_cmp(&b.mean_duration));
    found
}

/// Mean consensus rounds over the runs of the `consensus` formation that recorded them, and
/// how many did.
pub fn consensus_rounds(records: &[RunSample]) -> Option<(f64, usize)> {
    let rounds: Vec<f64> = records
        .iter()
        .filter(|r| &*r.formation == "consensus")
        .filter_map(|r| r.consensus_rounds)
        .map(f64::from)
        .collect();
    Some((mean(&rounds)?, rounds.len()))
}

#[cfg(test)]
pub(crate) mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::run_sample::MemberSample;

    /// A run whose members take the given times one after another, plus `overhead`.
    pub(crate) fn sequential_run(times: &[f64], overhead: f64) -> RunSample {
        let mut r = RunSample::new("team");
        r.member_count = times.len() as u32;
        r.duration_seconds = times.iter().sum::<f64>() + overhead;
        r.members = times
            .iter()
            .enumerate()
            .map(|(i, t)| MemberSample {
                member_id: Arc::from(format!("m{}", i + 1).as_str()),
                role: Arc::from("worker"),
                success: true,
                duration_seconds: *t,
                tool_calls_used: 5,
                error_message: None,
            })
            .collect();
        r
    }

    #[test]
    fn concurrency_saving_from_member_timings() {
        let runs: Vec<RunSample> = (0..5)
            .map(|i| sequential_run(&[30.0, 29.0 + f64::from(i), 31.0, 30.0], 2.0))
            .collect();
        let e = concurrency_evidence(&runs, "sequential").unwrap();
        assert_eq!(e.runs, 5);
        assert!((e.mean_overhead - 2.0).abs() < 1e-9);
        assert!(e.improvement > 0.7 && e.improvement < 0.75, "{e:?}");
    }

    #[test]
    fn overlapping_members_are_not_additive() {
        let mut r = sequential_run(&[30.0, 30.0], 0.0);
        r.duration_seconds = 31.0;
        assert_eq!(
            additive_runs(std::slice::from_ref(&r), "sequential").count(),
            0
        );
    }
}
