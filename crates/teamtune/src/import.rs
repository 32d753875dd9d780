//! `teamtune import otel`: team runs read from OpenTelemetry traces (the `teamtune-otel`
//! crate) and recorded in the store. Every file is read and every span checked before
//! anything is recorded, and the runs are recorded in one transaction: an import records all
//! of its new runs or none. A run whose id is already stored (run ids come from trace and
//! span ids) is left out, so importing a file twice records nothing twice.

use std::collections::HashSet;
use std::path::PathBuf;

use serde::Serialize;
use teamtune_otel::{ImportOptions, read_files};
use teamtune_store::RunQuery;

use crate::autotuner::{Access, Autotuner};
use crate::error::Error;

/// What an import did (`teamtune import otel --json`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImportReport {
    pub files: Vec<String>,
    /// Traces that held at least one team run.
    pub traces: usize,
    /// Team runs found in them.
    pub team_runs: usize,
    /// Team runs recorded now.
    pub recorded: usize,
    /// Team runs left out because the store already had them.
    pub already_recorded: usize,
    /// The teams found, sorted.
    pub teams: Vec<String>,
    pub store: String,
}

impl Autotuner {
    /// Reads OTLP JSON traces from `files` and records the team runs in them.
    pub fn import_otel(
        &self,
        files: &[PathBuf],
        opts: &ImportOptions,
    ) -> Result<ImportReport, Error> {
        let runs = read_files(files, opts)?;
        let mut teams: Vec<String> = runs
            .iter()
            .flat_map(|r| r.team_runs.iter().map(|t| t.team_id.clone()))
            .collect();
        teams.sort_unstable();
        teams.dedup();
        let team_runs: usize = runs.iter().map(|r| r.team_runs.len()).sum();
        let traces = runs.len();
        let fresh_team_runs = self.using_store(Access::Create, |store| {
            let mut stored: HashSet<String> = HashSet::new();
            for team in &teams {
                stored.extend(
                    store
                        .team_runs(team, &RunQuery::new())?
                        .into_iter()
                        .filter_map(|r| r.run_id),
                );
            }
            let fresh: Vec<_> = runs
                .into_iter()
                .filter(|r| {
                    !r.team_runs
                        .iter()
                        .any(|t| t.run_id.as_ref().is_some_and(|id| stored.contains(id)))
                })
                .collect();
            store.record_runs(&fresh)?;
            Ok(fresh.iter().map(|r| r.team_runs.len()).sum::<usize>())
        })?;
        Ok(ImportReport {
            files: files.iter().map(|f| f.display().to_string()).collect(),
            traces,
            team_runs,
            recorded: fresh_team_runs,
            already_recorded: team_runs - fresh_team_runs,
            teams,
            store: self.store_location(),
        })
    }
}
