//! A scenario: a workflow file and the team in it to tune. Loading checks what the benchmark
//! needs: the file loads, the team exists (the only team node, or the one named), every
//! member of it is simulated (the oracle runs in virtual time), and nothing else in the
//! workflow could wait forever.

use std::path::{Path, PathBuf};

use teamtune::{
    MemberRunner, MemberSpec, NodeKind, SimParams, TeamConfig, TeamNode, Workflow, load_file,
};

use crate::error::BenchError;

#[derive(Debug, Clone)]
pub struct Scenario {
    pub path: PathBuf,
    pub workflow: Workflow,
    pub team: TeamNode,
}

impl Scenario {
    pub fn load(path: &Path, team_id: Option<&str>) -> Result<Scenario, BenchError> {
        let file = load_file(path).map_err(|e| BenchError::Input(one_line(&e.to_string())))?;
        let teams: Vec<(&Workflow, &TeamNode)> = file
            .workflows
            .values()
            .flat_map(|w| w.teams().map(move |t| (w, t)))
            .collect();
        let (workflow, team) = match team_id {
            Some(id) => file
                .resolve_team(id)
                .map_err(|e| BenchError::Input(e.to_string()))?,
            None => match teams.as_slice() {
                [one] => *one,
                [] => {
                    return Err(BenchError::Input(format!(
                        "{}: no team node to tune",
                        path.display()
                    )));
                }
                _ => {
                    return Err(BenchError::Input(format!(
                        "{}: several team nodes ({}); pick one with --team-id",
                        path.display(),
                        names(&teams).unwrap_or_default()
                    )));
                }
            },
        };
        if let Some(m) = team
            .members
            .iter()
            .find(|m| !matches!(m.runner, MemberRunner::Sim(_)))
        {
            return Err(BenchError::Input(format!(
                "{}: member `{}` of team `{}` is not simulated (the benchmark needs sim members to run in virtual time)",
                path.display(),
                m.id,
                team.id
            )));
        }
        if team_can_hang(team) {
            return Err(BenchError::Input(format!(
                "{}: team `{}` has hanging sim members (hang_rate > 0) and no timeout: its runs would never end",
                path.display(),
                team.id
            )));
        }
        let scenario = Scenario {
            path: path.to_path_buf(),
            workflow: workflow.clone(),
            team: team.clone(),
        };
        if let Some(node) = scenario.other_node_that_can_hang() {
            return Err(BenchError::Input(format!(
                "{}: node `{node}` has hanging sim members and no timeout: its runs would never end",
                path.display()
            )));
        }
        Ok(scenario)
    }

    pub fn name(&self) -> String {
        self.path.file_stem().map_or_else(
            || self.path.display().to_string(),
            |s| s.to_string_lossy().into_owned(),
        )
    }

    pub fn baseline_config(&self) -> TeamConfig {
        TeamConfig::of(&self.team)
    }

    /// The resolved sim parameters of each member of the tuned team.
    pub fn sim_params(&self) -> Vec<SimParams> {
        self.team
            .members
            .iter()
            .filter_map(|m| match &m.runner {
                MemberRunner::Sim(p) => Some(*p),
                _ => None,
            })
            .collect()
    }

    fn other_node_that_can_hang(&self) -> Option<String> {
        self.workflow.nodes.iter().find_map(|n| match &n.kind {
            NodeKind::Team(t) if t.id != self.team.id && team_can_hang(t) => Some(n.id.clone()),
            NodeKind::Agent(a) if member_can_hang(&a.member) => Some(n.id.clone()),
            _ => None,
        })
    }
}

/// True when a run of this team may never end: a member can hang and neither its own nor
/// the team's timeout would cut it off. Such a configuration is scored as never succeeding
/// instead of being run (a paused clock would wait forever).
pub fn team_can_hang(team: &TeamNode) -> bool {
    team.timeout_seconds.is_none() && team.members.iter().any(member_can_hang)
}

fn member_can_hang(m: &MemberSpec) -> bool {
    matches!(&m.runner, MemberRunner::Sim(p) if p.hang_rate > 0.0) && m.timeout_seconds.is_none()
}

fn names(teams: &[(&Workflow, &TeamNode)]) -> Option<String> {
    (!teams.is_empty()).then(|| {
        teams
            .iter()
            .map(|(_, t)| t.id.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    })
}

/// The first line of a possibly multi-line message, saying how many more there were.
fn one_line(message: &str) -> String {
    let mut lines = message.lines();
    let first = lines.next().unwrap_or("").to_string();
    match lines.count() {
        0 => first,
        n => format!(
            "{first} (and {n} more problem{})",
            if n == 1 { "" } else { "s" }
        ),
    }
}
