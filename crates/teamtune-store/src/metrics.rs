//! The [`MetricsStore`] trait: record workflow runs with their team runs, read a team's runs
//! back in recorded order, and stream them out as JSON, JSON lines or CSV. The SQLite
//! implementation is in `sqlite/metrics.rs`, the PostgreSQL one in `postgres/metrics.rs`.

use std::borrow::Cow;
use std::fmt;
use std::io::Write;
use std::str::FromStr;

use teamtune_model::{TeamRunRecord, Variant, WorkflowRunRecord};

use crate::StoreError;

/// Which A/B side of runs a query returns.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum VariantFilter {
    /// Every run, A/B or not.
    #[default]
    Any,
    /// Only runs outside an A/B test (`variant` is null).
    Unlabelled,
    /// Only runs of this A/B side.
    Only(Variant),
}

/// Which of a team's runs to read. The default reads all of them.
///
/// Filters apply first, then `limit` keeps the most recent N of what is left; the result is
/// always oldest first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunQuery {
    /// Only runs recorded after this sequence number (see [`MetricsStore::latest_seq`]).
    pub after_seq: Option<i64>,
    /// Only the most recent N runs.
    pub limit: Option<u64>,
    pub variant: VariantFilter,
    /// Only runs of the team configuration with this hash.
    pub config_hash: Option<String>,
}

/// An argument of the SQL [`RunQuery::to_sql`] writes, for a backend to bind.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum SqlArg {
    Text(String),
    Integer(i64),
}

impl RunQuery {
    /// The SQL selecting `(seq, record_json)` of `team_id`'s runs that match, with its
    /// arguments, numbered placeholders written as `{placeholder}N` (`?` for SQLite, `$` for
    /// PostgreSQL). With a limit, the newest N are picked in an inner query and put back in
    /// recorded order outside.
    pub(crate) fn to_sql(&self, team_id: &str, placeholder: char) -> (String, Vec<SqlArg>) {
        let mut filter = format!("team_id = {placeholder}1");
        let mut args = vec![SqlArg::Text(team_id.to_string())];
        let bind = |args: &mut Vec<SqlArg>, filter: &mut String, clause: &str, arg| {
            args.push(arg);
            filter.push_str(&format!(" AND {clause} {placeholder}{}", args.len()));
        };
        if let Some(seq) = self.after_seq {
            bind(&mut args, &mut filter, "seq >", SqlArg::Integer(seq));
        }
        match self.variant {
            VariantFilter::Any => {}
            VariantFilter::Unlabelled => filter.push_str(" AND variant IS NULL"),
            VariantFilter::Only(v) => bind(
                &mut args,
                &mut filter,
                "variant =",
                SqlArg::Text(v.as_str().to_string()),
            ),
        }
        if let Some(hash) = &self.config_hash {
            bind(
                &mut args,
                &mut filter,
                "config_hash =",
                SqlArg::Text(hash.clone()),
            );
        }
        let sql = match self.limit {
            None => format!("SELECT seq, record_json FROM team_runs WHERE {filter} ORDER BY seq"),
            Some(n) => {
                args.push(SqlArg::Integer(i64::try_from(n).unwrap_or(i64::MAX)));
                format!(
                    "SELECT seq, record_json FROM (SELECT seq, record_json FROM team_runs \
                     WHERE {filter} ORDER BY seq DESC LIMIT {placeholder}{}) newest ORDER BY seq",
                    args.len()
                )
            }
        };
        (sql, args)
    }

    /// All runs of the team.
    pub fn new() -> Self {
        Self::default()
    }

    pub fn after_seq(mut self, seq: i64) -> Self {
        self.after_seq = Some(seq);
        self
    }

    pub fn limit(mut self, n: u64) -> Self {
        self.limit = Some(n);
        self
    }

    pub fn variant(mut self, variant: Variant) -> Self {
        self.variant = VariantFilter::Only(variant);
        self
    }

    /// Only runs recorded outside an A/B test.
    pub fn unlabelled(mut self) -> Self {
        self.variant = VariantFilter::Unlabelled;
        self
    }

    pub fn config_hash(mut self, hash: impl Into<String>) -> Self {
        self.config_hash = Some(hash.into());
        self
    }
}

/// A team run as stored, with the sequence number the store gave it. Sequence numbers grow
/// with recording order across all teams, so "runs after seq N" means "runs recorded later".
#[derive(Debug, Clone, PartialEq)]
pub struct StoredTeamRun {
    pub seq: i64,
    pub record: TeamRunRecord,
}

