//! What the twin is fitted from: runs of the team grouped by the configuration they ran
//! with. The configuration matters: the budget a member had tells a finished turn's calls
//! apart from calls it spent because it could.

use teamtune_model::{TeamConfig, TeamRunRecord};

/// Runs of one team configuration.
#[derive(Debug, Clone)]
pub struct Observation {
    pub config: TeamConfig,
    pub runs: Vec<TeamRunRecord>,
}

impl Observation {
    pub fn new(config: TeamConfig, runs: Vec<TeamRunRecord>) -> Self {
        Observation { config, runs }
    }

    /// Runs that carry per-turn telemetry (Victor's records do not).
    pub fn runs_with_turns(&self) -> usize {
        self.runs
            .iter()
            .filter(|r| r.member_metrics.values().any(|m| !m.turns.is_empty()))
            .count()
    }
}
