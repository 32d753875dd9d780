//! [`Insight`]: one bottleneck a detector found, in Victor's `PerformanceInsight` shape.

use serde::{Deserialize, Serialize};

/// A bottleneck. Serializes to exactly Victor's keys.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Insight {
    /// The detector's name: `slow_execution`, `suboptimal_formation_sequential`, `slow_member`, ...
    pub bottleneck: String,
    /// How bad it is, 0..1 (Victor's `low_success_rate` is not clamped and can exceed 1 in
    /// theory only when the baseline is above 1, which validation forbids).
    pub severity: f64,
    pub current_value: f64,
    pub baseline_value: f64,
    /// Expected effect of fixing it, 0..1.
    pub impact_magnitude: f64,
    pub recommendation: String,
    /// What it concerns: `team`, `formation`, `tool_budget`, `team_size`, `member:<id>`, ...
    pub affected_components: Vec<String>,
}

impl Insight {
    /// The member ids named in `affected_components` as `member:<id>`.
    pub fn members(&self) -> impl Iterator<Item = &str> {
        self.affected_components
            .iter()
            .filter_map(|c| c.strip_prefix("member:"))
    }
}

/// Sorts by severity, highest first, keeping the detectors' order among equals (Python's
/// stable `sort(reverse=True)`).
pub fn sort_by_severity(insights: &mut [Insight]) {
    insights.sort_by(|a, b| b.severity.total_cmp(&a.severity));
}
