//! Sequential: members in order, each sees the previous output; a failure does not stop
//! the team, but the team fails.

use serde_json::Value as Json;

use super::{first_error, outputs_by_member};
use crate::member::TurnKind;
use crate::team::{FormationOutcome, TeamRun};

pub(super) async fn run(team: &TeamRun<'_>) -> FormationOutcome {
    let mut outcomes = Vec::with_capacity(team.team.members.len());
    let mut previous = Json::Null;
    for i in 0..team.team.members.len() {
        let o = team.turn(i, TurnKind::Work, previous.clone()).await;
        if o.success {
            previous = o.output.clone();
        }
        outcomes.push(o);
    }
    FormationOutcome {
        success: outcomes.iter().all(|o| o.success),
        output: outputs_by_member(team.member_ids(), &outcomes),
        error: first_error(team.member_ids(), &outcomes),
        consensus: None,
    }
}
