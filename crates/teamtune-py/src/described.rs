//! A team described by a Python dict rather than a workflow file: the configuration of a
//! team that runs in Python (what `team_run` records it under), or the seed's
//! `current_config` (`{"formation": "sequential", "member_count": 5}`).
//!
//! Keys: `team_formation` (or Victor's `formation`); `members` (ids, or objects with `id`,
//! `role`, `tool_budget`, `timeout_seconds`, `is_manager`) or Victor's `member_count` (then
//! members `member_1`..); `tool_budget` (every member's, when a member gives none);
//! `total_tool_budget`; `timeout_seconds`; `max_iterations`. Anything else is an error naming
//! the key, as in a workflow file.

use serde::Deserialize;
use teamtune::{Formation, MemberConfig, TeamConfig};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Described {
    #[serde(alias = "formation")]
    team_formation: Option<String>,
    members: Option<Vec<DescribedMember>>,
    member_count: Option<u32>,
    tool_budget: Option<u32>,
    total_tool_budget: Option<u32>,
    timeout_seconds: Option<f64>,
    max_iterations: Option<u32>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum DescribedMember {
    Id(String),
    Full(Member),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Member {
    id: String,
    role: Option<String>,
    tool_budget: Option<u32>,
    timeout_seconds: Option<f64>,
    #[serde(default)]
    is_manager: bool,
}

/// Victor's role for a member that names none.
const DEFAULT_ROLE: &str = "assistant";

/// The configuration `text` (a JSON object) describes, or what is wrong with it.
pub fn described_config(text: &str) -> Result<TeamConfig, String> {
    let d: Described =
        serde_json::from_str(text).map_err(|e| format!("team configuration: {e}"))?;
    let team_formation: Formation = match &d.team_formation {
        Some(f) => f.parse()?,
        // Victor's default formation, as in its records.
        None => Formation::Sequential,
    };
    let positive = |key: &str, v: Option<f64>| match v {
        Some(s) if !(s.is_finite() && s > 0.0) => Err(format!(
            "team configuration: {key} {s} must be a number of seconds above 0"
        )),
        _ => Ok(v),
    };
    let timeout_seconds = positive("timeout_seconds", d.timeout_seconds)?;
    let members: Vec<MemberConfig> = match (d.members, d.member_count) {
        (Some(_), Some(_)) => {
            return Err("team configuration: give `members` or `member_count`, not both".into());
        }
        (Some(list), None) => list
            .into_iter()
            .map(|m| match m {
                DescribedMember::Id(id) => Ok(MemberConfig {
                    id,
                    role: DEFAULT_ROLE.to_string(),
                    tool_budget: d.tool_budget,
                    timeout_seconds: None,
                    is_manager: false,
                }),
                DescribedMember::Full(m) => Ok(MemberConfig {
                    timeout_seconds: positive(
                        &format!("members.{}.timeout_seconds", m.id),
                        m.timeout_seconds,
                    )?,
                    id: m.id,
                    role: m.role.unwrap_or_else(|| DEFAULT_ROLE.to_string()),
                    tool_budget: m.tool_budget.or(d.tool_budget),
                    is_manager: m.is_manager,
                }),
            })
            .collect::<Result<_, String>>()?,
        (None, Some(n)) => (1..=n)
            .map(|i| MemberConfig {
                id: format!("member_{i}"),
                role: DEFAULT_ROLE.to_string(),
                tool_budget: d.tool_budget,
                timeout_seconds: None,
                is_manager: false,
            })
            .collect(),
        (None, None) => {
            return Err(
                "team configuration: name the members (`members`) or how many there are (`member_count`)"
                    .into(),
            );
        }
    };
    if members.is_empty() {
        return Err("team configuration: a team needs at least one member".into());
    }
    let mut ids: Vec<&str> = members.iter().map(|m| m.id.as_str()).collect();
    ids.sort_unstable();
    if let Some(w) = ids.windows(2).find(|w| w[0] == w[1]) {
        return Err(format!(
            "team configuration: member `{}` is named twice",
            w[0]
        ));
    }
    Ok(TeamConfig {
        team_formation,
        timeout_seconds,
        total_tool_budget: d.total_tool_budget,
        max_iterations: d
            .max_iterations
            .unwrap_or(teamtune::DEFAULT_TEAM_MAX_ITERATIONS),
        members,
    })
}
