//! Which of a team's stored runs an analysis reads, and how the report says so.
//!
//! A team's history in the store mixes configurations (every kept change starts a new one)
//! and trial runs (both sides of A/B tests and benchmarks, labelled with their variant).
//! Averaging them describes no configuration at all, so `analyze` and `suggest` read, by
//! default, the team's own runs of its current configuration: the configuration of the
//! workflow file when one is given, else that of the team's latest own run.
//! `--all-configs` and `--include-trials` widen the selection knowingly.

use std::path::PathBuf;

use serde::Serialize;
use teamtune_model::TeamRunRecord;

/// What to read; the default is the team's own runs of its current configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunSelection {
    /// The workflow file whose team names the current configuration (`suggest` always has
    /// one); without it, the configuration of the team's latest own run.
    pub config: Option<PathBuf>,
    /// Mix every configuration the team ran in.
    pub all_configs: bool,
    /// Count A/B-test and benchmark runs (labelled baseline or candidate) too.
    pub include_trials: bool,
}

/// Where the configuration hash of a selection came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HashSource {
    /// The team as written in the workflow file (`--config`).
    ConfigFile,
    /// The team's latest run in the selection.
    LatestRun,
}

/// What a report read, stated in the report (`scope` in the JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunScope {
    /// `None` when configurations were mixed (`--all-configs`) or the source is a metrics
    /// file.
    pub config_hash: Option<String>,
    pub hash_from: Option<HashSource>,
    pub all_configs: bool,
    pub include_trials: bool,
    /// The team's runs in the store that the selection left out.
    pub left_out: usize,
    /// Read from a metrics file (`--metrics`), which is read whole.
    pub metrics_file: bool,
}

impl RunScope {
    /// A metrics file is read whole: it is the user's own selection.
    pub(crate) fn whole_file() -> Self {
        Self {
            config_hash: None,
            hash_from: None,
            all_configs: true,
            include_trials: true,
            left_out: 0,
            metrics_file: true,
        }
    }

    /// One line for human reports, e.g. "its current configuration 3f2a9c1e (from the
    /// workflow file); 24 runs of other configurations and trials left out".
    pub fn describe(&self) -> String {
        if self.metrics_file {
            return "every record of the metrics file".to_string();
        }
        let what = match (&self.config_hash, self.hash_from) {
            (Some(h), Some(HashSource::ConfigFile)) => {
                format!("configuration {} (as in the workflow file)", short(h))
            }
            (Some(h), _) => format!("configuration {} (of its latest run)", short(h)),
            (None, _) => "all configurations".to_string(),
        };
        let trials = if self.include_trials {
            ", trials included"
        } else {
            ""
        };
        if self.left_out == 0 {
            format!("{what}{trials}")
        } else {
            let widen = match (self.all_configs, self.include_trials) {
                (false, false) => "--all-configs, --include-trials",
                (false, true) => "--all-configs",
                (true, _) => "--include-trials",
            };
            format!("{what}{trials}; {} left out ({widen})", runs(self.left_out))
        }
    }
}

fn runs(n: usize) -> String {
    if n == 1 {
        "1 other run".to_string()
    } else {
        format!("{n} other runs")
    }
}

fn short(hash: &str) -> &str {
    &hash[..hash.len().min(8)]
}

/// The runs a selection picked, and the team's own runs of other configurations (its own
/// history, which `analyze` compares with by default).
pub(crate) struct Selected {
    pub chosen: Vec<TeamRunRecord>,
    pub other_configs: Vec<TeamRunRecord>,
    pub scope: RunScope,
}

/// Picks the runs of `all` (oldest first) that `selection` asks for. `file_hash` is the
/// configuration hash of the team in the workflow file, when one was given.
pub(crate) fn select(
    all: Vec<TeamRunRecord>,
    selection: &RunSelection,
    file_hash: Option<String>,
) -> Selected {
    let total = all.len();
    let own = |r: &TeamRunRecord| selection.include_trials || r.variant.is_none();
    let (hash, hash_from) = if selection.all_configs {
        (None, None)
    } else if let Some(h) = file_hash {
        (Some(h), Some(HashSource::ConfigFile))
    } else {
        let latest = all
            .iter()
            .rev()
            .find(|r| own(r))
            .and_then(|r| r.config_hash.clone());
        let from = latest.as_ref().map(|_| HashSource::LatestRun);
        (latest, from)
    };
    let (chosen, rest): (Vec<TeamRunRecord>, Vec<TeamRunRecord>) = all.into_iter().partition(|r| {
        own(r)
            && hash
                .as_ref()
                .is_none_or(|h| r.config_hash.as_ref() == Some(h))
    });
    let other_configs = rest.into_iter().filter(|r| r.variant.is_none()).collect();
    let scope = RunScope {
        config_hash: hash,
        hash_from,
        all_configs: selection.all_configs,
        include_trials: selection.include_trials,
        left_out: total - chosen.len(),
        metrics_file: false,
    };
    Selected {
        chosen,
        other_configs,
        scope,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use teamtune_model::Variant;

    fn run(hash: &str, variant: Option<Variant>) -> TeamRunRecord {
        TeamRunRecord {
            team_id: "t".into(),
            formation: "parallel".into(),
            member_count: 2,
            success: true,
            duration_seconds: 1.0,
            total_tool_calls: 0,
            unique_tools_used: Vec::new(),
            start_time: None,
            end_time: None,
            consensus_achieved: None,
            consensus_rounds: None,
            member_metrics: Default::default(),
            run_id: None,
            workflow: None,
            config_hash: Some(hash.into()),
            variant,
            experiment_id: None,
            tool_budget: None,
            timeout_seconds: None,
            error: None,
            stop_cause: None,
        }
    }

    fn history() -> Vec<TeamRunRecord> {
        vec![
            run("old", None),
            run("old", None),
            run("old", Some(Variant::Baseline)),
            run("new", Some(Variant::Candidate)),
            run("new", None),
            run("new", Some(Variant::Baseline)),
        ]
    }

    #[test]
    fn default_reads_own_runs_of_the_latest_configuration() {
        let Selected {
            chosen: runs,
            other_configs,
            scope,
        } = select(history(), &RunSelection::default(), None);
        assert_eq!(runs.len(), 1);
        assert_eq!(other_configs.len(), 2, "the old configuration's own runs");
        assert_eq!(scope.config_hash.as_deref(), Some("new"));
        assert_eq!(scope.hash_from, Some(HashSource::LatestRun));
        assert_eq!(scope.left_out, 5);
    }

    #[test]
    fn the_file_names_the_configuration() {
        let Selected {
            chosen: runs,
            scope,
            ..
        } = select(history(), &RunSelection::default(), Some("old".into()));
        assert_eq!(runs.len(), 2);
        assert_eq!(scope.hash_from, Some(HashSource::ConfigFile));
        let with_trials = RunSelection {
            include_trials: true,
            ..RunSelection::default()
        };
        assert_eq!(
            select(history(), &with_trials, Some("old".into()))
                .chosen
                .len(),
            3
        );
    }

    #[test]
    fn all_configs_mixes_knowingly() {
        let all = RunSelection {
            all_configs: true,
            include_trials: true,
            config: None,
        };
        let Selected {
            chosen: runs,
            scope,
            ..
        } = select(history(), &all, Some("old".into()));
        assert_eq!(runs.len(), 6);
        assert_eq!(scope.config_hash, None);
        assert_eq!(scope.left_out, 0);
        assert!(scope.describe().starts_with("all configurations"));
    }
}
