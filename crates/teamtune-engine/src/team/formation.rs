//! The five formations. Each returns whether the team succeeded,
//! its output and, for consensus, whether agreement was reached and in how many rounds.

mod consensus;
mod hierarchical;
mod parallel;
mod pipeline;
mod sequential;

use teamtune_model::{Formation, StopCause};

use super::{Failure, FormationOutcome, TeamRun};

pub(super) async fn run(team: &TeamRun<'_>) -> FormationOutcome {
    match team.team.formation {
        Formation::Sequential => sequential::run(team).await,
        Formation::Parallel => parallel::run(team).await,
        Formation::Pipeline => pipeline::run(team).await,
        Formation::Hierarchical => hierarchical::run(team).await,
        Formation::Consensus => consensus::run(team).await,
    }
}

/// The first failure among outcomes: its cause, and its reason naming the member (a timeout
/// or an exhausted budget is named by its cause first, as Victor's records do, with the
/// member's own words after it when they say more, like which request timed out).
fn first_error<'a>(
    ids: impl Iterator<Item = &'a str>,
    outcomes: &[crate::member::TurnOutcome],
) -> Option<Failure> {
    ids.zip(outcomes).find(|(_, o)| !o.success).map(|(id, o)| {
        let cause = o.cause();
        let message = match cause {
            StopCause::Timeout | StopCause::BudgetExhausted => match o.error.as_deref() {
                Some(e) if e != cause.message() => {
                    format!("{} (member {id}: {e})", cause.message())
                }
                _ => cause.message().to_string(),
            },
            _ => format!("member {id}: {}", o.error.as_deref().unwrap_or("failed")),
        };
        Failure { cause, message }
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
