//! Bottleneck detectors: each looks at a team's runs and returns [`Insight`]s.
//!
//! The first five keep Victor's names, rules, quirks and default baselines (so their output
//! matches the Python reference): [`SlowExecution`], [`HighLatencyOutliers`],
//! [`LowSuccessRate`], [`ExcessiveToolUsage`], [`OversizedTeam`]. The others reason from the
//! team's own evidence: [`SuboptimalFormation`] (per-member timings, other formations seen,
//! consensus rounds), [`BudgetExhaustionFailures`], [`TimeoutFailures`], [`SlowMember`] and
//! [`FailingMember`]. [`analyze`] runs them all and sorts by severity.

mod budget_exhaustion_failures;
mod excessive_tool_usage;
mod failing_member;
mod high_latency_outliers;
mod low_success_rate;
mod oversized_team;
mod slow_execution;
mod slow_member;
mod suboptimal_formation;
mod timeout_failures;

pub use budget_exhaustion_failures::BudgetExhaustionFailures;
pub use excessive_tool_usage::ExcessiveToolUsage;
pub use failing_member::FailingMember;
pub use high_latency_outliers::HighLatencyOutliers;
pub use low_success_rate::LowSuccessRate;
pub use oversized_team::OversizedTeam;
pub use slow_execution::SlowExecution;
pub use slow_member::SlowMember;
pub use suboptimal_formation::{MIN_CONCURRENCY_SAVING, SuboptimalFormation};
pub use timeout_failures::TimeoutFailures;

use crate::baselines::Baselines;
use crate::insight::{Insight, sort_by_severity};
use crate::run_sample::{FailureKind, RunSample};
use crate::summary::{Summary, ratio};

/// Fewest runs a redesigned detector wants before it speaks.
pub const MIN_EVIDENCE_RUNS: usize = 3;

/// What a detector sees: the team's runs (oldest first), their summary and the baselines.
#[derive(Debug, Clone, Copy)]
pub struct DetectionInput<'a> {
    pub records: &'a [RunSample],
    pub summary: &'a Summary,
    pub baselines: &'a Baselines,
}

/// One kind of bottleneck.
pub trait Detector {
    /// The bottleneck name (or prefix) it reports.
    fn name(&self) -> &str;
    fn detect(&self, input: &DetectionInput<'_>) -> Vec<Insight>;
}

/// Every detector, in the reference's order (Victor's five first): the four that compare
/// with the baselines, then [`evidence_detectors`].
pub fn default_detectors() -> Vec<Box<dyn Detector>> {
    let mut all: Vec<Box<dyn Detector>> = vec![
        Box::new(SlowExecution),
        Box::new(HighLatencyOutliers),
        Box::new(LowSuccessRate),
        Box::new(ExcessiveToolUsage),
    ];
    all.extend(evidence_detectors());
    all
}

/// The detectors that read only the team's own runs, not the baselines: what `analyze` runs
/// when there is no baseline to compare with.
pub fn evidence_detectors() -> Vec<Box<dyn Detector>> {
    vec![
        Box::new(SuboptimalFormation),
        Box::new(OversizedTeam),
        Box::new(BudgetExhaustionFailures),
        Box::new(TimeoutFailures),
        Box::new(SlowMember),
        Box::new(FailingMember),
    ]
}

/// Runs every default detector over one team's runs; insights sorted by severity, highest
/// first (stable). No runs, no insights.
pub fn analyze(records: &[RunSample], baselines: &Baselines) -> Vec<Insight> {
    analyze_with(records, baselines, &default_detectors())
}

/// [`analyze`] with a chosen set of detectors.
pub fn analyze_with(
    records: &[RunSample],
    baselines: &Baselines,
    detectors: &[Box<dyn Detector>],
) -> Vec<Insight> {
    if records.is_empty() {
        return Vec::new();
    }
    let summary = Summary::of(records);
    let input = DetectionInput {
        records,
        summary: &summary,
        baselines,
    };
    let mut insights: Vec<Insight> = detectors.iter().flat_map(|d| d.detect(&input)).collect();
    sort_by_severity(&mut insights);
    insights
}

/// Shared rule of the failure-cause detectors: fires when at least one run and at least 5% of
/// runs failed for `kind`; severity = min(1, share / 0.25) (a quarter of the runs failing
/// this way is as bad as it gets); current value = that share, baseline 0.
pub(crate) fn failure_share_insight(
    input: &DetectionInput<'_>,
    kind: FailureKind,
    bottleneck: &str,
    component: &str,
    advice: &str,
) -> Vec<Insight> {
    let failed: Vec<&RunSample> = input
        .records
        .iter()
        .filter(|r| !r.success && r.failed_by(kind))
        .collect();
    let share = ratio(failed.len(), input.records.len());
    if failed.is_empty() || share < 0.05 {
        return Vec::new();
    }
    let severity = (share / 0.25).min(1.0);
    let mut affected = vec![component.to_owned()];
    for r in &failed {
        for m in r.members.iter().filter(|m| !m.success) {
            let hit = m.error_message.as_ref().is_some_and(|e| e.kind() == kind);
            let name = format!("member:{}", m.member_id);
            if hit && !affected.contains(&name) {
                affected.push(name);
            }
        }
    }
    vec![Insight {
        bottleneck: bottleneck.to_owned(),
        severity,
        current_value: share,
        baseline_value: 0.0,
        impact_magnitude: severity,
        recommendation: format!(
            "{} of {} runs ({:.1}%) failed with {}. {advice}",
            failed.len(),
            input.records.len(),
            share * 100.0,
            bottleneck.replace('_', " ").trim_end_matches(" failures"),
        ),
        affected_components: affected,
    }]
}
