//! Applying suggestions: each candidate configuration is A/B tested against the current one
//! (unless told not to), and a change that passes is written into the user's workflow file in
//! place. The write is crash-safe: a `pending` history entry holding the whole previous file
//! is committed first, the file is replaced atomically, then the entry is marked `kept`. If
//! the process dies between the steps, [`reconcile`](crate::history) later finds the file as
//! either the old or the new text and settles the entry to match.

use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde::Serialize;
use serde_json::Value as Json;
use teamtune_analysis::twin::{Objective, TuningLimits};
use teamtune_analysis::{
    AbMetric, AbStatus, Comparison, DecisionRules, Guardrail, MetricsSnapshot, SequentialDecision,
    SequentialInfo, Suggestion, apply_suggestion, samples_from_store, suggest,
};
use teamtune_engine::{HitlPolicy, run_seed};
use teamtune_model::{TeamConfig, TeamRunRecord, Workflow, apply_team_config, load_file};
use teamtune_store::{HistoryKind, HistoryStatus, NewHistoryEntry, RunQuery, Store};

use crate::ab::{AbPlan, run_ab};
use crate::autotuner::{Access, Autotuner};
use crate::change_record::{self, ApplyRecord};
use crate::error::Error;
use crate::record::Recorder;
use crate::suggestion_file::SuggestionFile;
use crate::suggestion_fit::misfit;
use crate::trial::{Trial, TrialRunner, WorkflowRunner};
use crate::tune::TwinEnd;
use crate::workers::{JobSource, QueuedRunner};

/// Which suggestions to try.
#[derive(Debug, Clone)]
pub enum ApplyMode {
    /// Ask the observer about each suggestion; after a kept change the suggestions are
    /// recomputed for the new configuration.
    Interactive,
    /// Greedy: in priority order, each tested against the current best, until none passes or
    /// `max_changes` are kept; suggestions are recomputed after each kept change.
    Auto,
    /// These suggestions, in this order.
    Suggestions(Vec<Suggestion>),
    /// The suggestions of a file `suggest --output` wrote, in its order: refused when made
    /// for another team, or for an older version of the team that they no longer fit.
    File(SuggestionFile),
}

/// An observer's answer for one suggestion in interactive mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    Apply,
    Skip,
    Quit,
}

/// A step of the write sequence, for failure-injection tests.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailPoint {
    AfterHistory,
    AfterWrite,
}

/// Receives what `apply` has to say, and answers interactive questions.
pub trait ApplyObserver {
    fn note(&mut self, _message: &str) {}
    fn progress(&mut self, _done: u64, _total: u64) {}
    /// A change was tried (and tested, unless `--no-ab-test`): its result, as soon as it is
    /// known.
    fn tried(&mut self, _result: &OptimizationResult) {}
    fn choose(&mut self, _suggestion: &Suggestion) -> Choice {
        Choice::Apply
    }
}

/// An observer that says nothing and applies everything it is asked about.
#[derive(Debug, Default)]
pub struct Quiet;
impl ApplyObserver for Quiet {}

#[derive(Debug, Clone)]
pub struct ApplyOptions {
    pub team_id: String,
    pub config: PathBuf,
    pub mode: ApplyMode,
    pub ab_test: bool,
    pub runs: u64,
    pub threshold_percent: f64,
    pub dry_run: bool,
    pub max_changes: usize,
    pub auto_rollback: bool,
    /// Runs after a kept change that the auto-rollback check compares.
    pub auto_rollback_runs: u64,
    pub seed: u64,
    pub hitl: HitlPolicy,
    pub inputs: IndexMap<String, Json>,
    /// What `--auto` minimises (seconds per successful run by default).
    pub objective: Objective,
    /// Candidates below this success rate are not tried.
    pub min_success: Option<f64>,
    /// Team runs `--auto` may spend in all: the history it records and both sides of every
    /// A/B test.
    pub max_trial_runs: u64,
    /// Runs of the current configuration `--auto` wants before fitting the team's twin.
    pub history_runs: u64,
    /// What tuning may change (the team's `tuning:` block adds to it).
    pub limits: TuningLimits,
    /// Use the twin in `--auto` (else only the rule strategies).
    pub twin: bool,
    #[doc(hidden)]
    pub fail_at: Option<FailPoint>,
}

