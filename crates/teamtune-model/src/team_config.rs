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

impl TeamNode {
    /// This team with `config` applied: formation, timeouts, budgets and the members list.
    /// Members are matched by id; a new id clones the last current member with the same role
    /// (else the last member), so a grown pool of interchangeable workers grows with copies
    /// of a worker, not of a specialist that happens to be last.
    pub fn with_config(&self, config: &TeamConfig) -> Result<TeamNode, String> {
        if config.members.is_empty() {
            return Err(format!(
                "team `{}`: a team needs at least one member",
                self.id
            ));
        }
        let last = self
            .members
            .last()
            .ok_or_else(|| format!("team `{}` has no members", self.id))?;
        let mut members = Vec::with_capacity(config.members.len());
        for mc in &config.members {
            let base = self
                .members
                .iter()
                .find(|m| m.id == mc.id)
                .or_else(|| self.members.iter().rev().find(|m| m.role == mc.role))
                .unwrap_or(last);
            let mut m = base.clone();
            m.id.clone_from(&mc.id);
            m.role.clone_from(&mc.role);
            m.tool_budget = mc.tool_budget;
            m.timeout_seconds = mc.timeout_seconds;
            m.is_manager = mc.is_manager;
            members.push(m);
        }
        let mut ids: Vec<&str> = members.iter().map(|m| m.id.as_str()).collect();
        ids.sort_unstable();
        if ids.windows(2).any(|w| w[0] == w[1]) {
            return Err(format!("team `{}`: member ids must be unique", self.id));
        }
        if config.max_iterations == 0 {
            return Err(format!("team `{}`: max_iterations must be >= 1", self.id));
        }
        Ok(TeamNode {
            formation: config.team_formation,
            timeout_seconds: config.timeout_seconds,
            total_tool_budget: config.total_tool_budget,
            max_iterations: config.max_iterations,
            members,
            ..self.clone()
        })
    }
}

impl crate::workflow::Workflow {
    /// This workflow with team `team_id` reconfigured.
    pub fn with_team_config(&self, team_id: &str, config: &TeamConfig) -> Result<Self, String> {
        let mut wf = self.clone();
        let node = wf
            .nodes
            .iter_mut()
            .find_map(|n| match &mut n.kind {
                crate::workflow::NodeKind::Team(t) if t.id == team_id => Some(t),
                _ => None,
            })
            .ok_or_else(|| format!("workflow `{}` has no team `{team_id}`", self.name))?;
        *node = node.with_config(config)?;
        Ok(wf)
    }
}
