//! What the report shows, gathered from the store: the team's runs by configuration, the A/B
//! tests found among its labelled runs, its history, its members, and the twin's predictions.

use std::collections::HashMap;
use std::path::Path;

use teamtune_analysis::compare;
use teamtune_analysis::twin::{Observation, Twin};
use teamtune_model::{TeamConfig, TeamRunRecord, Variant};
use teamtune_store::{HistoryEntry, HistoryKind};

use crate::change_record::ApplyRecord;

/// Runs of one configuration.
pub struct ConfigRuns {
    pub hash: Option<String>,
    pub label: String,
    pub durations: Vec<f64>,
}

/// One A/B test: pairs of a baseline and a candidate run recorded together.
pub struct AbTest {
    pub candidate_hash: Option<String>,
    pub improvement: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    pub runs_per_side: (usize, usize),
    /// What became of the change: its history status, or `not kept`.
    pub status: String,
    pub kept: bool,
}

pub struct MemberRow {
    pub member_id: String,
    pub mean_seconds: f64,
    pub mean_tool_calls: f64,
    pub failure_rate: f64,
    /// Mean tokens (in and out) per run, when the member's turns report them.
    pub tokens: Option<f64>,
}

pub struct Predicted {
    pub label: String,
    pub observed_mean: f64,
    pub predicted_mean: f64,
}

pub struct ReportData {
    pub team_id: String,
    pub runs: Vec<TeamRunRecord>,
    pub configs: Vec<ConfigRuns>,
    pub tests: Vec<AbTest>,
    /// (when, what, status) per history entry, oldest first.
    pub history: Vec<(String, String, String)>,
    pub members: Vec<MemberRow>,
    /// The twin's predictions, or why there are none.
    pub predicted: Result<Vec<Predicted>, String>,
}

pub fn short(hash: Option<&str>) -> String {
    hash.map_or_else(
        || "imported".to_string(),
        |h| format!("config {}", h.chars().take(8).collect::<String>()),
    )
}

pub fn configs(runs: &[TeamRunRecord]) -> Vec<ConfigRuns> {
    let mut out: Vec<ConfigRuns> = Vec::new();
    for r in runs {
        let hash = r.config_hash.clone();
        match out.iter_mut().find(|c| c.hash == hash) {
            Some(c) => c.durations.push(r.duration_seconds),
            None => out.push(ConfigRuns {
                label: short(hash.as_deref()),
                hash,
                durations: vec![r.duration_seconds],
            }),
        }
    }
    out
}

/// The A/B tests among the runs: A/B runs are recorded in pairs (baseline, candidate); pairs
/// in a row with the same two configurations are one test.
pub fn ab_tests(runs: &[TeamRunRecord], history: &[HistoryEntry]) -> Vec<AbTest> {
    struct Open {
        key: (Option<String>, Option<String>),
        a: Vec<f64>,
        b: Vec<f64>,
    }
    let mut done: Vec<Open> = Vec::new();
    let mut open: Option<Open> = None;
    let mut baselines: Vec<&TeamRunRecord> = Vec::new();
    for r in runs {
        match r.variant {
            None => {
                done.extend(open.take());
                baselines.clear();
            }
            Some(Variant::Baseline) => baselines.push(r),
            Some(Variant::Candidate) => {
                let key = (
                    baselines.first().and_then(|b| b.config_hash.clone()),
                    r.config_hash.clone(),
                );
                if open.as_ref().is_some_and(|o| o.key != key)
                    || baselines.is_empty() && open.is_none()
                {
                    done.extend(open.take());
                }
                let o = open.get_or_insert_with(|| Open {
                    key,
                    a: Vec::new(),
                    b: Vec::new(),
                });
                o.a.extend(baselines.drain(..).map(|b| b.duration_seconds));
                o.b.push(r.duration_seconds);
            }
        }
    }
    done.extend(open);
    let status_of: HashMap<String, String> = history
        .iter()
        .filter(|e| e.kind == HistoryKind::Apply)
        .filter_map(|e| {
            let record: ApplyRecord = crate::change_record::read(e).ok()?;
            Some((record.new_config_hash, e.status.as_str().to_string()))
        })
        .collect();
    done.into_iter()
        .filter(|o| o.a.len() >= 2 && o.b.len() >= 2)
        .map(|o| {
            let c = compare(&o.a, &o.b, 1);
            let status = o
                .key
                .1
                .as_ref()
                .and_then(|h| status_of.get(h).cloned())
                .unwrap_or_else(|| "not kept".to_string());
            AbTest {
                candidate_hash: o.key.1,
                improvement: c.improvement_percentage,
                ci_low: c.bootstrap.ci_low,
                ci_high: c.bootstrap.ci_high,
                runs_per_side: (o.a.len(), o.b.len()),
                kept: status != "not kept",
                status,
            }
        })
        .collect()
}

