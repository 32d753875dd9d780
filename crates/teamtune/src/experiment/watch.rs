//! The continuous loop, one step at a time: [`Watcher::poll`] looks at the store and, once
//! enough new runs of the team have arrived, acts. With an experiment running it checks it
//! ([`Autotuner::check_experiment`]); with none, it first runs the auto-rollback check of the
//! team's latest kept change (a change still being watched for a regression blocks new
//! experiments), then asks `suggest` (twin first) for the best candidate not tried yet from
//! this configuration and starts an experiment with it.
//!
//! The watcher holds no state of its own that matters: experiments, decisions and history
//! are in the store, and every step re-reads them, so a watcher killed at any point and
//! started again carries on, recording each decision once. The caller (the CLI's `watch`)
//! owns the clock and the signals.

use std::collections::HashSet;
use std::path::PathBuf;

use serde::Serialize;
use teamtune_analysis::apply_suggestion;
use teamtune_model::{TeamConfig, load_file};
use teamtune_store::RunQuery;

use super::{Candidate, ExperimentCheck, ExperimentPlan, ExperimentVerdict, hash_of};
use crate::autotuner::{Access, Autotuner, MetricsSource};
use crate::error::Error;
use crate::history::CheckStatus;

/// What the loop watches and how it starts experiments.
#[derive(Debug, Clone)]
pub struct WatchOptions {
    pub team_id: String,
    pub config: PathBuf,
    /// Act after this many new runs of the team.
    pub every_runs: u64,
    pub share: f64,
    pub ramp: Vec<f64>,
    pub max_pairs: usize,
    pub threshold_percent: f64,
}

impl WatchOptions {
    pub const DEFAULT_EVERY_RUNS: u64 = 10;

    pub fn new(team_id: impl Into<String>, config: impl Into<PathBuf>) -> Self {
        WatchOptions {
            team_id: team_id.into(),
            config: config.into(),
            every_runs: Self::DEFAULT_EVERY_RUNS,
            share: ExperimentPlan::DEFAULT_SHARE,
            ramp: Vec::new(),
            max_pairs: ExperimentPlan::DEFAULT_MAX_PAIRS,
            threshold_percent: crate::ApplyOptions::DEFAULT_THRESHOLD_PERCENT,
        }
    }
}

/// What a decision of the loop was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WatchEventKind {
    Started,
    RaisedShare,
    Promoted,
    Aborted,
    Inconclusive,
    Stopped,
    /// A kept change held up over the runs after it.
    Verified,
    /// A kept change regressed and was rolled back (or could not be: see the message).
    RolledBack,
    /// Nothing left to try from the current configuration.
    NoCandidate,
}

impl WatchEventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            WatchEventKind::Started => "started",
            WatchEventKind::RaisedShare => "raised_share",
            WatchEventKind::Promoted => "promoted",
            WatchEventKind::Aborted => "aborted",
            WatchEventKind::Inconclusive => "inconclusive",
            WatchEventKind::Stopped => "stopped",
            WatchEventKind::Verified => "verified",
            WatchEventKind::RolledBack => "rolled_back",
            WatchEventKind::NoCandidate => "no_candidate",
        }
    }
}

/// One decision of the loop (`watch --json` prints one per line).
#[derive(Debug, Clone, Serialize)]
pub struct WatchEvent {
    pub timestamp: String,
    pub team_id: String,
    pub event: WatchEventKind,
    pub experiment_id: Option<i64>,
    /// The candidate's share after the decision.
    pub share: Option<f64>,
    /// The history entry the decision wrote (a promotion) or judged (verified, rolled back).
    pub history_index: Option<u64>,
    pub message: String,
    /// The experiment check behind it, with its evidence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check: Option<ExperimentCheck>,
}

/// The loop's state between polls: the newest run it has acted on.
#[derive(Debug)]
pub struct Watcher<'a> {
    tuner: &'a Autotuner,
    opts: WatchOptions,
    acted_at: Option<Option<i64>>,
    /// Configurations for which "nothing to try" was already said.
    told_no_candidate: HashSet<String>,
}

impl<'a> Watcher<'a> {
    pub fn new(tuner: &'a Autotuner, opts: WatchOptions) -> Self {
        Watcher {
            tuner,
            opts,
            acted_at: None,
            told_no_candidate: HashSet::new(),
        }
    }

    /// Acts if this is the first poll or `every_runs` new runs of the team arrived since the
    /// last action (`force`: act anyway). Returns the decisions taken.
    pub fn poll(&mut self, force: bool) -> Result<Vec<WatchEvent>, Error> {
        let team = self.opts.team_id.clone();
        let (latest, new_runs) = self.tuner.using_store(Access::Create, |store| {
            let latest = store.latest_seq(&team)?;
            let new_runs = match self.acted_at {
                Some(Some(seq)) => store
                    .stored_team_runs(&team, &RunQuery::new().after_seq(seq))?
                    .len() as u64,
                Some(None) => store.team_run_count(&team)?,
                None => u64::MAX,
            };
            Ok((latest, new_runs))
        })?;
        if !force && new_runs < self.opts.every_runs {
            return Ok(Vec::new());
        }
        self.acted_at = Some(latest);
        self.act()
    }

