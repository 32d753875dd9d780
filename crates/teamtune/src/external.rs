//! Teams that run outside teamtune (a Python agent framework, say) and have no workflow file:
//! their runs are recorded from outside ([`Autotuner::record_runs`]) under the hash of the
//! configuration the caller describes ([`external_config_hash`]), and [`Autotuner::suggest_for_config`]
//! suggests changes to that described configuration with the rule strategies. (The twin and
//! `apply` need a workflow file to run, so they stay with [`Autotuner::suggest`].)

use teamtune_analysis::{Baselines, RunSample, analyze, analyze_with, evidence_detectors, suggest};
use teamtune_model::{Formation, MemberConfig, TeamConfig, stable_hash};

use crate::Autotuner;
use crate::autotuner::{
    AnalysisReport, MetricsInput, MetricsSource, Samples, SuggestionReport, now, read_inputs,
};
use crate::error::Error;
use crate::run_selection::RunScope;

/// The configuration hash runs of a team described by `config` are recorded under. It differs
/// from any workflow file's hash (which also covers how each member runs), so runs recorded
/// from outside never mix with runs of a file.
pub fn external_config_hash(config: &TeamConfig) -> String {
    let text = serde_json::to_string(config).unwrap_or_default();
    stable_hash(format!("external|{text}").as_bytes())
}

impl Autotuner {
    /// Victor's `analyze_team_workflow(team_id=None)`: the records of every team in a metrics
    /// `source` analysed together, as the reference pools them (the report's `team_id` is
    /// empty). The store keeps teams and configurations apart, so it is not such a source.
    pub fn analyze_every_record(&self, source: &MetricsSource) -> Result<AnalysisReport, Error> {
        let records = match source {
            MetricsSource::File(path) => MetricsInput::File(path.clone()).read(None)?,
            MetricsSource::Inputs(inputs) => read_inputs(inputs, None)?,
            MetricsSource::Store => {
                return Err(Error::Input {
                    path: self.store_location().into(),
                    message: "the store keeps teams apart: name the team to analyse".into(),
                });
            }
        };
        if records.is_empty() {
            return Err(Error::NoRuns {
                team_id: "any team".into(),
                place: match source {
                    MetricsSource::File(p) => p.display().to_string(),
                    MetricsSource::Inputs(inputs) => inputs
                        .iter()
                        .map(MetricsInput::name)
                        .collect::<Vec<_>>()
                        .join(", "),
                    MetricsSource::Store => self.store_location(),
                },
                known: None,
            });
        }
        let baselines = self.baseline_choice.resolve(&[]);
        let insights = match &baselines.values {
            Some(b) => analyze(&records, b),
            None => analyze_with(&records, &Baselines::default(), &evidence_detectors()),
        };
        Ok(AnalysisReport {
            team_id: String::new(),
            timestamp: now(),
            runs: records.len(),
            scope: RunScope::whole_file(),
            baselines,
            insights,
        })
    }

    /// Suggestions for a team described by `config` rather than by a workflow file: the rule
    /// strategies on its runs in `source`. From the store, the runs recorded under
    /// [`external_config_hash`] of `config`; without `config`, the runs of the team's latest
    /// configuration, and the configuration they describe (formation and members of the
    /// latest run).
    pub fn suggest_for_config(
        &self,
        team_id: &str,
        config: Option<&TeamConfig>,
        source: &MetricsSource,
    ) -> Result<SuggestionReport, Error> {
        let file_hash = config.map(external_config_hash);
        let Samples {
            chosen: samples,
            scope,
            ..
        } = self.samples(team_id, source, file_hash.clone())?;
        self.require_runs(team_id, &samples, source, &scope)?;
        let config = match config {
            Some(c) => c.clone(),
            None => described_by(samples.last().ok_or_else(|| Error::NoRuns {
                team_id: team_id.to_string(),
                place: self.store_location(),
                known: None,
            })?)?,
        };
        let suggestions = suggest(&samples, &config, &self.baselines, &self.strategies);
        Ok(SuggestionReport {
            team_id: team_id.to_string(),
            timestamp: now(),
            runs: samples.len(),
            scope,
            config_hash: file_hash.unwrap_or_else(|| external_config_hash(&config)),
            current_config: config,
            suggestions,
        })
    }
}

/// The configuration a run describes: its formation and its members (ids and roles as
/// recorded, or `member_1`.. when the record names none), with the workflow file's defaults
/// for what a run does not record.
fn described_by(run: &RunSample) -> Result<TeamConfig, Error> {
    let team_formation: Formation = run.formation.parse().map_err(|message| Error::Config {
        team_id: run.team_id.to_string(),
        message,
    })?;
    let members = if run.members.is_empty() {
        (1..=run.member_count.max(1))
            .map(|i| member(&format!("member_{i}"), "assistant"))
            .collect()
    } else {
        run.members
            .iter()
            .map(|m| member(&m.member_id, &m.role))
            .collect()
    };
    Ok(TeamConfig {
        team_formation,
        timeout_seconds: None,
        total_tool_budget: None,
        max_iterations: teamtune_model::DEFAULT_TEAM_MAX_ITERATIONS,
        members,
    })
}

fn member(id: &str, role: &str) -> MemberConfig {
    MemberConfig {
        id: id.to_string(),
        role: role.to_string(),
        tool_budget: None,
        timeout_seconds: None,
        is_manager: false,
    }
}