impl ApplyOptions {
    /// Runs per side of each A/B test.
    pub const DEFAULT_RUNS: u64 = 10;
    /// Minimum improvement (percent) for a change to pass.
    pub const DEFAULT_THRESHOLD_PERCENT: f64 = 5.0;
    /// Kept changes after which `apply` stops.
    pub const DEFAULT_MAX_CHANGES: usize = 3;
    /// Runs after a kept change that the auto-rollback check compares.
    pub const DEFAULT_AUTO_ROLLBACK_RUNS: u64 = 10;
    /// Base seed of the trial runs.
    pub const DEFAULT_SEED: u64 = 0;
    /// How HITL gates are answered during trial runs.
    pub const DEFAULT_HITL: HitlPolicy = HitlPolicy::Approve;
    /// Team runs `--auto` may spend.
    pub const DEFAULT_MAX_TRIAL_RUNS: u64 = 300;
    /// Runs of the current configuration the twin is fitted from at first.
    pub const DEFAULT_HISTORY_RUNS: u64 = 20;

    /// Options with the defaults above: A/B tests on, auto-rollback on, no dry run.
    pub fn new(team_id: impl Into<String>, config: impl Into<PathBuf>, mode: ApplyMode) -> Self {
        ApplyOptions {
            team_id: team_id.into(),
            config: config.into(),
            mode,
            ab_test: true,
            runs: Self::DEFAULT_RUNS,
            threshold_percent: Self::DEFAULT_THRESHOLD_PERCENT,
            dry_run: false,
            max_changes: Self::DEFAULT_MAX_CHANGES,
            auto_rollback: true,
            auto_rollback_runs: Self::DEFAULT_AUTO_ROLLBACK_RUNS,
            seed: Self::DEFAULT_SEED,
            hitl: Self::DEFAULT_HITL,
            inputs: IndexMap::new(),
            objective: Objective::default(),
            min_success: None,
            max_trial_runs: Self::DEFAULT_MAX_TRIAL_RUNS,
            history_runs: Self::DEFAULT_HISTORY_RUNS,
            limits: TuningLimits::default(),
            twin: true,
            fail_at: None,
        }
    }
}

/// One change tried: the Victor `OptimizationResult`, with the real statistics.
#[derive(Debug, Clone, Serialize)]
pub struct OptimizationResult {
    pub success: bool,
    pub team_id: String,
    pub optimization: Suggestion,
    pub before_metrics: Option<MetricsSnapshot>,
    pub after_metrics: Option<MetricsSnapshot>,
    pub improvement_percentage: Option<f64>,
    pub validation_status: AbStatus,
    pub reason: String,
    /// What the A/B test judged: `duration`, or `success_rate` for a reliability change.
    pub metric: Option<AbMetric>,
    pub statistics: Option<Comparison>,
    /// Fisher's exact test on the success rates (success-rate tests only).
    pub fisher: Option<teamtune_analysis::stats::fisher::FisherResult>,
    /// An inconclusive duration test with a faster candidate: the runs per side that would
    /// likely decide it (`--runs`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runs_to_decide: Option<u64>,
    pub guardrails: Vec<Guardrail>,
    /// The configuration to return to: the team as it was before this change.
    pub rollback_config: TeamConfig,
    pub suggested_config: TeamConfig,
    /// The history index of the kept change (as `teamtune history` lists it).
    pub history_index: Option<u64>,
    pub error: Option<String>,
    /// What the result was judged on (`twin_search` changes: the objective).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub objective: Option<Objective>,
    /// How the sequential test ran, when one decided the result.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sequential: Option<SequentialInfo>,
    /// The sequential test's verdict in full: the interval, the guardrails.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sequential_decision: Option<SequentialDecision>,
    /// Team runs the test spent (both sides).
    pub trial_runs: u64,
    /// The runs were of simulated members: the figures describe the simulator.
    pub simulated: bool,
}

impl OptimizationResult {
    /// The result for `suggestion` before any test: not applied.
    pub(crate) fn untested(
        opts: &ApplyOptions,
        state: &Current,
        suggestion: &Suggestion,
        suggested_config: TeamConfig,
        simulated: bool,
    ) -> Self {
        OptimizationResult {
            success: false,
            team_id: opts.team_id.clone(),
            optimization: suggestion.clone(),
            before_metrics: None,
            after_metrics: None,
            improvement_percentage: None,
            validation_status: AbStatus::Failed,
            reason: String::new(),
            metric: None,
            statistics: None,
            fisher: None,
            runs_to_decide: None,
            guardrails: Vec::new(),
            rollback_config: state.config.clone(),
            suggested_config,
            history_index: None,
            error: None,
            objective: None,
            sequential: None,
            sequential_decision: None,
            trial_runs: 0,
            simulated,
        }
    }
}

