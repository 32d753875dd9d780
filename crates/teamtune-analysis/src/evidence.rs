//! Facts derived from a team's own history that both detectors and strategies rely on: how
//! much a sequential team would gain by running its members concurrently (from per-member
//! timings), which other formations the team ran faster under, how many consensus rounds it
//! needs, what retrying failed members (consensus) would do for a team whose members
//! fail at random, what a consensus team would take under a manager (hierarchical), and what
//! a team timeout at a given limit would have done to its past runs.

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
            .as_ref()
            .is_none_or(|e| e.kind() == FailureKind::Other)
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

/// What a consensus team would do as hierarchical (manager plan turn, workers at once, manager
/// synthesis turn; any failure fails the run), from its own single-round runs, where every
/// member's time is one turn.
#[derive(Debug, Clone, PartialEq)]
pub struct HierarchyOutlook {
    /// Consensus runs with a duration, and how many of them were single-round successes (the
    /// ones replayed).
    pub runs: usize,
    pub replayed_runs: usize,
    /// Mean duration and success rate of all consensus runs: what the team costs today.
    pub observed_mean_duration: f64,
    pub observed_success_rate: f64,
    /// Means over the replayed runs: the manager's turn (the plan), the slowest other member
    /// (the workers), the manager's turn without its tool calls (the synthesis makes none),
    /// and what the run took beyond its slowest member (engine overhead).
    pub mean_plan_seconds: f64,
    pub mean_slowest_worker_seconds: f64,
    pub mean_synthesis_seconds: f64,
    pub mean_overhead_seconds: f64,
    /// plan + slowest worker + synthesis + overhead, mean over the replayed runs.
    pub predicted_duration: f64,
    /// Chance that a member turn fails, from the share of runs done in one round:
    /// `1 - share^(1 / members)`.
    pub member_failure_rate: f64,
    /// Share of runs that failed by timeout or budget exhaustion (assumed to keep failing).
    pub other_failure_share: f64,
    /// `(1 - other_failure_share) x (1 - member_failure_rate)^(members + 1)`: no retries, and
    /// the manager takes two turns.
    pub predicted_success_rate: f64,
}

impl HierarchyOutlook {
    /// Predicted change of the mean duration, in percent (positive = faster).
    pub fn duration_gain_percent(&self) -> f64 {
        (1.0 - self.predicted_duration / self.observed_mean_duration) * 100.0
    }

    /// Mean duration / success rate, today and as hierarchical (infinite without successes).
    pub fn observed_seconds_per_success(&self) -> f64 {
        per_success(self.observed_mean_duration, self.observed_success_rate)
    }

    pub fn predicted_seconds_per_success(&self) -> f64 {
        per_success(self.predicted_duration, self.predicted_success_rate)
    }
}

fn per_success(duration: f64, success_rate: f64) -> f64 {
    if success_rate > 0.0 {
        duration / success_rate
    } else {
        f64::INFINITY
    }
}

