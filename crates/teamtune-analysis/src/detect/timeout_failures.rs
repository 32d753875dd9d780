//! `timeout_failures`: runs that failed by timeout ("timeout" in the team error or a member's
//! error message).

use super::{DetectionInput, Detector, failure_share_insight};
use crate::insight::Insight;
use crate::run_sample::FailureKind;

#[derive(Debug, Clone, Copy, Default)]
pub struct TimeoutFailures;

impl Detector for TimeoutFailures {
    fn name(&self) -> &str {
        "timeout_failures"
    }

    fn detect(&self, input: &DetectionInput<'_>) -> Vec<Insight> {
        failure_share_insight(
            input,
            FailureKind::Timeout,
            self.name(),
            "timeout",
            "Tune timeout_seconds from the durations of successful runs.",
        )
    }
}
