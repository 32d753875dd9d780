//! The tunable view of a team node: the keys optimization strategies read and change, in the
//! workflow file's own names (`team_formation`, `timeout_seconds`, member `tool_budget`, ...).

use serde::{Deserialize, Serialize};

use crate::formation::Formation;
use crate::hash::stable_hash;
use crate::limits::MAX_TEAM_ITERATIONS;
use crate::seconds::Seconds;
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
            timeout_seconds: team.timeout_seconds.map(Seconds::as_secs_f64),
            total_tool_budget: team.total_tool_budget,
            max_iterations: team.max_iterations,
            members: team
                .members
                .iter()
                .map(|m| MemberConfig {
                    id: m.id.clone(),
                    role: m.role.clone(),
                    tool_budget: m.tool_budget,
                    timeout_seconds: m.timeout_seconds.map(Seconds::as_secs_f64),
                    is_manager: m.is_manager,
                })
                .collect(),
        }
    }

    /// This team with `size` members, the documented way: shrinking drops members from the
    /// end; growing clones the last member under new ids `<last id>_2`, `_3`, ... (skipping
    /// ids in use), never as a manager. Everything else is unchanged; a team without members
    /// cannot grow.
    pub fn resized(&self, size: usize) -> TeamConfig {
        let mut members: Vec<MemberConfig> = self.members.iter().take(size).cloned().collect();
        if let Some(last) = self.members.last() {
            let mut k = 2;
            while members.len() < size {
                let id = format!("{}_{k}", last.id);
                k += 1;
                if members.iter().any(|m| m.id == id) {
                    continue;
                }
                members.push(MemberConfig {
                    id,
                    is_manager: false,
                    ..last.clone()
                });
            }
        }
        TeamConfig {
            members,
            ..self.clone()
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
            m.timeout_seconds = seconds(mc.timeout_seconds)
                .map_err(|e| format!("member `{}`: timeout_seconds {e}", mc.id))?;
            m.is_manager = mc.is_manager;
            members.push(m);
        }
        let mut ids: Vec<&str> = members.iter().map(|m| m.id.as_str()).collect();
        ids.sort_unstable();
        if ids.windows(2).any(|w| w[0] == w[1]) {
            return Err(format!("team `{}`: member ids must be unique", self.id));
        }
        if !(1..=MAX_TEAM_ITERATIONS).contains(&config.max_iterations) {
            return Err(format!(
                "team `{}`: max_iterations must be between 1 and {MAX_TEAM_ITERATIONS}",
                self.id
            ));
        }
        let timeout_seconds = seconds(config.timeout_seconds)
            .map_err(|e| format!("team `{}`: timeout_seconds {e}", self.id))?;
        Ok(TeamNode {
            formation: config.team_formation,
            timeout_seconds,
            total_tool_budget: config.total_tool_budget,
            max_iterations: config.max_iterations,
            members,
            ..self.clone()
        })
    }
}

/// A configuration's timeout, checked as the loader checks a file's.
fn seconds(value: Option<f64>) -> Result<Option<Seconds>, String> {
    value.map(Seconds::positive).transpose()
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

#[cfg(test)]
mod tests {
    use super::*;

    fn team(ids: &[&str]) -> TeamConfig {
        TeamConfig {
            team_formation: Formation::Parallel,
            timeout_seconds: Some(60.0),
            total_tool_budget: None,
            max_iterations: 3,
            members: ids
                .iter()
                .map(|id| MemberConfig {
                    id: (*id).into(),
                    role: "r".into(),
                    tool_budget: Some(5),
                    timeout_seconds: None,
                    is_manager: *id == "c",
                })
                .collect(),
        }
    }

    fn ids(c: &TeamConfig) -> Vec<&str> {
        c.members.iter().map(|m| m.id.as_str()).collect()
    }

    #[test]
    fn resized_drops_from_the_end_and_clones_the_last() {
        let base = team(&["a", "b", "c"]);
        assert_eq!(ids(&base.resized(2)), ["a", "b"]);
        assert_eq!(base.resized(3), base);
        let grown = base.resized(5);
        assert_eq!(ids(&grown), ["a", "b", "c", "c_2", "c_3"]);
        assert!(grown.members[2].is_manager && !grown.members[3].is_manager);
        assert_eq!(grown.members[4].tool_budget, Some(5));
        assert_eq!(grown.timeout_seconds, Some(60.0));
        // Ids in use are skipped.
        assert_eq!(ids(&team(&["c_2", "c"]).resized(3)), ["c_2", "c", "c_3"]);
        assert!(team(&[]).resized(2).members.is_empty());
    }
}
