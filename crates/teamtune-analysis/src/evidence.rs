//! Facts derived from a team's own history that both detectors and strategies rely on: how
//! much a sequential team would gain by running its members concurrently (from per-member
//! timings), which other formations the team ran faster under, how many consensus rounds it
//! needs, and what retrying failed members (consensus) would do for a team whose members
//! fail at random.

use std::collections::BTreeMap;

use crate::run_sample::{FailureKind, RunSample};
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

/// What consensus (failed members retry in the next round, up to `max_iterations` rounds)
/// would do for a team whose members fail at random, from its runs under another formation.
/// Random failures are failed member turns whose error is neither a timeout nor budget
/// exhaustion; runs that failed for those causes are assumed to keep failing.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryOutlook {
    pub runs: usize,
    /// Member turns seen (members that ran) and how many failed at random.
    pub member_turns: usize,
    pub random_failures: usize,
    /// random_failures / member_turns.
    pub member_failure_rate: f64,
    /// Observed success rate of the runs.
    pub success_rate: f64,
    /// Share of runs that failed by timeout or budget exhaustion.
    pub other_failure_share: f64,
    /// (1 - other_failure_share) x (1 - p^rounds)^members.
    pub predicted_success_rate: f64,
    /// Mean time of a successful member turn: what a retry round of one member costs.
    pub mean_turn_seconds: f64,
    /// Expected seconds of retry rounds per run: sum over r < rounds of P(a member still has
    /// no answer after r rounds) x mean turn.
    pub expected_retry_seconds: f64,
}

pub fn retry_outlook(
    records: &[RunSample],
    formation: &str,
    members: usize,
    rounds: u32,
) -> Option<RetryOutlook> {
    let runs: Vec<&RunSample> = records
        .iter()
        .filter(|r| &*r.formation == formation)
        .collect();
    if runs.is_empty() || members == 0 {
        return None;
    }
    let mut turns = 0;
    let mut random = 0;
    let mut turn_times = Vec::new();
    for m in runs.iter().flat_map(|r| r.members.iter()) {
        turns += 1;
        if m.success {
            if m.duration_seconds > 0.0 {
                turn_times.push(m.duration_seconds);
            }
        } else if m
            .error_message
            .as_deref()
            .is_none_or(|e| FailureKind::of_message(e) == FailureKind::Other)
        {
            random += 1;
        }
    }
    if turns == 0 {
        return None;
    }
    let p = random as f64 / turns as f64;
    let other = runs
        .iter()
        .filter(|r| {
            !r.success
                && (r.failed_by(FailureKind::Timeout) || r.failed_by(FailureKind::BudgetExhausted))
        })
        .count();
    let other_share = other as f64 / runs.len() as f64;
    let n = i32::try_from(members).unwrap_or(i32::MAX);
    let rounds = rounds.max(1);
    let mean_turn = mean(&turn_times)?;
    let retry: f64 = (1..rounds)
        .map(|r| 1.0 - (1.0 - p.powi(r as i32)).powi(n))
        .sum::<f64>()
        * mean_turn;
    Some(RetryOutlook {
        runs: runs.len(),
        member_turns: turns,
        random_failures: random,
        member_failure_rate: p,
        success_rate: runs.iter().filter(|r| r.success).count() as f64 / runs.len() as f64,
        other_failure_share: other_share,
        predicted_success_rate: (1.0 - other_share) * (1.0 - p.powi(rounds as i32)).powi(n),
        mean_turn_seconds: mean_turn,
        expected_retry_seconds: retry,
    })
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

    #[test]
    fn retry_outlook_from_random_member_failures() {
        // 20 parallel runs of 4 members; 4 member turns fail at random, one run times out.
        let mut runs: Vec<RunSample> = (0..20)
            .map(|_| {
                let mut r = sequential_run(&[10.0, 10.0, 10.0, 10.0], 0.0);
                r.formation = Arc::from("parallel");
                r.duration_seconds = 10.0;
                r
            })
            .collect();
        for (i, r) in runs.iter_mut().enumerate().take(4) {
            r.success = false;
            r.members[i].success = false;
            r.members[i].error_message = Some("simulated failure".into());
        }
        runs[5].success = false;
        runs[5].error = Some("timeout".into());
        runs[5].members[0].success = false;
        runs[5].members[0].error_message = Some("timeout".into());
        let o = retry_outlook(&runs, "parallel", 4, 3).unwrap();
        assert_eq!((o.member_turns, o.random_failures), (80, 4));
        assert!((o.member_failure_rate - 0.05).abs() < 1e-12);
        assert!((o.success_rate - 0.75).abs() < 1e-12);
        assert!((o.other_failure_share - 0.05).abs() < 1e-12);
        // 0.95 x (1 - 0.05^3)^4
        assert!((o.predicted_success_rate - 0.95 * (1.0 - 0.05f64.powi(3)).powi(4)).abs() < 1e-12);
        // (1 - 0.95^4) + (1 - 0.9975^4) rounds of 10 s
        let expected = ((1.0 - 0.95f64.powi(4)) + (1.0 - 0.9975f64.powi(4))) * 10.0;
        assert!((o.expected_retry_seconds - expected).abs() < 1e-9, "{o:?}");
        assert!(retry_outlook(&runs, "consensus", 4, 3).is_none());
    }
}