pub fn history_rows(history: &[HistoryEntry]) -> Vec<(String, String, String)> {
    history
        .iter()
        .map(|e| {
            let what = match e.kind {
                HistoryKind::Apply => e.note.clone().unwrap_or_else(|| "a change".to_string()),
                HistoryKind::Rollback => {
                    format!("rollback: {}", e.note.clone().unwrap_or_default())
                }
            };
            (
                format!(
                    "#{} {}",
                    e.index,
                    e.created_at.get(..16).unwrap_or(&e.created_at)
                ),
                what,
                e.status.as_str().to_string(),
            )
        })
        .collect()
}

pub fn members(runs: &[TeamRunRecord]) -> Vec<MemberRow> {
    struct Acc {
        runs: f64,
        seconds: f64,
        calls: f64,
        failed: f64,
        tokens: f64,
        token_runs: f64,
    }
    let mut acc: Vec<(String, Acc)> = Vec::new();
    for r in runs {
        for m in r.member_metrics.values() {
            let i = match acc.iter().position(|(id, _)| *id == m.member_id) {
                Some(i) => i,
                None => {
                    acc.push((
                        m.member_id.clone(),
                        Acc {
                            runs: 0.0,
                            seconds: 0.0,
                            calls: 0.0,
                            failed: 0.0,
                            tokens: 0.0,
                            token_runs: 0.0,
                        },
                    ));
                    acc.len() - 1
                }
            };
            let a = &mut acc[i].1;
            a.runs += 1.0;
            a.seconds += m.duration_seconds;
            a.calls += m.tool_calls_used as f64;
            a.failed += f64::from(u8::from(!m.success));
            let tokens: Option<u64> = m
                .turns
                .iter()
                .map(|t| Some(t.tokens_in? + t.tokens_out.unwrap_or(0)))
                .sum();
            if let Some(t) = tokens.filter(|_| !m.turns.is_empty()) {
                a.tokens += t as f64;
                a.token_runs += 1.0;
            }
        }
    }
    acc.into_iter()
        .map(|(member_id, a)| MemberRow {
            member_id,
            mean_seconds: a.seconds / a.runs,
            mean_tool_calls: a.calls / a.runs,
            failure_rate: a.failed / a.runs,
            tokens: (a.token_runs > 0.0).then(|| a.tokens / a.token_runs),
        })
        .collect()
}

/// The twin fitted from the runs of every configuration the workflow file and its history
/// name, and its prediction for each beside what was observed.
pub fn predictions(
    team_id: &str,
    config: Option<&Path>,
    runs: &[TeamRunRecord],
    history: &[HistoryEntry],
) -> Result<Vec<Predicted>, String> {
    let Some(path) = config else {
        return Err(
            "Pass the workflow file with --config to compare the twin's predictions with the runs."
                .into(),
        );
    };
    let mut known: Vec<(String, TeamConfig)> = Vec::new();
    let mut add = |text: &str| {
        if let Ok(file) = teamtune_model::load_str(path, text)
            && let Ok((_, team)) = file.resolve_team(team_id)
        {
            let hash = team.config_hash();
            if !known.iter().any(|(h, _)| *h == hash) {
                known.push((hash, TeamConfig::of(team)));
            }
        }
    };
    let current = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    add(&current);
    for e in history {
        add(&e.previous_content);
        add(&e.new_content);
    }
    let observations: Vec<Observation> = known
        .iter()
        .map(|(hash, cfg)| {
            Observation::new(
                cfg.clone(),
                runs.iter()
                    .filter(|r| r.config_hash.as_deref() == Some(hash))
                    .cloned()
                    .collect(),
            )
        })
        .filter(|o| !o.runs.is_empty())
        .collect();
    let twin = Twin::fit(team_id, &observations).map_err(|e| format!("No twin: {e}."))?;
    Ok(observations
        .iter()
        .map(|o| {
            let observed: Vec<f64> = o.runs.iter().map(|r| r.duration_seconds).collect();
            Predicted {
                label: short(o.runs[0].config_hash.as_deref()),
                observed_mean: observed.iter().sum::<f64>() / observed.len() as f64,
                predicted_mean: twin.predict(&o.config, 2000, 1).mean_duration_seconds,
            }
        })
        .collect())
}
