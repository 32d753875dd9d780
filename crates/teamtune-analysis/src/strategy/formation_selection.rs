//! `formation_selection`: switch to a formation the team already ran clearly faster under
//! (observed means, Welch-tested), or away from consensus when it keeps needing extra rounds.
//! Running sequential members concurrently is [`super::Parallelization`]'s job.

use serde_json::json;
use teamtune_model::Formation;

use super::{Strategy, StrategyContext, object};
use crate::detect::MIN_EVIDENCE_RUNS;
use crate::evidence::{consensus_rounds, faster_formations};
use crate::suggestion::{Suggestion, SuggestionType};

#[derive(Debug, Clone, Copy, Default)]
pub struct FormationSelection;

impl Strategy for FormationSelection {
    fn name(&self) -> &str {
        "formation_selection"
    }

    fn suggest(&self, ctx: &StrategyContext<'_>) -> Vec<Suggestion> {
        if !ctx.has_insight("suboptimal_formation_") {
            return Vec::new();
        }
        let current = ctx.config.team_formation;
        let current_config = object([("team_formation", json!(current.as_str()))]);
        let mut out = Vec::new();
        if let Some(best) = faster_formations(ctx.records, current.as_str(), MIN_EVIDENCE_RUNS)
            .into_iter()
            .find(|f| f.formation.parse::<Formation>().is_ok())
        {
            out.push(Suggestion::new(
                SuggestionType::FormationSelection,
                format!(
                    "Switch formation from {current} to {}: this team's runs took {:.1}s as {} ({} runs) against {:.1}s as {current} ({} runs).",
                    best.formation, best.mean_duration, best.formation, best.runs, best.current_mean_duration, best.current_runs
                ),
                current_config.clone(),
                object([("team_formation", json!(best.formation))]),
                best.improvement * 100.0,
                if best.p_value < 0.01 { 0.85 } else { 0.75 },
                0.3,
                object([
                    ("estimate", json!("observed_history")),
                    ("current_formation", json!(current.as_str())),
                    ("suggested_formation", json!(best.formation)),
                    ("p_value", json!(best.p_value)),
                    ("runs", json!(best.runs)),
                ]),
            ));
        }
        if current == Formation::Consensus
            && let Some((rounds, n)) = consensus_rounds(ctx.records)
            && n >= MIN_EVIDENCE_RUNS
            && rounds > 1.0
        {
            out.push(Suggestion::new(
                SuggestionType::FormationSelection,
                format!(
                    "Switch formation from consensus to hierarchical: consensus needs {rounds:.1} rounds on average, a manager's synthesis needs one."
                ),
                current_config,
                object([("team_formation", json!(Formation::Hierarchical.as_str()))]),
                (1.0 - 1.0 / rounds) * 100.0,
                0.6,
                0.5,
                object([
                    ("estimate", json!("consensus_rounds")),
                    ("mean_consensus_rounds", json!(rounds)),
                    ("runs", json!(n)),
                ]),
            ));
        }
        out
    }
}
