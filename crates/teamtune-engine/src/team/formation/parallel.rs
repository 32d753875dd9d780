//! Parallel: all members at once; a failure does not stop the others.

use futures_util::future::join_all;
use serde_json::Value as Json;

use super::{first_error, outputs_by_member};
use crate::member::TurnKind;
use crate::team::{FormationOutcome, TeamRun};

pub(super) async fn run(team: &TeamRun<'_>) -> FormationOutcome {
    let outcomes =
        join_all((0..team.team.members.len()).map(|i| team.turn(i, TurnKind::Work, Json::Null)))
            .await;
    FormationOutcome {
        success: outcomes.iter().all(|o| o.success),
        output: outputs_by_member(team.member_ids(), &outcomes),
        error: first_error(team.member_ids(), &outcomes),
        consensus: None,
    }
}
