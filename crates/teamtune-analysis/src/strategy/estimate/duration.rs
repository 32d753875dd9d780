//! Duration estimators shared by the strategies: predicts a team's mean duration under
//! another formation or with fewer members, from the per-member timings of its past runs.
//!
//! Per run: the observed duration minus what the current formation's model explains is the
//! overhead (coordination, the engine); the prediction is the new model plus that overhead.
//! Models: sequential and pipeline = sum of member times; parallel and consensus = the
//! slowest member; hierarchical = manager (planning) + slowest worker + manager again
//! (synthesis, taken as long as planning: conservative).

use teamtune_model::Formation;

use crate::run_sample::RunSample;
use crate::summary::mean;

/// A predicted mean duration next to the observed one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DurationPrediction {
    pub runs: usize,
    pub observed: f64,
    pub predicted: f64,
}

impl DurationPrediction {
    /// Expected improvement in percent (negative when slower).
    pub fn improvement_percent(&self) -> f64 {
        if self.observed > 0.0 {
            (1.0 - self.predicted / self.observed) * 100.0
        } else {
            0.0
        }
    }
}

/// The duration the formation's model gives for these member times (see the module docs).
pub(crate) fn formation_duration(
    formation: Formation,
    times: &[(&str, f64)],
    manager: Option<&str>,
) -> f64 {
    let sum: f64 = times.iter().map(|t| t.1).sum();
    let max = times.iter().map(|t| t.1).fold(0.0, f64::max);
    match formation {
        Formation::Sequential | Formation::Pipeline => sum,
        Formation::Parallel | Formation::Consensus => max,
        Formation::Hierarchical => {
            let manager_time = manager
                .and_then(|m| times.iter().find(|t| t.0 == m))
                .map_or(0.0, |t| t.1);
            let workers = times
                .iter()
                .filter(|t| Some(t.0) != manager)
                .map(|t| t.1)
                .fold(0.0, f64::max);
            2.0 * manager_time + workers
        }
    }
}

/// Mean duration of `current`-formation runs if they ran as `target` with only the members
/// `keep` accepts. Uses runs with a duration and at least two timed members; `None` without
/// such runs.
pub fn predict_duration(
    records: &[RunSample],
    current: Formation,
    target: Formation,
    manager: Option<&str>,
    keep: &dyn Fn(&str) -> bool,
) -> Option<DurationPrediction> {
    let mut observed = Vec::new();
    let mut predicted = Vec::new();
    for r in records
        .iter()
        .filter(|r| &*r.formation == current.as_str() && r.duration_seconds > 0.0)
    {
        let times: Vec<(&str, f64)> = r
            .timed_members()
            .map(|m| (&*m.member_id, m.duration_seconds))
            .collect();
        if times.len() < 2 {
            continue;
        }
        let overhead = (r.duration_seconds - formation_duration(current, &times, manager)).max(0.0);
        let kept: Vec<(&str, f64)> = times.iter().copied().filter(|t| keep(t.0)).collect();
        observed.push(r.duration_seconds);
        predicted.push(formation_duration(target, &kept, manager) + overhead);
    }
    Some(DurationPrediction {
        runs: observed.len(),
        observed: mean(&observed)?,
        predicted: mean(&predicted)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::tests::sequential_run;

    #[test]
    fn sequential_to_parallel_keeps_overhead() {
        let runs = vec![sequential_run(&[30.0, 30.0, 30.0, 30.0], 4.0); 3];
        let p = predict_duration(
            &runs,
            Formation::Sequential,
            Formation::Parallel,
            None,
            &|_| true,
        )
        .unwrap();
        assert_eq!(p.observed, 124.0);
        assert_eq!(p.predicted, 34.0);
        let h = predict_duration(
            &runs,
            Formation::Sequential,
            Formation::Hierarchical,
            Some("m1"),
            &|_| true,
        )
        .unwrap();
        assert_eq!(h.predicted, 94.0);
        let dropped = predict_duration(
            &runs,
            Formation::Sequential,
            Formation::Sequential,
            None,
            &|m| m != "m4",
        )
        .unwrap();
        assert_eq!(dropped.predicted, 94.0);
    }
}