/// [`HierarchyOutlook`] of the team's consensus runs with `manager` as the manager, for a team
/// of `members`. `seconds_per_call` (the members' own seconds per tool call) takes the tool
/// calls out of the manager's turn for the synthesis; without it the synthesis is taken as
/// long as the plan. `None` without at least one replayable run or when the manager never ran.
pub fn hierarchy_outlook(
    records: &[RunSample],
    manager: &str,
    members: usize,
    seconds_per_call: Option<f64>,
) -> Option<HierarchyOutlook> {
    let runs: Vec<&RunSample> = records
        .iter()
        .filter(|r| &*r.formation == "consensus" && r.duration_seconds > 0.0)
        .collect();
    if runs.is_empty() || members < 2 {
        return None;
    }
    let mut plan = Vec::new();
    let mut workers = Vec::new();
    let mut synthesis = Vec::new();
    let mut overhead = Vec::new();
    let mut predicted = Vec::new();
    let mut one_round = 0;
    let mut with_rounds = 0;
    for r in &runs {
        if r.consensus_rounds.is_some() {
            with_rounds += 1;
        }
        if r.consensus_rounds != Some(1) || !r.success {
            continue;
        }
        one_round += 1;
        let Some(m) = r
            .timed_members()
            .find(|m| &*m.member_id == manager && m.success)
        else {
            continue;
        };
        let slowest = r
            .timed_members()
            .filter(|w| &*w.member_id != manager)
            .map(|w| w.duration_seconds)
            .fold(0.0, f64::max);
        if slowest <= 0.0 {
            continue;
        }
        let calls = seconds_per_call.map_or(0.0, |s| s * m.tool_calls_used as f64);
        let synth = (m.duration_seconds - calls).max(0.0);
        let over = (r.duration_seconds - m.duration_seconds.max(slowest)).max(0.0);
        plan.push(m.duration_seconds);
        workers.push(slowest);
        synthesis.push(synth);
        overhead.push(over);
        predicted.push(m.duration_seconds + slowest + synth + over);
    }
    let durations: Vec<f64> = runs.iter().map(|r| r.duration_seconds).collect();
    let successes = runs.iter().filter(|r| r.success).count();
    let other = runs
        .iter()
        .filter(|r| {
            !r.success
                && (r.failed_by(FailureKind::Timeout) || r.failed_by(FailureKind::BudgetExhausted))
        })
        .count();
    let share_one_round = one_round as f64 / with_rounds.max(1) as f64;
    let n = i32::try_from(members).unwrap_or(i32::MAX);
    let p = 1.0 - share_one_round.powf(1.0 / f64::from(n));
    let other_share = other as f64 / runs.len() as f64;
    Some(HierarchyOutlook {
        runs: runs.len(),
        replayed_runs: predicted.len(),
        observed_mean_duration: mean(&durations)?,
        observed_success_rate: successes as f64 / runs.len() as f64,
        mean_plan_seconds: mean(&plan)?,
        mean_slowest_worker_seconds: mean(&workers)?,
        mean_synthesis_seconds: mean(&synthesis)?,
        mean_overhead_seconds: mean(&overhead)?,
        predicted_duration: mean(&predicted)?,
        member_failure_rate: p,
        other_failure_share: other_share,
        predicted_success_rate: (1.0 - other_share) * (1.0 - p).powi(n.saturating_add(1)),
    })
}

/// What a team timeout at `limit` would have done to the team's past runs: a run longer than
/// the limit becomes a failure that costs the limit; every other run is unchanged.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeoutCut {
    pub limit: f64,
    /// Runs with a duration, how many are longer than the limit, and how many of those
    /// succeeded (successes the limit would turn into failures).
    pub runs: usize,
    pub runs_cut: usize,
    pub successes_cut: usize,
    pub mean_duration: f64,
    pub predicted_mean_duration: f64,
    pub success_rate: f64,
    pub predicted_success_rate: f64,
}

impl TimeoutCut {
    /// Predicted change of the mean duration, in percent (positive = faster).
    pub fn duration_gain_percent(&self) -> f64 {
        (1.0 - self.predicted_mean_duration / self.mean_duration) * 100.0
    }

    /// Predicted success-rate drop in points (what the A/B guardrail measures).
    pub fn success_drop_points(&self) -> f64 {
        (self.success_rate - self.predicted_success_rate) * 100.0
    }

    pub fn seconds_per_success(&self) -> f64 {
        per_success(self.mean_duration, self.success_rate)
    }

    pub fn predicted_seconds_per_success(&self) -> f64 {
        per_success(self.predicted_mean_duration, self.predicted_success_rate)
    }
}

