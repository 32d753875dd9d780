//! Which side of a live experiment a run is on. The side follows from the experiment's id
//! and the run's seed alone (a hash mapped to [0, 1), candidate below the share), so every
//! `teamtune run` process splits without talking to the others, the realised share
//! converges on the configured one however many processes run, and a batch given its seed
//! back repeats its sides along with its runs.
//!
//! A [`LiveSplit`] holds one engine per combination of sides (one experiment: control and
//! candidate), built once per batch: a run picks its engine from its seed, runs, and its team
//! records are labelled with the variant and the experiment id.

use teamtune_engine::Engine;
use teamtune_model::{TeamConfig, Variant, Workflow, WorkflowRunRecord, stable_hash};

use crate::error::Error;

/// Where the run seeded `run_seed` falls in [0, 1) for experiment `experiment_id`: uniform
/// over seeds, and independent between experiments.
pub fn split_point(experiment_id: i64, run_seed: u64) -> f64 {
    let hex = stable_hash(format!("{experiment_id}\u{1f}{run_seed:x}").as_bytes());
    let h = u64::from_str_radix(&hex, 16).unwrap_or(0);
    // FNV-1a's low bits are weak; the splitmix64 finaliser spreads every input bit.
    let mut z = h.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

/// The side of the run seeded `run_seed` in an experiment giving `share` of the runs to the
/// candidate.
pub fn side(experiment_id: i64, run_seed: u64, share: f64) -> Variant {
    if split_point(experiment_id, run_seed) < share {
        Variant::Candidate
    } else {
        Variant::Baseline
    }
}

/// A running experiment a batch joins.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Arm {
    pub team_id: String,
    pub experiment_id: i64,
    pub share: f64,
    pub candidate: TeamConfig,
}

/// The engines of a batch that joins experiments, one per combination of sides.
pub(crate) struct LiveSplit {
    arms: Vec<Arm>,
    /// Indexed by a bit mask: bit i set = arm i on its candidate.
    engines: Vec<Engine>,
}

/// More experiments than this in one workflow would need too many engines.
const MAX_ARMS: usize = 4;

impl LiveSplit {
    /// `workflow` as the file has it (every team in its control configuration).
    pub fn new(workflow: &Workflow, label: &str, arms: Vec<Arm>) -> Result<LiveSplit, Error> {
        let arms: Vec<Arm> = arms.into_iter().take(MAX_ARMS).collect();
        let mut engines = Vec::with_capacity(1 << arms.len());
        for mask in 0..(1usize << arms.len()) {
            let mut wf = workflow.clone();
            for (i, arm) in arms.iter().enumerate() {
                if mask & (1 << i) != 0 {
                    wf = wf
                        .with_team_config(&arm.team_id, &arm.candidate)
                        .map_err(|message| Error::Config {
                            team_id: arm.team_id.clone(),
                            message,
                        })?;
                }
            }
            engines.push(Engine::from_workflow(wf, label.to_owned())?);
        }
        Ok(LiveSplit { arms, engines })
    }

    /// The sides of the run seeded `run_seed`, as a mask.
    pub fn assign(&self, run_seed: u64) -> usize {
        self.arms
            .iter()
            .enumerate()
            .filter(|(_, a)| side(a.experiment_id, run_seed, a.share) == Variant::Candidate)
            .fold(0, |mask, (i, _)| mask | (1 << i))
    }

    pub fn engine(&self, mask: usize) -> &Engine {
        &self.engines[mask]
    }

    /// Marks the team records of each experiment's team with its side and id.
    pub fn label(&self, mask: usize, record: &mut WorkflowRunRecord) {
        for (i, arm) in self.arms.iter().enumerate() {
            let variant = if mask & (1 << i) != 0 {
                Variant::Candidate
            } else {
                Variant::Baseline
            };
            for t in record
                .team_runs
                .iter_mut()
                .filter(|t| t.team_id == arm.team_id)
            {
                t.variant = Some(variant);
                t.experiment_id = Some(arm.experiment_id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use teamtune_engine::run_seed;

    #[test]
    fn the_split_is_deterministic_and_near_the_share() {
        let ids: Vec<u64> = (0..20_000).map(|i| run_seed(42, i)).collect();
        let candidates = ids
            .iter()
            .filter(|&&id| side(7, id, 0.2) == Variant::Candidate)
            .count();
        let share = candidates as f64 / ids.len() as f64;
        // Binomial sd at n = 20000, p = 0.2: 0.0028.
        assert!((share - 0.2).abs() < 0.012, "{share}");
        assert!(ids.iter().all(|&id| side(7, id, 0.2) == side(7, id, 0.2)));
        // Another experiment splits the same runs independently.
        let both = ids
            .iter()
            .filter(|&&id| {
                side(7, id, 0.5) == Variant::Candidate && side(8, id, 0.5) == Variant::Candidate
            })
            .count() as f64
            / ids.len() as f64;
        assert!((both - 0.25).abs() < 0.02, "{both}");
    }

    #[test]
    fn raising_the_share_keeps_earlier_candidates_on_the_candidate() {
        for i in 0..1000 {
            let id = run_seed(9, i);
            if side(3, id, 0.1) == Variant::Candidate {
                assert_eq!(side(3, id, 0.25), Variant::Candidate);
            }
        }
    }
}
