//! `budget_exhaustion_failures`: runs that failed because a member ran out of tool budget
//! ("tool budget exhausted" in the team error or a member's error message).

use super::{DetectionInput, Detector, failure_share_insight};
use crate::insight::Insight;
use crate::run_sample::FailureKind;

#[derive(Debug, Clone, Copy, Default)]
pub struct BudgetExhaustionFailures;

impl Detector for BudgetExhaustionFailures {
    fn name(&self) -> &str {
        "budget_exhaustion_failures"
    }

    fn detect(&self, input: &DetectionInput<'_>) -> Vec<Insight> {
        failure_share_insight(
            input,
            FailureKind::BudgetExhausted,
            self.name(),
            "tool_budget",
            "Raise the tool budget of the members that ran out.",
        )
    }
}
