//! Optimization strategies: each turns insights plus the team's own history into
//! [`Suggestion`]s against the team's current [`TeamConfig`].
//!
//! All six Victor types are implemented ([`TeamSizing`], [`FormationSelection`],
//! [`ToolBudget`], [`TimeoutTuning`], [`MemberSelection`], [`Parallelization`]). Estimates
//! come from the team's data (member timings, durations, tool calls) wherever it has them;
//! where only a constant is possible, `metadata.estimate` says `"constant"`. [`suggest`] runs
//! the detectors and the strategies, drops suggestions below 0.6 confidence and ranks the rest
//! (priority, then expected improvement x confidence). [`apply_suggestion`] merges a
//! suggestion into a config.
//!
//! A custom strategy is any type implementing [`Strategy`]:
//!
//! ```
//! use serde_json::{Map, json};
//! use teamtune_analysis::strategy::{Strategy, StrategyContext, default_strategies, suggest};
//! use teamtune_analysis::suggestion::{Suggestion, SuggestionType};
//! use teamtune_analysis::{Baselines, RunSample};
//! use teamtune_model::{Formation, MemberConfig, TeamConfig};
//!
//! /// Caps iterations of consensus teams at 2.
//! struct CapRounds;
//! impl Strategy for CapRounds {
//!     fn name(&self) -> &str { "cap_rounds" }
//!     fn suggest(&self, ctx: &StrategyContext<'_>) -> Vec<Suggestion> {
//!         if ctx.config.team_formation != Formation::Consensus || ctx.config.max_iterations <= 2 {
//!             return Vec::new();
//!         }
//!         let mut current = Map::new();
//!         current.insert("max_iterations".into(), json!(ctx.config.max_iterations));
//!         let mut suggested = Map::new();
//!         suggested.insert("max_iterations".into(), json!(2));
//!         vec![Suggestion::new(SuggestionType::FormationSelection, "Cap consensus rounds at 2".into(),
//!             current, suggested, 10.0, 0.7, 0.3, Map::new())]
//!     }
//! }
//!
//! let config = TeamConfig {
//!     team_formation: Formation::Consensus, timeout_seconds: None, total_tool_budget: None,
//!     max_iterations: 3,
//!     members: vec![MemberConfig { id: "a".into(), role: "r".into(), tool_budget: None,
//!                                  timeout_seconds: None, is_manager: false }],
//! };
//! let mut strategies = default_strategies();
//! strategies.push(Box::new(CapRounds));
//! let runs = vec![RunSample::new("team")];
//! let found = suggest(&runs, &config, &Baselines::default(), &strategies);
//! assert_eq!(found[0].suggested_config["max_iterations"], 2);
//! ```

mod estimate;
mod formation_selection;
mod member_selection;
mod parallelization;
mod team_sizing;
mod timeout_tuning;
mod tool_budget;

pub use estimate::{DurationPrediction, predict_duration};
pub use formation_selection::FormationSelection;
pub use member_selection::MemberSelection;
pub use parallelization::Parallelization;
pub use team_sizing::TeamSizing;
pub use timeout_tuning::TimeoutTuning;
pub use tool_budget::ToolBudget;

use serde_json::{Map, Value};
use teamtune_model::{MemberConfig, TeamConfig};

use crate::baselines::Baselines;
use crate::detect::analyze;
use crate::error::ApplyError;
use crate::insight::Insight;
use crate::run_sample::RunSample;
use crate::suggestion::Suggestion;
use crate::summary::Summary;

/// Suggestions below this confidence are dropped (Victor's rule).
pub const MIN_CONFIDENCE: f64 = 0.6;

/// What a strategy sees.
#[derive(Debug, Clone, Copy)]
pub struct StrategyContext<'a> {
    /// The team's insights, most severe first.
    pub insights: &'a [Insight],
    /// The team's runs, oldest first.
    pub records: &'a [RunSample],
    pub summary: &'a Summary,
    /// The team's current config, from the workflow file.
    pub config: &'a TeamConfig,
    pub baselines: &'a Baselines,
}

impl StrategyContext<'_> {
    /// The insights whose bottleneck is `name` (or starts with it, for `suboptimal_formation_`).
    pub fn insights_named<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s Insight> + 's {
        self.insights.iter().filter(move |i| {
            i.bottleneck == name || (name.ends_with('_') && i.bottleneck.starts_with(name))
        })
    }

    pub fn has_insight(&self, name: &str) -> bool {
        self.insights_named(name).next().is_some()
    }
}

