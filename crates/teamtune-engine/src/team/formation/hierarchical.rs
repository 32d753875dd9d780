//! Hierarchical: the manager (`is_manager`, else the first member) plans, the workers run in
//! parallel on the plan, the manager synthesises their outputs. Any failure fails the team.

use futures_util::future::join_all;
use serde_json::Value as Json;

use super::first_error;
use crate::member::TurnKind;
use crate::team::{FormationOutcome, TeamRun};

pub(super) async fn run(team: &TeamRun<'_>) -> FormationOutcome {
    let members = &team.team.members;
    let manager = members.iter().position(|m| m.is_manager).unwrap_or(0);
    let manager_id = members[manager].id.as_str();
    let plan = team.turn(manager, TurnKind::Plan, Json::Null).await;
    if !plan.success {
        return FormationOutcome {
            success: false,
            output: Json::Null,
            error: first_error(std::iter::once(manager_id), std::slice::from_ref(&plan)),
            consensus: None,
        };
    }
    let workers: Vec<usize> = (0..members.len()).filter(|&i| i != manager).collect();
    let outcomes = join_all(
        workers
            .iter()
            .map(|&i| team.turn(i, TurnKind::Work, plan.output.clone())),
    )
    .await;
    let worker_ids = workers.iter().map(|&i| members[i].id.as_str());
    if let Some(error) = first_error(worker_ids.clone(), &outcomes) {
        return FormationOutcome {
            success: false,
            output: Json::Null,
            error: Some(error),
            consensus: None,
        };
    }
    let gathered = Json::Object(
        worker_ids
            .zip(&outcomes)
            .map(|(id, o)| (id.to_string(), o.output.clone()))
            .collect(),
    );
    let synthesis = team.turn(manager, TurnKind::Synthesis, gathered).await;
    FormationOutcome {
        success: synthesis.success,
        error: first_error(
            std::iter::once(manager_id),
            std::slice::from_ref(&synthesis),
        ),
        output: synthesis.output,
        consensus: None,
    }
}
