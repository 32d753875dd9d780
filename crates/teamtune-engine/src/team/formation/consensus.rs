//! Consensus: rounds of all members in parallel. Members that failed retry in the next round;
//! when every member has an answer and their votes agree, the team is done. Agreement: members
//! whose output is an object with a `vote` (or `decision`) key must all give the same one;
//! outputs without a vote agree by succeeding. Disagreement sends everyone into another round
//! with the others' answers as the previous output. At most `max_iterations` rounds.

use futures_util::future::join_all;
use serde_json::Value as Json;

use teamtune_model::StopCause;

use crate::member::TurnKind;
use crate::team::{Failure, FormationOutcome, TeamRun};

pub(super) async fn run(team: &TeamRun<'_>) -> FormationOutcome {
    let members = &team.team.members;
    let mut answers: Vec<Option<Json>> = vec![None; members.len()];
    let mut last_error = None;
    let mut disputed: Option<Json> = None;
    let max_rounds = team.team.max_iterations.max(1);
    for round in 1..=max_rounds {
        let pending: Vec<usize> = (0..members.len())
            .filter(|&i| answers[i].is_none())
            .collect();
        let previous = disputed.take().unwrap_or_else(|| gathered(team, &answers));
        let outcomes = join_all(
            pending
                .iter()
                .map(|&i| team.turn(i, TurnKind::Work, previous.clone())),
        )
        .await;
        for (&i, o) in pending.iter().zip(outcomes) {
            if o.success {
                answers[i] = Some(o.output);
            } else {
                last_error = Some((
                    o.cause(),
                    format!("member {}: {}", members[i].id, o.error.unwrap_or_default()),
                ));
            }
        }
        if answers.iter().all(Option::is_some) {
            if agree(&answers) {
                return FormationOutcome {
                    success: true,
                    output: gathered(team, &answers),
                    error: None,
                    consensus: Some((true, round)),
                };
            }
            last_error = Some((StopCause::Error, "members disagree".to_string()));
            disputed = Some(gathered(team, &answers));
            answers.iter_mut().for_each(|a| *a = None);
        }
    }
    FormationOutcome {
        success: false,
        output: Json::Null,
        error: Some(Failure {
            cause: last_error.as_ref().map_or(StopCause::Error, |e| e.0),
            message: format!(
                "no consensus after {max_rounds} rounds ({})",
                last_error.map(|e| e.1).unwrap_or_default()
            ),
        }),
        consensus: Some((false, max_rounds)),
    }
}

fn gathered(team: &TeamRun<'_>, answers: &[Option<Json>]) -> Json {
    Json::Object(
        team.member_ids()
            .zip(answers)
            .filter_map(|(id, a)| a.as_ref().map(|a| (id.to_string(), a.clone())))
            .collect(),
    )
}

fn vote(v: &Json) -> Option<&Json> {
    v.get("vote").or_else(|| v.get("decision"))
}

fn agree(answers: &[Option<Json>]) -> bool {
    let mut votes = answers.iter().flatten().filter_map(vote);
    match votes.next() {
        None => true,
        Some(first) => votes.all(|v| v == first),
    }
}
