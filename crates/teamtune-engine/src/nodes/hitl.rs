//! HITL gates. The answer (from the policy or a human) lands in the state under the gate's
//! output key: approval and confirmation gates store "approved" or "rejected", review gates
//! `{approved, comments}`, choice gates the option, input gates the text. A rejection stops
//! the run unless the next node is a condition that can branch on it. No answer (timeout, no
//! terminal) applies the fallback: abort stops the run, continue stores the default value
//! (or "timeout"), skip stores nothing, retry asks once more and then aborts.

use std::sync::Arc;

use serde_json::{Value as Json, json};
use teamtune_model::{Fallback, HitlNode, HitlType, Seconds};

use crate::event::Event;
use crate::expr;
use crate::hitl::{HitlAnswer, HitlPolicy, HitlRequest, HitlResponder};
use crate::run::RunCtx;
use crate::state::State;

pub(crate) enum GateResult {
    /// Go on (a value may have been stored).
    Continue,
    /// Stop the run with this reason.
    Stop(String),
}

pub(crate) async fn run(
    id: &str,
    node: &HitlNode,
    next_is_condition: bool,
    state: &mut State,
    ctx: &RunCtx<'_>,
) -> GateResult {
    let prompt = expr::render(&node.prompt, state).unwrap_or_else(|_| node.prompt.clone());
    let request = HitlRequest {
        node_id: id.to_string(),
        hitl_type: node.hitl_type,
        prompt,
        choices: node.choices.clone(),
        default_value: node.default_value.clone(),
        context: node
            .context_keys
            .iter()
            .map(|k| (k.clone(), state.get(k).cloned().unwrap_or(Json::Null)))
            .collect(),
        timeout_seconds: node.timeout_seconds.as_secs_f64(),
    };
    if let Some(sink) = ctx.events {
        sink(&Event::HitlWaiting {
            node_id: id.to_string(),
        });
    }
    let mut answer = ask(&request, ctx.hitl, ctx.responder.cloned(), ctx.virtual_time).await;
    if answer.is_none() && node.fallback == Fallback::Retry && ctx.hitl == HitlPolicy::Prompt {
        answer = ask(&request, ctx.hitl, ctx.responder.cloned(), ctx.virtual_time).await;
    }
    let (result, outcome) = match answer {
        Some(a) => apply_answer(id, node, a, next_is_condition, state),
        None => match node.fallback {
            Fallback::Abort | Fallback::Retry => (
                GateResult::Stop(format!("no answer at HITL gate `{id}` (fallback: abort)")),
                "aborted",
            ),
            Fallback::Continue => {
                let v = node
                    .default_value
                    .clone()
                    .unwrap_or_else(|| "timeout".to_string());
                state.set(node.output_key.clone(), Json::String(v));
                (GateResult::Continue, "fallback: continue")
            }
            Fallback::Skip => (GateResult::Continue, "fallback: skip"),
        },
    };
    if let Some(sink) = ctx.events {
        sink(&Event::HitlResolved {
            node_id: id.to_string(),
            outcome: outcome.to_string(),
        });
    }
    result
}

fn apply_answer(
    id: &str,
    node: &HitlNode,
    answer: HitlAnswer,
    next_is_condition: bool,
    state: &mut State,
) -> (GateResult, &'static str) {
    let key = node.output_key.clone();
    let rejected = |state: &mut State, value: Json| {
        state.set(key.clone(), value);
        if next_is_condition {
            (GateResult::Continue, "rejected")
        } else {
            (
                GateResult::Stop(format!("rejected at HITL gate `{id}`")),
                "rejected",
            )
        }
    };
    match (node.hitl_type, answer) {
        (HitlType::Review, HitlAnswer::Approve { comment }) => {
            state.set(
                key,
                json!({"approved": true, "comments": comment.unwrap_or_default()}),
            );
            (GateResult::Continue, "approved")
        }
        (HitlType::Review, HitlAnswer::Reject { comment }) => rejected(
            state,
            json!({"approved": false, "comments": comment.unwrap_or_default()}),
        ),
        (HitlType::Approval | HitlType::Confirmation, HitlAnswer::Approve { .. }) => {
            state.set(key, Json::String("approved".into()));
            (GateResult::Continue, "approved")
        }
        (HitlType::Approval | HitlType::Confirmation, HitlAnswer::Reject { .. }) => {
            rejected(state, Json::String("rejected".into()))
        }
        (HitlType::Choice, HitlAnswer::Approve { .. }) => {
            let v = node
                .default_value
                .clone()
                .or_else(|| node.choices.first().cloned())
                .unwrap_or_default();
            state.set(key, Json::String(v));
            (GateResult::Continue, "approved")
        }
        (HitlType::Input, HitlAnswer::Approve { comment }) => {
            let v = comment
                .or_else(|| node.default_value.clone())
                .unwrap_or_default();
            state.set(key, Json::String(v));
            (GateResult::Continue, "approved")
        }
        (HitlType::Choice | HitlType::Input, HitlAnswer::Reject { .. }) => {
            rejected(state, Json::String("rejected".into()))
        }
        (_, HitlAnswer::Value(v)) => {
            state.set(key, Json::String(v));
            (GateResult::Continue, "answered")
        }
    }
}

async fn ask(
    request: &HitlRequest,
    policy: HitlPolicy,
    responder: Option<Arc<dyn HitlResponder>>,
    virtual_time: bool,
) -> Option<HitlAnswer> {
    match policy {
        HitlPolicy::Approve => Some(HitlAnswer::Approve { comment: None }),
        HitlPolicy::Reject => Some(HitlAnswer::Reject { comment: None }),
        HitlPolicy::Prompt => {
            let responder = responder?;
            let req = request.clone();
            // The request came from a checked `Seconds`; saturating keeps a hand-made one safe too.
            let limit = Seconds::saturating(request.timeout_seconds).as_duration();
            if virtual_time {
                // A paused clock would jump straight to the timeout while the human reads.
                // Wait on the real clock instead, holding the (simulated) run still.
                let (tx, rx) = std::sync::mpsc::channel();
                std::thread::spawn(move || {
                    let _ = tx.send(responder.ask(&req));
                });
                return rx.recv_timeout(limit).ok().flatten();
            }
            let task = tokio::task::spawn_blocking(move || responder.ask(&req));
            match tokio::time::timeout(limit, task).await {
                Ok(Ok(answer)) => answer,
                _ => None,
            }
        }
    }
}
