//! Pipeline: stages in order, each gets the previous stage's output; the first failure stops
//! the pipeline. The output is the last stage's.

use serde_json::Value as Json;

use super::first_error;
use crate::member::TurnKind;
use crate::team::{FormationOutcome, TeamRun};

pub(super) async fn run(team: &TeamRun<'_>) -> FormationOutcome {
    let mut outcomes = Vec::with_capacity(team.team.members.len());
    let mut previous = Json::Null;
    for i in 0..team.team.members.len() {
        let o = team.turn(i, TurnKind::Work, previous.clone()).await;
        let ok = o.success;
        previous = o.output.clone();
        outcomes.push(o);
        if !ok {
            break;
        }
    }
    let success = outcomes.len() == team.team.members.len() && outcomes.iter().all(|o| o.success);
    FormationOutcome {
        success,
        output: if success { previous } else { Json::Null },
        error: first_error(team.member_ids(), &outcomes),
        consensus: None,
    }
}
