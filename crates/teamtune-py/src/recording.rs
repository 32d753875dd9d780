//! Team runs made in Python (`teamtune.team_run`, the seed's `TeamMetricsCollector`) as the
//! store's records: the Victor fields, each member's turns when the caller measured them,
//! and the configuration hash of the team as described (see `described`), so `analyze` and
//! `suggest` read the runs of the team's current configuration as they do for a workflow.

use indexmap::IndexMap;
use serde::Deserialize;
use teamtune::{
    Formation, MemberConfig, MemberMetrics, StopCause, TeamConfig, TeamRunRecord, TurnKind,
    TurnRecord, WorkflowRunRecord, external_config_hash,
};

use crate::described::described_config;

/// One team run as `teamtune.recording` sends it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PyTeamRun {
    run_id: String,
    team_id: String,
    formation: String,
    /// The team's configuration as described by the caller (JSON object), if it gave one.
    config: Option<serde_json::Value>,
    success: bool,
    /// Seconds since the Unix epoch.
    start_unix: f64,
    duration_seconds: f64,
    error: Option<String>,
    consensus_achieved: Option<bool>,
    consensus_rounds: Option<u32>,
    /// The program that ran the team, for the record's `file`.
    program: String,
    members: Vec<PyMember>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PyMember {
    member_id: String,
    role: String,
    success: bool,
    duration_seconds: f64,
    tool_calls_used: u64,
    tools_used: Vec<String>,
    error_message: Option<String>,
    stop_cause: Option<StopCause>,
    /// Seconds since the Unix epoch when the member ended, if the caller knows.
    end_unix: Option<f64>,
    turns: Vec<PyTurn>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PyTurn {
    think_seconds: f64,
    tool_call_seconds: Vec<f64>,
    tokens_in: Option<u64>,
    tokens_out: Option<u64>,
    stop_cause: Option<StopCause>,
}

/// The store's records of the runs in `text` (a JSON list), or what is wrong with them.
pub fn records(text: &str) -> Result<Vec<WorkflowRunRecord>, String> {
    let runs: Vec<PyTeamRun> =
        serde_json::from_str(text).map_err(|e| format!("team run records: {e}"))?;
    runs.into_iter().map(record).collect()
}

fn timestamp(unix: f64) -> Result<String, String> {
    let ts = jiff::Timestamp::from_duration(
        jiff::SignedDuration::try_from_secs_f64(unix).map_err(|e| e.to_string())?,
    )
    .map_err(|e| e.to_string())?;
    Ok(ts.to_string())
}

fn seconds(what: &str, v: f64) -> Result<f64, String> {
    if v.is_finite() && v >= 0.0 {
        Ok(v)
    } else {
        Err(format!("{what} {v} must be a number of seconds >= 0"))
    }
}

fn record(run: PyTeamRun) -> Result<WorkflowRunRecord, String> {
    let team = format!("team `{}`", run.team_id);
    let duration = seconds(&format!("{team}: duration_seconds"), run.duration_seconds)?;
    let formation: Formation = run.formation.parse().map_err(|e| format!("{team}: {e}"))?;
    let config = match &run.config {
        Some(described) => {
            described_config(&described.to_string()).map_err(|e| format!("{team}: {e}"))?
        }
        None => TeamConfig {
            team_formation: formation,
            timeout_seconds: None,
            total_tool_budget: None,
            max_iterations: teamtune::DEFAULT_TEAM_MAX_ITERATIONS,
            members: run
                .members
                .iter()
                .map(|m| MemberConfig {
                    id: m.member_id.clone(),
                    role: m.role.clone(),
                    tool_budget: None,
                    timeout_seconds: None,
                    is_manager: false,
                })
                .collect(),
        },
    };
    if formation != config.team_formation {
        return Err(format!(
            "{team}: formation `{formation}` differs from the configuration's `{}`",
            config.team_formation
        ));
    }
    let start_time = timestamp(run.start_unix)?;
    let end_time = timestamp(run.start_unix + duration)?;
    let mut member_metrics = IndexMap::new();
    for m in run.members {
        let who = format!("{team}, member `{}`", m.member_id);
        let member_duration = seconds(&format!("{who}: duration_seconds"), m.duration_seconds)?;
        let end_unix = m.end_unix.unwrap_or(run.start_unix + duration);
        let mut turns = Vec::with_capacity(m.turns.len());
        for (i, t) in m.turns.iter().enumerate() {
            let at = format!("{who}, turn {i}");
            let think = seconds(&format!("{at}: think_seconds"), t.think_seconds)?;
            let mut calls = 0.0;
            for c in &t.tool_call_seconds {
                calls += seconds(&format!("{at}: tool_call_seconds"), *c)?;
            }
            turns.push(TurnRecord {
                kind: TurnKind::Work,
                seconds: think + calls,
                think_seconds: think,
                tool_call_seconds: t.tool_call_seconds.clone(),
                tool_calls: t.tool_call_seconds.len() as u64,
                tokens_in: t.tokens_in,
                tokens_out: t.tokens_out,
                stop_cause: t.stop_cause.unwrap_or(StopCause::Done),
            });
        }
        let stop_cause = m.stop_cause.or(Some(if m.success {
            StopCause::Done
        } else {
            m.error_message
                .as_deref()
                .map_or(StopCause::Error, StopCause::from_victor_text)
        }));
        if member_metrics.contains_key(&m.member_id) {
            return Err(format!("{who} is recorded twice in one run"));
        }
        member_metrics.insert(
            m.member_id.clone(),
            MemberMetrics {
                member_id: m.member_id,
                role: m.role,
                success: m.success,
                duration_seconds: member_duration,
                tool_calls_used: m.tool_calls_used,
                tools_used: m.tools_used,
                error_message: m.error_message,
                start_time: Some(timestamp(end_unix - member_duration)?),
                end_time: Some(timestamp(end_unix)?),
                stop_cause,
                turns,
            },
        );
    }
    let mut unique_tools: Vec<String> = member_metrics
        .values()
        .flat_map(|m| m.tools_used.iter().cloned())
        .collect();
    unique_tools.sort();
    unique_tools.dedup();
    let stop_cause = (!run.success).then(|| {
        member_metrics
            .values()
            .find(|m| !m.success)
            .and_then(|m| m.stop_cause)
            .or_else(|| run.error.as_deref().map(StopCause::from_victor_text))
            .unwrap_or(StopCause::Error)
    });
    let team_run = TeamRunRecord {
        team_id: run.team_id.clone(),
        formation: config.team_formation.as_str().to_string(),
        member_count: config.members.len() as u32,
        success: run.success,
        duration_seconds: duration,
        total_tool_calls: member_metrics.values().map(|m| m.tool_calls_used).sum(),
        unique_tools_used: unique_tools,
        start_time: Some(start_time.clone()),
        end_time: Some(end_time.clone()),
        consensus_achieved: run.consensus_achieved,
        consensus_rounds: run.consensus_rounds,
        member_metrics,
        run_id: Some(run.run_id.clone()),
        workflow: Some("python".to_string()),
        config_hash: Some(external_config_hash(&config)),
        variant: None,
        experiment_id: None,
        tool_budget: config.members.iter().filter_map(|m| m.tool_budget).max(),
        timeout_seconds: config.timeout_seconds,
        error: run.error.clone(),
        stop_cause,
    };
    Ok(WorkflowRunRecord {
        run_id: run.run_id,
        workflow: "python".to_string(),
        file: run.program,
        seed: 0,
        success: run.success,
        duration_seconds: duration,
        start_time,
        end_time,
        error: run.error,
        variant: None,
        virtual_time: false,
        inputs: IndexMap::new(),
        outputs: IndexMap::new(),
        team_runs: vec![team_run],
    })
}
