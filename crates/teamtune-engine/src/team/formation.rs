//! The five formations (ARCHITECTURE section 3). Each returns whether the team succeeded,
//! its output and, for consensus, whether agreement was reached and in how many rounds.

mod consensus;
mod hierarchical;
mod parallel;
mod pipeline;
mod sequential;

use teamtune_model::Formation;

use super::{FormationOutcome, TeamRun};

pub(super) async fn run(team: &TeamRun<'_>) -> FormationOutcome {
    match team.team.formation {
        Formation::Sequential => sequential::run(team).await,
        Formation::Parallel => parallel::run(team).await,
        Formation::Pipeline => pipeline::run(team).await,
        Formation::Hierarchical => hierarchical::run(team).await,
        Formation::Consensus => consensus::run(team).await,
    }
}

/// The first failure reason among outcomes, naming the member.
fn first_error<'a>(
    ids: impl Iterator<Item = &'a str>,
    outcomes: &[crate::member::TurnOutcome],
) -> Option<String> {
    ids.zip(outcomes).find(|(_, o)| !o.success).map(|(id, o)| {
        let reason = o.error.as_deref().unwrap_or("failed");
        if reason == crate::member::TIMEOUT || reason == crate::member::BUDGET_EXHAUSTED {
            reason.to_string()
        } else {
            format!("member {id}: {reason}")
        }
    })
}

fn outputs_by_member<'a>(
    ids: impl Iterator<Item = &'a str>,
    outcomes: &[crate::member::TurnOutcome],
) -> serde_json::Value {
    serde_json::Value::Object(
        ids.zip(outcomes)
            .map(|(id, o)| (id.to_string(), o.output.clone()))
            .collect(),
    )
}