/// Output shape of [`MetricsStore::export_team_runs`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// One JSON array of records.
    Json,
    /// One JSON record per line.
    Jsonl,
    /// One row per team run with the flat columns of [`CSV_COLUMNS`](crate::CSV_COLUMNS).
    Csv,
}

impl ExportFormat {
    pub const ALL: [ExportFormat; 3] = [ExportFormat::Json, ExportFormat::Jsonl, ExportFormat::Csv];

    pub fn as_str(self) -> &'static str {
        match self {
            ExportFormat::Json => "json",
            ExportFormat::Jsonl => "jsonl",
            ExportFormat::Csv => "csv",
        }
    }
}

impl fmt::Display for ExportFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text was not one of `json`, `jsonl`, `csv`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown export format '{0}' (expected json, jsonl or csv)")]
pub struct UnknownExportFormat(pub String);

impl FromStr for ExportFormat {
    type Err = UnknownExportFormat;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ExportFormat::ALL
            .into_iter()
            .find(|f| f.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownExportFormat(s.to_string()))
    }
}

/// Where team run metrics are kept. Object safe: callers hold a `Box<dyn MetricsStore>`.
pub trait MetricsStore {
    /// Records workflow runs and every team run inside them, all or nothing, in one
    /// transaction. A team record without `run_id`, `workflow` or `variant` inherits its
    /// workflow run's. A run id that is already stored fails the whole batch with
    /// [`StoreError::DuplicateRun`].
    fn record_runs(&mut self, runs: &[WorkflowRunRecord]) -> Result<(), StoreError>;

    /// The team's runs that match `query`, oldest first.
    fn team_runs(&self, team_id: &str, query: &RunQuery) -> Result<Vec<TeamRunRecord>, StoreError> {
        Ok(self
            .stored_team_runs(team_id, query)?
            .into_iter()
            .map(|r| r.record)
            .collect())
    }

    /// Like [`team_runs`](Self::team_runs), with each run's sequence number.
    fn stored_team_runs(
        &self,
        team_id: &str,
        query: &RunQuery,
    ) -> Result<Vec<StoredTeamRun>, StoreError>;

    /// How many runs of the team are stored.
    fn team_run_count(&self, team_id: &str) -> Result<u64, StoreError>;

    /// The sequence number of the team's newest run, `None` if it has none.
    fn latest_seq(&self, team_id: &str) -> Result<Option<i64>, StoreError>;

    /// Every team id with at least one run, sorted.
    fn team_ids(&self) -> Result<Vec<String>, StoreError>;

    /// Streams all of the team's runs, oldest first, to `out` without holding them all in
    /// memory. Returns how many records were written.
    fn export_team_runs(
        &self,
        team_id: &str,
        format: ExportFormat,
        out: &mut dyn Write,
    ) -> Result<u64, StoreError>;
}

/// A team record stands alone once stored, so it takes the run id, workflow and variant of
/// its workflow run where the engine left them out.
pub(crate) fn inherit_from_run<'a>(
    team: &'a TeamRunRecord,
    run: &WorkflowRunRecord,
) -> Cow<'a, TeamRunRecord> {
    let needs_run_id = team.run_id.is_none();
    let needs_workflow = team.workflow.is_none();
    let needs_variant = team.variant.is_none() && run.variant.is_some();
    if !(needs_run_id || needs_workflow || needs_variant) {
        return Cow::Borrowed(team);
    }
    let mut owned = team.clone();
    if needs_run_id {
        owned.run_id = Some(run.run_id.clone());
    }
    if needs_workflow {
        owned.workflow = Some(run.workflow.clone());
    }
    if needs_variant {
        owned.variant = run.variant;
    }
    Cow::Owned(owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_format_parses_its_own_names() {
        for f in ExportFormat::ALL {
            assert_eq!(f.as_str().parse::<ExportFormat>(), Ok(f));
        }
        assert_eq!("CSV".parse::<ExportFormat>(), Ok(ExportFormat::Csv));
        assert!("xml".parse::<ExportFormat>().is_err());
    }

    #[test]
    fn builder_sets_every_filter() {
        let q = RunQuery::new()
            .after_seq(3)
            .limit(10)
            .variant(Variant::Candidate)
            .config_hash("abc");
        assert_eq!(q.after_seq, Some(3));
        assert_eq!(q.limit, Some(10));
        assert_eq!(q.variant, VariantFilter::Only(Variant::Candidate));
        assert_eq!(q.config_hash.as_deref(), Some("abc"));
        assert_eq!(
            RunQuery::new().unlabelled().variant,
            VariantFilter::Unlabelled
        );
    }
}
