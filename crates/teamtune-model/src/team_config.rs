//! The tunable view of a team node: the keys optimization strategies read and change, in the
//! workflow file's own names (`team_formation`, `timeout_seconds`, member `tool_budget`, ...).

use serde::{Deserialize, Serialize};

use crate::formation::Formation;
use crate::hash::stable_hash;
use crate::workflow::{MemberRunner, TeamNode};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TeamConfig {
    pub team_formation: Formation,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_tool_budget: Option<u32>,
    pub max_iterations: u32,
    pub members: Vec<MemberConfig>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberConfig {
    pub id: String,
    pub role: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_budget: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<f64>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub is_manager: bool,
}

impl TeamConfig {
    pub fn of(team: &TeamNode) -> TeamConfig {
        TeamConfig {
            team_formation: team.formation,
            timeout_seconds: team.timeout_seconds,
            total_tool_budget: team.total_tool_budget,
            max_iterations: team.max_iterations,
            members: team
                .members
                .iter()
                .map(|m| MemberConfig {
                    id: m.id.clone(),
                    role: m.role.clone(),
                    tool_budget: m.tool_budget,
                    timeout_seconds: m.timeout_seconds,
                    is_manager: m.is_manager,
                })
                .collect(),
        }
    }
}

impl TeamNode {
    /// Fingerprint of everything that decides how the team runs: the tunable config plus what
    /// executes each member. Two runs with the same hash ran the same team.
    pub fn config_hash(&self) -> String {
        let mut text = serde_json::to_string(&TeamConfig::of(self)).unwrap_or_default();
        for m in &self.members {
            text.push('|');
            match &m.runner {
                MemberRunner::Command(argv) => text.push_str(&argv.join("\u{1f}")),
                MemberRunner::OpenAi { provider, config } => {
                    text.push_str(provider);
                    text.push_str(&config.model);
                }
                MemberRunner::Sim(p) => {
                    text.push_str(&serde_json::to_string(p).unwrap_or_default());
                }
            }
        }
        stable_hash(text.as_bytes())
    }
}
