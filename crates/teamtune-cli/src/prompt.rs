//! Asking a human at a HITL gate, on the terminal (stderr), with dialoguer. Works in any
//! terminal, tmux included. Only used when stdin and stderr are terminals.

use dialoguer::console::Term;
use dialoguer::{Confirm, Input, Select};
use teamtune::HitlType;
use teamtune::{HitlAnswer, HitlRequest, HitlResponder};

pub struct TerminalResponder;

impl HitlResponder for TerminalResponder {
    fn ask(&self, req: &HitlRequest) -> Option<HitlAnswer> {
        let term = Term::stderr();
        let _ = term.write_line(&format!(
            "\n== HITL gate `{}` ({:?}, {}s) ==",
            req.node_id, req.hitl_type, req.timeout_seconds
        ));
        for (k, v) in &req.context {
            let _ = term.write_line(&format!("{k}: {v}"));
        }
        let prompt = if req.prompt.trim().is_empty() {
            "Continue?".to_string()
        } else {
            req.prompt.trim().to_string()
        };
        match req.hitl_type {
            HitlType::Approval | HitlType::Confirmation => {
                let yes = Confirm::new()
                    .with_prompt(prompt)
                    .interact_on_opt(&term)
                    .ok()??;
                Some(if yes {
                    HitlAnswer::Approve { comment: None }
                } else {
                    HitlAnswer::Reject { comment: None }
                })
            }
            HitlType::Review => {
                let yes = Confirm::new()
                    .with_prompt(format!("{prompt}\nApprove?"))
                    .interact_on_opt(&term)
                    .ok()??;
                let comment: String = Input::new()
                    .with_prompt("Comments")
                    .allow_empty(true)
                    .interact_text_on(&term)
                    .ok()?;
                let comment = (!comment.is_empty()).then_some(comment);
                Some(if yes {
                    HitlAnswer::Approve { comment }
                } else {
                    HitlAnswer::Reject { comment }
                })
            }
            HitlType::Choice => {
                let default = req
                    .default_value
                    .as_ref()
                    .and_then(|d| req.choices.iter().position(|c| c == d))
                    .unwrap_or(0);
                let i = Select::new()
                    .with_prompt(prompt)
                    .items(&req.choices)
                    .default(default)
                    .interact_on_opt(&term)
                    .ok()??;
                req.choices.get(i).cloned().map(HitlAnswer::Value)
            }
            HitlType::Input => {
                let mut input = Input::<String>::new().with_prompt(prompt).allow_empty(true);
                if let Some(d) = &req.default_value {
                    input = input.default(d.clone());
                }
                input.interact_text_on(&term).ok().map(HitlAnswer::Value)
            }
        }
    }
}
