//! The objective: mean team duration divided by success rate, i.e. (virtual) seconds spent
//! per successful run; infinite when no run succeeds. An [`Evaluator`] scores configurations
//! through the library's trial runner on a given seed stream, so every configuration scored
//! with the same seed sees the same random numbers (common random numbers).

use serde::Serialize;
use teamtune::{HitlPolicy, TrialRunner, Workflow, WorkflowRunner, run_seed};

use crate::error::BenchError;
use crate::scenario::team_can_hang;

/// How a configuration did over `runs` runs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Score {
    pub runs: u64,
    pub success_rate: f64,
    pub mean_duration_seconds: f64,
    /// Seconds per successful run; `null` in JSON (infinite) when nothing succeeded.
    pub objective: f64,
    /// Standard error of the objective (delta method); infinite when nothing succeeded.
    pub standard_error: f64,
}

impl Score {
    /// A configuration whose runs would never end (hanging members, no timeout).
    pub fn never() -> Score {
        Score {
            runs: 0,
            success_rate: 0.0,
            mean_duration_seconds: f64::INFINITY,
            objective: f64::INFINITY,
            standard_error: f64::INFINITY,
        }
    }

    fn from_sums(n: u64, successes: u64, sum_d: f64, sum_d2: f64, sum_d_success: f64) -> Score {
        if n == 0 || successes == 0 {
            let mean = if n == 0 {
                f64::INFINITY
            } else {
                sum_d / n as f64
            };
            return Score {
                runs: n,
                success_rate: 0.0,
                mean_duration_seconds: mean,
                ..Score::never()
            };
        }
        let nf = n as f64;
        let d = sum_d / nf;
        let p = successes as f64 / nf;
        let var_d = (sum_d2 / nf - d * d).max(0.0) / nf;
        let var_p = p * (1.0 - p) / nf;
        let cov = (sum_d_success / nf - d * p) / nf;
        let var_obj = var_d / (p * p) + d * d * var_p / p.powi(4) - 2.0 * d * cov / p.powi(3);
        Score {
            runs: n,
            success_rate: p,
            mean_duration_seconds: d,
            objective: d / p,
            standard_error: var_obj.max(0.0).sqrt(),
        }
    }
}

/// Scores configurations in virtual time, through the library's trial runner.
pub struct Evaluator;

impl Evaluator {
    pub fn new() -> Result<Evaluator, BenchError> {
        Ok(Evaluator)
    }

    /// Scores team `team_id` of `workflow` over runs `0..runs` of seed stream `seed`.
    pub fn score(
        &self,
        workflow: Workflow,
        team_id: &str,
        seed: u64,
        runs: u64,
    ) -> Result<Score, BenchError> {
        let config = match workflow.team(team_id) {
            None => {
                return Err(BenchError::Work(format!(
                    "workflow `{}` lost team `{team_id}`",
                    workflow.name
                )));
            }
            Some(team) if team_can_hang(team) => return Ok(Score::never()),
            Some(team) => teamtune::TeamConfig::of(team),
        };
        let mut runner = WorkflowRunner::new(
            workflow,
            String::new(),
            HitlPolicy::Approve,
            Default::default(),
        )?;
        let seeds: Vec<u64> = (0..runs).map(|i| run_seed(seed, i)).collect();
        let (mut successes, mut sum_d, mut sum_d2, mut sum_ds) = (0u64, 0.0, 0.0, 0.0);
        for run in runner.run(team_id, &config, &seeds, None)? {
            let (d, ok) = run
                .team_runs
                .iter()
                .find(|t| t.team_id == team_id)
                .map_or((run.duration_seconds, false), |t| {
                    (t.duration_seconds, t.success)
                });
            sum_d += d;
            sum_d2 += d * d;
            if ok {
                successes += 1;
                sum_ds += d;
            }
        }
        Ok(Score::from_sums(runs, successes, sum_d, sum_d2, sum_ds))
    }
}

/// Scores `count` workflows (built on demand by `make`) on `threads` threads, each with its
/// own virtual-time runtime. Item `i` goes to thread `i % threads`: interleaving shares the
/// costly regions of a grid (big sequential teams, long timeouts) evenly.
pub fn score_in_parallel(
    count: usize,
    make: impl Fn(usize) -> Result<Workflow, BenchError> + Sync,
    team_id: &str,
    seed: u64,
    runs: u64,
    threads: usize,
) -> Result<Vec<Score>, BenchError> {
    let threads = threads.clamp(1, count.max(1));
    let make = &make;
    let results: Vec<Result<Vec<(usize, Score)>, BenchError>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                s.spawn(move || -> Result<Vec<(usize, Score)>, BenchError> {
                    let evaluator = Evaluator::new()?;
                    let mut out = Vec::with_capacity(count / threads + 1);
                    for i in (t..count).step_by(threads) {
                        out.push((i, evaluator.score(make(i)?, team_id, seed, runs)?));
                    }
                    Ok(out)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(BenchError::Work("a scoring thread panicked".into())))
            })
            .collect()
    });
    let mut scores = vec![Score::never(); count];
    for r in results {
        for (i, s) in r? {
            scores[i] = s;
        }
    }
    Ok(scores)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objective_is_seconds_per_success() {
        // durations 10, 20, 30, 40; the first two succeed
        let s = Score::from_sums(4, 2, 100.0, 3000.0, 30.0);
        assert_eq!(s.mean_duration_seconds, 25.0);
        assert_eq!(s.success_rate, 0.5);
        assert_eq!(s.objective, 50.0);
        assert!(s.standard_error.is_finite() && s.standard_error > 0.0);
        assert!(
            Score::from_sums(3, 0, 30.0, 300.0, 0.0)
                .objective
                .is_infinite()
        );
    }
}