    fn event(&self, event: WatchEventKind, message: String) -> WatchEvent {
        WatchEvent {
            timestamp: crate::autotuner::now(),
            team_id: self.opts.team_id.clone(),
            event,
            experiment_id: None,
            share: None,
            history_index: None,
            message,
            check: None,
        }
    }

    fn act(&mut self) -> Result<Vec<WatchEvent>, Error> {
        let team = self.opts.team_id.clone();
        let running = self
            .tuner
            .using_store(Access::Create, |store| Ok(store.running_experiment(&team)?))?;
        if let Some(e) = running {
            let check = self.tuner.check_experiment(e.id)?;
            let kind = match check.verdict {
                ExperimentVerdict::RaiseShare => WatchEventKind::RaisedShare,
                ExperimentVerdict::Promote => WatchEventKind::Promoted,
                ExperimentVerdict::Abort => WatchEventKind::Aborted,
                ExperimentVerdict::Inconclusive => WatchEventKind::Inconclusive,
                ExperimentVerdict::Stop => WatchEventKind::Stopped,
                ExperimentVerdict::Continue | ExperimentVerdict::Ended => return Ok(Vec::new()),
            };
            if !check.recorded {
                // Another process recorded this decision; it is not ours to repeat.
                return Ok(Vec::new());
            }
            let mut ev = self.event(kind, check.reason.clone());
            ev.experiment_id = Some(e.id);
            ev.share = Some(check.share);
            ev.history_index = check.history_index;
            ev.check = Some(check);
            return Ok(vec![ev]);
        }

        let mut events = Vec::new();
        if let Some(report) = self.tuner.check(&team)? {
            match report.status {
                CheckStatus::Waiting => return Ok(events),
                CheckStatus::Verified => {
                    events.push(self.event(WatchEventKind::Verified, report.message.clone()))
                }
                CheckStatus::RolledBack | CheckStatus::Regressed => {
                    events.push(self.event(WatchEventKind::RolledBack, report.message.clone()))
                }
                CheckStatus::Disabled => {}
            }
        }
        events.extend(self.start_next()?);
        Ok(events)
    }

    /// Starts an experiment with the best suggestion not tried from this configuration.
    fn start_next(&mut self) -> Result<Option<WatchEvent>, Error> {
        let team_id = self.opts.team_id.clone();
        let report = match self
            .tuner
            .suggest(&team_id, &self.opts.config, &MetricsSource::Store)
        {
            Ok(r) => r,
            // Not enough runs of the current configuration yet: wait for them.
            Err(Error::NoRuns { .. } | Error::NoRunsInScope { .. }) => return Ok(None),
            Err(e) => return Err(e),
        };
        if (report.runs as u64) < self.opts.every_runs {
            return Ok(None);
        }
        let file = load_file(&self.opts.config)?;
        let (workflow, team) = file.resolve_team(&team_id)?;
        let control = TeamConfig::of(team);
        let control_hash = team.config_hash();
        let tried: HashSet<String> = self
            .tuner
            .experiments(Some(&team_id))?
            .into_iter()
            .filter(|e| e.control_hash == control_hash)
            .map(|e| e.candidate_hash)
            .collect();
        let may_drop = team
            .tuning
            .as_ref()
            .and_then(|t| t.may_drop_members)
            .unwrap_or(false);
        let pick = report.suggestions.into_iter().find(|s| {
            s.expected_improvement > 0.0
                && apply_suggestion(&control, s).is_ok_and(|c| {
                    (may_drop || !crate::coverage::changes_coverage(team, &c))
                        && hash_of(workflow, &team_id, &c)
                            .is_ok_and(|h| h != control_hash && !tried.contains(&h))
                })
        });
        let Some(suggestion) = pick else {
            if !self.told_no_candidate.insert(control_hash) {
                return Ok(None);
            }
            return Ok(Some(self.event(
                WatchEventKind::NoCandidate,
                "no suggestion left to try from the current configuration; watching for regressions".into(),
            )));
        };
        let mut plan = ExperimentPlan::new(
            &team_id,
            &self.opts.config,
            Candidate::Suggestion(Box::new(suggestion)),
        );
        plan.share = self.opts.share;
        plan.ramp.clone_from(&self.opts.ramp);
        plan.max_pairs = self.opts.max_pairs;
        plan.threshold_percent = self.opts.threshold_percent;
        let started = match self.tuner.start_experiment(&plan) {
            Ok(r) => r,
            // Another watcher started one first: the next poll checks it.
            Err(Error::ExperimentRunning { .. }) => return Ok(None),
            Err(e) => return Err(e),
        };
        let mut ev = self.event(
            WatchEventKind::Started,
            started
                .decisions
                .first()
                .map_or_else(String::new, |d| d.reason.clone()),
        );
        ev.experiment_id = Some(started.experiment.id);
        ev.share = Some(started.experiment.share);
        Ok(Some(ev))
    }
}
