//! `metrics export`: a team's recorded runs as JSON, JSON lines or CSV, streamed.

use std::io::Write;

use teamtune_store::ExportFormat;

use crate::autotuner::{Access, Autotuner};
use crate::error::Error;

impl Autotuner {
    /// Writes every recorded run of `team_id` to `out`; returns how many. A team with no
    /// runs is an error naming the teams the store has.
    pub fn export(
        &self,
        team_id: &str,
        format: ExportFormat,
        out: &mut dyn Write,
    ) -> Result<u64, Error> {
        self.using_store(Access::Read, |store| {
            if store.team_run_count(team_id)? == 0 {
                return Err(Error::NoRuns {
                    team_id: team_id.to_string(),
                    place: format!("the store {}", store.location()),
                    known: Some(store.team_ids()?),
                });
            }
            Ok(store.export_team_runs(team_id, format, out)?)
        })
    }

    /// How many runs of `team_id` the store holds (0 when there is no store yet).
    pub fn team_run_count(&self, team_id: &str) -> Result<u64, Error> {
        match self.using_store(Access::Read, |store| Ok(store.team_run_count(team_id)?)) {
            Err(Error::NoStore { .. }) => Ok(0),
            other => other,
        }
    }
}
