//! [`Suggestion`]: one proposed configuration change, in Victor's `OptimizationSuggestion`
//! shape plus a stable `id`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use teamtune_model::stable_hash;

use crate::ab::decision::AbMetric;

/// The kinds of change: Victor's six `OptimizationType`s and the twin's joint search.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SuggestionType {
    TeamSizing,
    FormationSelection,
    ToolBudget,
    TimeoutTuning,
    MemberSelection,
    Parallelization,
    /// The best configuration the team's twin found: a joint change of any keys.
    TwinSearch,
}

impl SuggestionType {
    pub fn as_str(self) -> &'static str {
        match self {
            SuggestionType::TeamSizing => "team_sizing",
            SuggestionType::FormationSelection => "formation_selection",
            SuggestionType::ToolBudget => "tool_budget",
            SuggestionType::TimeoutTuning => "timeout_tuning",
            SuggestionType::MemberSelection => "member_selection",
            SuggestionType::Parallelization => "parallelization",
            SuggestionType::TwinSearch => "twin_search",
        }
    }
}

/// critical > high > medium > low (the derived order puts critical first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    Critical,
    High,
    Medium,
    Low,
}

impl Priority {
    /// From the estimate: critical = at least 30% expected and low risk (<= 0.4), as Victor
    /// describes critical ("high impact, low risk"); high = at least 15%; medium = at least 5%;
    /// low otherwise.
    pub fn from_estimate(expected_improvement: f64, risk_level: f64) -> Priority {
        if expected_improvement >= 30.0 && risk_level <= 0.4 {
            Priority::Critical
        } else if expected_improvement >= 15.0 {
            Priority::High
        } else if expected_improvement >= 5.0 {
            Priority::Medium
        } else {
            Priority::Low
        }
    }
}

/// A proposed change. `current_config` and `suggested_config` are partial team configs in the
/// workflow file's keys (`team_formation`, `timeout_seconds`, `total_tool_budget`, `members`
/// with per-member `tool_budget`); `metadata` says how the estimate was made (`estimate`:
/// `member_timings`, `observed_history`, `constant`, ...; `metric`: what the percentage is
/// about when it is not the duration).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suggestion {
    /// Stable: `<type>-<hash of type and suggested_config>`.
    pub id: String,
    #[serde(rename = "type")]
    pub kind: SuggestionType,
    pub priority: Priority,
    pub description: String,
    pub current_config: Map<String, Value>,
    pub suggested_config: Map<String, Value>,
    /// Percent (0..100).
    pub expected_improvement: f64,
    pub confidence: f64,
    pub risk_level: f64,
    pub metadata: Map<String, Value>,
    /// What an A/B test of this change judges: the duration, or the success rate for a
    /// change that trades time for reliability.
    #[serde(default)]
    pub ab_metric: AbMetric,
}

impl Suggestion {
    /// Builds a suggestion; the id and priority follow from the other fields. (The arguments
    /// are Victor's dataclass fields, in its order.)
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        kind: SuggestionType,
        description: String,
        current_config: Map<String, Value>,
        suggested_config: Map<String, Value>,
        expected_improvement: f64,
        confidence: f64,
        risk_level: f64,
        metadata: Map<String, Value>,
    ) -> Suggestion {
        let expected_improvement = if expected_improvement.is_finite() {
            expected_improvement.clamp(0.0, 100.0)
        } else {
            0.0
        };
        Suggestion {
            id: suggestion_id(kind, &suggested_config),
            kind,
            priority: Priority::from_estimate(expected_improvement, risk_level),
            description,
            current_config,
            suggested_config,
            expected_improvement,
            confidence,
            risk_level,
            metadata,
            ab_metric: AbMetric::Duration,
        }
    }

    /// A change that trades time for reliability: its A/B test judges the success rate.
    pub fn judged_on_success_rate(mut self) -> Suggestion {
        self.ab_metric = AbMetric::SuccessRate;
        self
    }

    /// Sets a priority other than the one derived from the estimate (e.g. high for a change
    /// that fixes failures).
    pub fn with_priority(mut self, priority: Priority) -> Suggestion {
        self.priority = priority;
        self
    }
}

/// `<type>-<8 hex digits>`, from the type and the canonical JSON of the suggested config.
pub fn suggestion_id(kind: SuggestionType, suggested_config: &Map<String, Value>) -> String {
    let text = format!(
        "{}|{}",
        kind.as_str(),
        Value::Object(suggested_config.clone())
    );
    format!("{}-{}", kind.as_str(), &stable_hash(text.as_bytes())[..8])
}
