//! What a team covers: members with a role or goal of their own are not interchangeable, so
//! a change that drops or clones one changes what the team does, not just how fast it does
//! it. `--auto` never makes such a change; `suggest` still shows it, marked.

use serde_json::json;
use teamtune_analysis::{Suggestion, apply_suggestion};
use teamtune_model::{TeamConfig, TeamNode};

/// Whether `candidate` drops or clones a member of `team` that has a role and goal no other
/// member shares.
pub(crate) fn changes_coverage(team: &TeamNode, candidate: &TeamConfig) -> bool {
    team.members.iter().any(|m| {
        let shared = team
            .members
            .iter()
            .filter(|o| o.role == m.role && o.goal == m.goal)
            .count();
        if shared > 1 {
            return false;
        }
        let kept = candidate.members.iter().any(|c| c.id == m.id);
        // A new member with this role is a clone of it (the engine clones by role).
        let cloned = candidate
            .members
            .iter()
            .any(|c| c.role == m.role && !team.members.iter().any(|o| o.id == c.id));
        !kept || cloned
    })
}

/// Marks each suggestion that changes what the team covers (`metadata.changes_coverage`).
pub(crate) fn mark(team: &TeamNode, current: &TeamConfig, suggestions: &mut [Suggestion]) {
    for s in suggestions {
        if apply_suggestion(current, s).is_ok_and(|c| changes_coverage(team, &c)) {
            s.metadata.insert("changes_coverage".into(), json!(true));
            s.description.push_str(
                " (changes what the team covers: drops or clones a member with its own goal)",
            );
        }
    }
}