/// [`TimeoutCut`] at `limit` over the runs with a recorded duration; `None` without any.
pub fn timeout_cut(records: &[RunSample], limit: f64) -> Option<TimeoutCut> {
    let timed: Vec<&RunSample> = records
        .iter()
        .filter(|r| r.duration_seconds > 0.0)
        .collect();
    let before: Vec<f64> = timed.iter().map(|r| r.duration_seconds).collect();
    let after: Vec<f64> = before.iter().map(|d| d.min(limit)).collect();
    let cut = timed.iter().filter(|r| r.duration_seconds > limit).count();
    let successes = timed.iter().filter(|r| r.success).count();
    let successes_cut = timed
        .iter()
        .filter(|r| r.success && r.duration_seconds > limit)
        .count();
    let n = timed.len() as f64;
    Some(TimeoutCut {
        limit,
        runs: timed.len(),
        runs_cut: cut,
        successes_cut,
        mean_duration: mean(&before)?,
        predicted_mean_duration: mean(&after)?,
        success_rate: successes as f64 / n,
        predicted_success_rate: (successes - successes_cut) as f64 / n,
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

    /// A consensus run: member `m1` takes `manager` seconds with no tool calls, the others
    /// `worker` seconds with 5 calls each; `rounds` rounds; the run takes `duration`.
    pub(crate) fn consensus_run(
        manager: f64,
        worker: f64,
        members: usize,
        rounds: u32,
        duration: f64,
    ) -> RunSample {
        let mut times = vec![worker; members];
        times[0] = manager;
        let mut r = sequential_run(&times, 0.0);
        r.formation = Arc::from("consensus");
        r.members[0].tool_calls_used = 0;
        r.consensus_rounds = Some(rounds);
        r.duration_seconds = duration;
        r
    }

    #[test]
    fn hierarchy_outlook_replays_single_round_runs() {
        // 10 single-round runs (manager 4 s, workers 30 s, 0.5 s overhead) and 2 runs that
        // failed after 3 rounds and 300 s.
        let mut runs: Vec<RunSample> = (0..10)
            .map(|_| consensus_run(4.0, 30.0, 2, 1, 30.5))
            .collect();
        for _ in 0..2 {
            let mut r = consensus_run(4.0, 30.0, 2, 3, 300.0);
            r.success = false;
            r.members[1].success = false;
            r.members[1].error_message = Some("simulated failure".into());
            runs.push(r);
        }
        let o = hierarchy_outlook(&runs, "m1", 2, Some(1.0)).unwrap();
        assert_eq!((o.runs, o.replayed_runs), (12, 10));
        // plan 4 + slowest worker 30 + synthesis 4 (no calls to take out) + overhead 0.5
        assert!((o.predicted_duration - 38.5).abs() < 1e-9, "{o:?}");
        assert!((o.mean_synthesis_seconds - 4.0).abs() < 1e-9);
        assert!((o.observed_mean_duration - 905.0 / 12.0).abs() < 1e-9);
        let p = 1.0 - (10.0f64 / 12.0).sqrt();
        assert!((o.member_failure_rate - p).abs() < 1e-12);
        assert!((o.predicted_success_rate - (1.0 - p).powi(3)).abs() < 1e-12);
        // The synthesis leaves out the manager's tool calls at the members' seconds per call.
        let mut with_calls = runs.clone();
        for r in &mut with_calls {
            r.members[0].tool_calls_used = 2;
        }
        let o = hierarchy_outlook(&with_calls, "m1", 2, Some(1.5)).unwrap();
        assert!((o.mean_synthesis_seconds - 1.0).abs() < 1e-9, "{o:?}");
        // No single-round run, no replay; a manager that never ran, none either.
        assert!(hierarchy_outlook(&runs[10..], "m1", 2, Some(1.0)).is_none());
        assert!(hierarchy_outlook(&runs, "boss", 2, Some(1.0)).is_none());
    }

    #[test]
    fn timeout_cut_turns_long_runs_into_failures_at_the_cut() {
        // 18 successes of 30 s, one success of 300 s, one failure of 500 s.
        let mut runs: Vec<RunSample> = (0..18).map(|_| sequential_run(&[30.0], 0.0)).collect();
        runs.push(sequential_run(&[300.0], 0.0));
        let mut failed = sequential_run(&[500.0], 0.0);
        failed.success = false;
        runs.push(failed);
        let c = timeout_cut(&runs, 40.0).unwrap();
        assert_eq!((c.runs, c.runs_cut, c.successes_cut), (20, 2, 1));
        assert!((c.mean_duration - 67.0).abs() < 1e-9);
        assert!((c.predicted_mean_duration - 31.0).abs() < 1e-9);
        assert!((c.success_rate - 0.95).abs() < 1e-12);
        assert!((c.predicted_success_rate - 0.90).abs() < 1e-12);
        assert!((c.success_drop_points() - 5.0).abs() < 1e-9);
        assert!((c.duration_gain_percent() - (1.0 - 31.0 / 67.0) * 100.0).abs() < 1e-9);
        assert!((c.predicted_seconds_per_success() - 31.0 / 0.9).abs() < 1e-9);
        // A cut above every run changes nothing.
        let none = timeout_cut(&runs, 600.0).unwrap();
        assert_eq!(none.runs_cut, 0);
        assert!(none.duration_gain_percent().abs() < 1e-9);
        assert!(timeout_cut(&[], 40.0).is_none());
    }
}