impl Autotuner {
    /// Tries suggestions for a team and keeps the ones that prove themselves.
    ///
    /// ```
    /// use teamtune::{ApplyMode, ApplyOptions, Autotuner, MetricsSource, Quiet};
    ///
    /// let dir = tempfile::tempdir()?;
    /// let file = dir.path().join("audit.yaml");
    /// std::fs::write(&file, "workflows:
    ///   audit:
    ///     nodes:
    ///       - id: audit_team
    ///         type: team
    ///         team_formation: sequential  # four independent auditors, one after another
    ///         sim: {work_calls: 40, think_s: 10, failure_rate: 0}
    ///         members: [{id: a}, {id: b}, {id: c}, {id: d}]
    /// ")?;
    /// let tuner = Autotuner::new(dir.path().join("store.db"));
    /// // No history yet: apply records the baseline first, then A/B tests each suggestion.
    /// let results = tuner.apply(&ApplyOptions::new("audit_team", &file, ApplyMode::Auto), &mut Quiet)?;
    /// assert_eq!(results[0].validation_status, teamtune::AbStatus::Passed);
    /// assert!(std::fs::read_to_string(&file)?.contains("team_formation: parallel  # four"));
    ///
    /// assert_eq!(tuner.history("audit_team")?.len(), results.iter().filter(|r| r.history_index.is_some()).count());
    /// tuner.rollback("audit_team", 0, false)?; // the file is back, byte for byte
    /// let report = tuner.suggest("audit_team", &file, &MetricsSource::Store)?;
    /// assert_eq!(report.suggestions[0].suggested_config["team_formation"], "parallel");
    /// assert!(std::fs::read_to_string(&file)?.contains("team_formation: sequential  # four"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn apply(
        &self,
        opts: &ApplyOptions,
        observer: &mut dyn ApplyObserver,
    ) -> Result<Vec<OptimizationResult>, Error> {
        let file = load_file(&opts.config)?;
        let workflow = file.resolve_team(&opts.team_id)?.0.clone();
        let mut runner = WorkflowRunner::new(
            workflow,
            opts.config.display().to_string(),
            opts.hitl,
            opts.inputs.clone(),
        )?;
        match self.trial_queue()? {
            None => self.apply_with(opts, &mut runner, observer),
            Some(queue) => {
                let source = JobSource {
                    file: opts.config.display().to_string(),
                    text: file.source.clone(),
                };
                let mut queued = QueuedRunner::new(
                    runner,
                    queue,
                    (source.clone(), source),
                    opts.hitl,
                    opts.inputs.clone(),
                )?;
                self.apply_with(opts, &mut queued, observer)
            }
        }
    }

    /// [`apply`](Self::apply) with trial runs made by `runner` (which may hold a different
    /// copy of the workflow than the file being edited, as the benchmark's does).
    pub fn apply_with(
        &self,
        opts: &ApplyOptions,
        runner: &mut dyn TrialRunner,
        observer: &mut dyn ApplyObserver,
    ) -> Result<Vec<OptimizationResult>, Error> {
        // Inputs first: nothing (not even the store) is created for a run that cannot start.
        let file = load_file(&opts.config)?;
        let (_, team) = file.resolve_team(&opts.team_id)?;
        for note in crate::apply_check::check_suggestions(opts, &file.source, team)? {
            observer.note(&note);
        }
        let removed =
            crate::fs::remove_stale_temp_files(&opts.config).map_err(|e| Error::Input {
                path: opts.config.clone(),
                message: format!("cannot clear temporary files of killed processes beside it: {e}"),
            })?;
        if !removed.is_empty() {
            observer.note(&format!(
                "removed {} temporary file(s) that killed processes left beside {}",
                removed.len(),
                opts.config.display()
            ));
        }
        self.using_store(Access::Create, |store| {
            self.apply_on(store, runner, opts, observer)
        })
    }

    fn apply_on(
        &self,
        store: &mut dyn Store,
        runner: &mut dyn TrialRunner,
        opts: &ApplyOptions,
        observer: &mut dyn ApplyObserver,
    ) -> Result<Vec<OptimizationResult>, Error> {
        crate::history::reconcile(store, &opts.team_id)?;
        let file = load_file(&opts.config)?;
        let (workflow, team) = file.resolve_team(&opts.team_id)?;
        let team = team.clone();
        let config = TeamConfig::of(&team);
        let mut state = Current {
            text: file.source.clone(),
            workflow: workflow.clone(),
            hash: runner.config_hash(&opts.team_id, &config)?,
            config,
        };

        let mut queue: Vec<Suggestion> = match &opts.mode {
            ApplyMode::Suggestions(list) => list.clone(),
            ApplyMode::File(f) => f.suggestions.clone(),
            ApplyMode::Auto | ApplyMode::Interactive => {
                if matches!(opts.mode, ApplyMode::Auto) && opts.twin {
                    let mut results = Vec::new();
                    match self.tune_with_twin(
                        store,
                        runner,
                        opts,
                        &mut state,
                        observer,
                        &mut results,
                    )? {
                        TwinEnd::Done => return Ok(results),
                        TwinEnd::Fallback(why)
                            if opts.objective != Objective::SecondsPerSuccess =>
                        {
                            observer.note(&format!(
                                "{why}; the rule strategies minimise seconds per successful run, not {}: nothing is tried",
                                opts.objective.as_str()
                            ));
                            return Ok(results);
                        }
                        TwinEnd::Fallback(why) => {
                            observer.note(&format!("{why}: trying the rule strategies instead"));
                        }
                    }
                }
                let (records, _) = self.history_of(store, runner, opts, &state, observer, 3)?;
                let samples = samples_from_store(&records, Some(&opts.team_id));
                suggest(&samples, &state.config, &self.baselines, &self.strategies)
            }
        };
        if queue.is_empty() {
            observer.note("no suggestions for this team: nothing to apply");
        }
        let mut tried = std::collections::HashSet::new();
        let mut results = Vec::new();
        let mut kept = 0;
        while !queue.is_empty() {
            let s = queue.remove(0);
            if kept >= opts.max_changes {
                break;
            }
            if !tried.insert(s.id.clone()) {
                continue;
            }
            if matches!(opts.mode, ApplyMode::Auto) && s.expected_improvement <= 0.0 {
                // Expected to gain nothing: not worth the trial runs of an A/B test.
                continue;
            }
            let may_drop = team
                .tuning
                .as_ref()
                .and_then(|t| t.may_drop_members)
                .unwrap_or(opts.limits.may_drop_members);
            if matches!(opts.mode, ApplyMode::Auto)
                && !may_drop
                && apply_suggestion(&state.config, &s)
                    .is_ok_and(|c| crate::coverage::changes_coverage(&team, &c))
            {
                observer.note(&format!(
                    "not trying {}: it drops or clones a member with its own goal (what the team covers would change)",
                    s.id
                ));
                continue;
            }
            if matches!(opts.mode, ApplyMode::Interactive) {
                match observer.choose(&s) {
                    Choice::Apply => {}
                    Choice::Skip => continue,
                    Choice::Quit => break,
                }
            }
            let result = self.try_one(store, runner, opts, &mut state, &s, observer)?;
            observer.tried(&result);
            let applied = result.success && result.history_index.is_some();
            results.push(result);
            if applied {
                kept += 1;
                if matches!(opts.mode, ApplyMode::Auto | ApplyMode::Interactive) {
                    // The candidate runs of the kept change are the new configuration's history:
                    // suggestions made for the old configuration no longer hold.
                    let records = store.team_runs(
                        &opts.team_id,
                        &RunQuery::new().config_hash(state.hash.clone()),
                    )?;
                    let samples = samples_from_store(&records, Some(&opts.team_id));
                    queue = suggest(&samples, &state.config, &self.baselines, &self.strategies)
                        .into_iter()
                        .filter(|n| !tried.contains(&n.id))
                        .collect();
                }
            }
        }
        Ok(results)
    }

    /// The team's recorded runs under its current configuration; runs the baseline first
    /// when there are too few to analyse.
    /// The team's recorded runs under its current configuration, topped up to `want` runs
    /// (or, below 3, to a baseline of `--runs`, at least 10) by running it; with the runs it
    /// made.
    pub(crate) fn history_of(
        &self,
        store: &mut dyn Store,
        runner: &mut dyn TrialRunner,
        opts: &ApplyOptions,
        state: &Current,
        observer: &mut dyn ApplyObserver,
        want: u64,
    ) -> Result<(Vec<TeamRunRecord>, u64), Error> {
        let query = RunQuery::new().config_hash(state.hash.clone());
        let mut records = store.team_runs(&opts.team_id, &query)?;
        let have = records.len() as u64;
        let mut made = 0;
        if have < want.max(3) {
            let runs = if want <= 3 {
                opts.runs.max(10)
            } else {
                want - have
            };
            observer.note(&format!(
                "no recorded history of team `{}` in its current configuration: running the baseline {runs} times first",
                opts.team_id
            ));
            let trials: Vec<Trial> = (0..runs)
                .map(|i| Trial {
                    config: state.config.clone(),
                    seed: run_seed(opts.seed ^ 0xba5e, i),
                    variant: None,
                })
                .collect();
            let batch = runner.run_trials(&opts.team_id, &trials, &mut |done| {
                observer.progress(done, runs)
            });
            // The runs that finished before an error or a stop are kept.
            let mut recorder = Recorder::new(store);
            for r in batch.records {
                recorder.push(r)?;
            }
            recorder.flush()?;
            if let Some(e) = batch.error {
                return Err(e);
            }
            made = runs;
            records = store.team_runs(&opts.team_id, &query)?;
        }
        Ok((records, made))
    }

    fn try_one(
        &self,
        store: &mut dyn Store,
        runner: &mut dyn TrialRunner,
        opts: &ApplyOptions,
        state: &mut Current,
        s: &Suggestion,
        observer: &mut dyn ApplyObserver,
    ) -> Result<OptimizationResult, Error> {
        let mut result = OptimizationResult::untested(
            opts,
            state,
            s,
            state.config.clone(),
            runner.is_simulated(),
        );
        let candidate_cfg = match apply_suggestion(&state.config, s) {
            Ok(c) => c,
            Err(e) => {
                result.error = Some(e.to_string());
                result.reason = "the suggestion does not apply to this team".into();
                return Ok(result);
            }
        };
        result.suggested_config = candidate_cfg.clone();
        if matches!(opts.mode, ApplyMode::Suggestions(_) | ApplyMode::File(_))
            && let Some(m) = misfit(&state.config, s)
        {
            // Made for the team before a change kept earlier in this run.
            result.validation_status = AbStatus::Inconclusive;
            result.reason = format!(
                "not tried: a change kept earlier in this run altered what it was made for ({m})"
            );
            return Ok(result);
        }
        if candidate_cfg == state.config {
            result.validation_status = AbStatus::Inconclusive;
            result.reason = "the suggestion changes nothing in the current configuration".into();
            return Ok(result);
        }
        // The edited file must load and validate before any trial runs the candidate.
        if let Err(reason) = crate::apply_check::edited_text(opts, &state.text, &state.config, s) {
            result.error = Some(reason);
            result.reason = "the suggestion would make the workflow file invalid".into();
            return Ok(result);
        }
        let candidate_wf = match state
            .workflow
            .with_team_config(&opts.team_id, &candidate_cfg)
        {
            Ok(w) => w,
            Err(e) => {
                result.error = Some(e);
                return Ok(result);
            }
        };
        if opts.dry_run {
            result.success = true;
            result.validation_status = AbStatus::DryRun;
            result.reason = "dry run: nothing was run or written".into();
            return Ok(result);
        }
        if opts.ab_test {
            let metric = s.ab_metric;
            // Success rates need more runs than durations to tell apart.
            let runs = if metric == AbMetric::SuccessRate {
                opts.runs * RELIABILITY_RUNS_FACTOR
            } else {
                opts.runs
            };
            observer.note(&format!(
                "A/B test of {} ({}): {runs} runs per side",
                s.id,
                if metric == AbMetric::SuccessRate {
                    "success rate"
                } else {
                    "duration"
                }
            ));
            let plan = AbPlan {
                team_id: opts.team_id.clone(),
                runs,
                seed: opts.seed,
                rules: DecisionRules {
                    threshold_percent: opts.threshold_percent,
                    ..DecisionRules::default()
                },
                metric,
            };
            let mut progress = |d, t| observer.progress(d, t);
            let ab = run_ab(
                runner,
                (&state.config, &candidate_cfg),
                &plan,
                Some(&mut *store),
                &mut progress,
            )?;
            result.trial_runs = (ab.baseline.len() + ab.candidate.len()) as u64;
            let d = ab.decision;
            result.validation_status = d.status;
            result.reason = d.reason.clone();
            result.improvement_percentage = Some(d.improvement_percentage);
            result.statistics = Some(d.statistics.clone());
            result.metric = Some(d.metric);
            result.fisher = d.fisher;
            result.runs_to_decide = d.runs_to_decide;
            result.guardrails = d.guardrails.clone();
            result.before_metrics = Some(d.before.clone());
            result.after_metrics = Some(d.after.clone());
            if d.status != AbStatus::Passed {
                return Ok(result);
            }
        } else {
            result.validation_status = AbStatus::Skipped;
            result.reason = "A/B test disabled: applied directly, guarded by auto-rollback".into();
        }
        let new_hash = runner.config_hash(&opts.team_id, &candidate_cfg)?;
        let index = self.write_change(store, opts, state, &candidate_cfg, &new_hash, &result)?;
        result.history_index = Some(index);
        result.success = true;
        state.text = std::fs::read_to_string(&opts.config).map_err(|e| Error::Input {
            path: opts.config.clone(),
            message: e.to_string(),
        })?;
        state.workflow = candidate_wf;
        state.config = candidate_cfg;
        state.hash = new_hash;
        Ok(result)
    }

    /// history entry (pending) -> atomic file write -> entry kept; returns the entry's index.
    pub(crate) fn write_change(
        &self,
        store: &mut dyn Store,
        opts: &ApplyOptions,
        state: &Current,
        new_cfg: &TeamConfig,
        new_hash: &str,
        result: &OptimizationResult,
    ) -> Result<u64, Error> {
        let path = &opts.config;
        let new_text =
            apply_team_config(&state.text, path, &opts.team_id, new_cfg).map_err(|source| {
                Error::Edit {
                    path: path.clone(),
                    source: Box::new(source),
                }
            })?;
        let on_disk = std::fs::read_to_string(path).map_err(|e| Error::Input {
            path: path.clone(),
            message: e.to_string(),
        })?;
        if on_disk != state.text {
            return Err(Error::FileChanged {
                path: path.clone(),
                when: "while the A/B test ran; not writing over it (run apply again)".into(),
            });
        }
        let apply_seq = store.latest_seq(&opts.team_id)?;
        let entry = store.add_history(&NewHistoryEntry {
            team_id: opts.team_id.clone(),
            kind: HistoryKind::Apply,
            file_path: absolute(path),
            previous_content: state.text.clone(),
            new_content: new_text.clone(),
            suggestion: serde_json::to_value(&result.optimization).ok(),
            result: change_record::write(&ApplyRecord {
                validation_status: result.validation_status,
                improvement_percentage: result.improvement_percentage,
                old_config_hash: state.hash.clone(),
                new_config_hash: new_hash.to_string(),
                apply_seq,
                auto_rollback: opts.auto_rollback,
                auto_rollback_runs: opts.auto_rollback_runs,
                threshold_percent: opts.threshold_percent,
                ab_metric: result.optimization.ab_metric,
            }),
            status: HistoryStatus::Pending,
            pre_change_seq: apply_seq,
            note: Some(result.optimization.description.clone()),
        })?;
        if opts.fail_at == Some(FailPoint::AfterHistory) {
            return Err(Error::Injected(FailPoint::AfterHistory));
        }
        crate::atomic_write(path, new_text.as_bytes())?;
        if opts.fail_at == Some(FailPoint::AfterWrite) {
            return Err(Error::Injected(FailPoint::AfterWrite));
        }
        store.set_history_status(entry.id, &HistoryStatus::Kept, None)?;
        Ok(entry.index)
    }
}

/// A/B runs per side for a success-rate test, as a multiple of `--runs`.
const RELIABILITY_RUNS_FACTOR: u64 = 3;

/// The configuration in effect while applying.
pub(crate) struct Current {
    pub text: String,
    pub workflow: Workflow,
    pub config: TeamConfig,
    pub hash: String,
}

pub(crate) fn absolute(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}