/// One way of improving a team.
pub trait Strategy {
    fn name(&self) -> &str;
    fn suggest(&self, ctx: &StrategyContext<'_>) -> Vec<Suggestion>;
}

/// The six built-in strategies.
pub fn default_strategies() -> Vec<Box<dyn Strategy>> {
    vec![
        Box::new(Parallelization),
        Box::new(FormationSelection),
        Box::new(TeamSizing),
        Box::new(MemberSelection),
        Box::new(ToolBudget),
        Box::new(TimeoutTuning),
    ]
}

/// Analyzes the team's runs and asks every strategy; returns the ranked suggestions.
pub fn suggest(
    records: &[RunSample],
    config: &TeamConfig,
    baselines: &Baselines,
    strategies: &[Box<dyn Strategy>],
) -> Vec<Suggestion> {
    let insights = analyze(records, baselines);
    let summary = Summary::of(records);
    let ctx = StrategyContext {
        insights: &insights,
        records,
        summary: &summary,
        config,
        baselines,
    };
    suggest_with(&ctx, strategies)
}

/// [`suggest`] with insights already computed.
pub fn suggest_with(
    ctx: &StrategyContext<'_>,
    strategies: &[Box<dyn Strategy>],
) -> Vec<Suggestion> {
    rank(strategies.iter().flat_map(|s| s.suggest(ctx)).collect())
}

/// Drops confidence below [`MIN_CONFIDENCE`], orders by priority (critical first) then
/// expected improvement x confidence (highest first), and keeps only the first of several
/// suggestions that propose the same config.
pub fn rank(mut suggestions: Vec<Suggestion>) -> Vec<Suggestion> {
    suggestions.retain(|s| s.confidence >= MIN_CONFIDENCE);
    suggestions.sort_by(|a, b| {
        a.priority.cmp(&b.priority).then_with(|| {
            (b.expected_improvement * b.confidence)
                .total_cmp(&(a.expected_improvement * a.confidence))
        })
    });
    let mut seen: Vec<Map<String, Value>> = Vec::new();
    suggestions.retain(|s| {
        if seen.contains(&s.suggested_config) {
            false
        } else {
            seen.push(s.suggested_config.clone());
            true
        }
    });
    suggestions
}

/// Merges `suggestion.suggested_config` into `config`: scalar keys are set, `members`
/// replaces the whole list. Victor's own keys are understood too: `formation` (as
/// `team_formation`), `member_count` (drops members from the end) and a team-level
/// `tool_budget` (set on every member).
pub fn apply_suggestion(
    config: &TeamConfig,
    suggestion: &Suggestion,
) -> Result<TeamConfig, ApplyError> {
    let invalid = |source| ApplyError::Invalid {
        id: suggestion.id.clone(),
        source,
    };
    let mut value = serde_json::to_value(config).map_err(invalid)?;
    let Some(object) = value.as_object_mut() else {
        return Err(ApplyError::NotAnObject {
            id: suggestion.id.clone(),
        });
    };
    let mut member_count = None;
    let mut team_tool_budget = None;
    for (key, v) in &suggestion.suggested_config {
        match key.as_str() {
            "formation" => {
                object.insert("team_formation".into(), v.clone());
            }
            "member_count" => member_count = Some(v.clone()),
            "tool_budget" => team_tool_budget = Some(v.clone()),
            _ => {
                object.insert(key.clone(), v.clone());
            }
        }
    }
    let mut merged: TeamConfig = serde_json::from_value(value).map_err(invalid)?;
    if let Some(count) = member_count {
        let n: usize = serde_json::from_value(count).map_err(invalid)?;
        // Victor's `member_count` only ever shrinks a team.
        merged = merged.resized(n.max(1).min(merged.members.len()));
    }
    if let Some(budget) = team_tool_budget {
        let b: u32 = serde_json::from_value(budget).map_err(invalid)?;
        for m in &mut merged.members {
            m.tool_budget = Some(b);
        }
    }
    Ok(merged)
}

/// The `members` list of a partial config.
pub(crate) fn members_value(members: &[MemberConfig]) -> Value {
    serde_json::to_value(members).unwrap_or(Value::Array(Vec::new()))
}

/// A JSON object from key/value pairs.
pub(crate) fn object<const N: usize>(pairs: [(&str, Value); N]) -> Map<String, Value> {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// The manager of a team: the `is_manager` member, else the first.
pub(crate) fn manager_of(config: &TeamConfig) -> Option<&MemberConfig> {
    config
        .members
        .iter()
        .find(|m| m.is_manager)
        .or_else(|| config.members.first())
}

/// Runs one strategy on its own over `records` with default baselines (unit tests).
#[cfg(test)]
pub(crate) fn run_alone(
    strategy: &dyn Strategy,
    records: &[RunSample],
    config: &TeamConfig,
) -> Vec<Suggestion> {
    let baselines = Baselines::default();
    let insights = crate::detect::analyze(records, &baselines);
    let summary = Summary::of(records);
    strategy.suggest(&StrategyContext {
        insights: &insights,
        records,
        summary: &summary,
        config,
        baselines: &baselines,
    })
}
