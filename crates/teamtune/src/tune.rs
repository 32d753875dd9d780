//! `apply --auto` with the team's twin: fit the twin from the team's runs, search the whole
//! space the tuning rules allow in it, and prove the best configuration with a sequential A/B
//! test. A rejected candidate's runs (both sides) go back into the twin, which is refitted
//! before the next candidate; a kept one becomes the new baseline. The loop ends when the
//! twin predicts no configuration beats the current one by the threshold, `--max-changes`
//! are kept, or the trial budget (`--max-trial-runs`) is spent. Without a twin that fits its
//! own records, `apply` falls back to the rule strategies.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use teamtune_analysis::twin::{
    MemberInfo, Objective, Observation, SearchSettings, SearchSpace, Twin, search, twin_suggestion,
};
use teamtune_analysis::{
    AbStatus, RunOutcome, SequentialObjective, SequentialRules, pairs_needed, tail_threshold,
};
use teamtune_model::TeamConfig;
use teamtune_store::Store;

use crate::ab::run_sequential_ab;
use crate::apply::{ApplyObserver, ApplyOptions, Current, OptimizationResult};
use crate::autotuner::Autotuner;
use crate::error::Error;
use crate::trial::TrialRunner;

/// How the twin loop ended.
pub(crate) enum TwinEnd {
    /// Tuning is over (changes kept or not).
    Done,
    /// No usable twin: the rule strategies should try.
    Fallback(String),
}

/// Fewest pairs a test is worth starting with.
const MIN_TEST_PAIRS: u64 = 8;
/// Most pairs one test may use.
const MAX_TEST_PAIRS: u64 = 60;

impl Autotuner {
    pub(crate) fn tune_with_twin(
        &self,
        store: &mut dyn Store,
        runner: &mut dyn TrialRunner,
        opts: &ApplyOptions,
        state: &mut Current,
        observer: &mut dyn ApplyObserver,
        results: &mut Vec<OptimizationResult>,
    ) -> Result<TwinEnd, Error> {
        let (history, made) =
            self.history_of(store, runner, opts, state, observer, opts.history_runs)?;
        let mut spent = made;
        let mut observations = vec![Observation::new(state.config.clone(), history)];
        let mut tried: Vec<TeamConfig> = Vec::new();
        let mut kept = 0;
        let mut round = 0u64;
        loop {
            round += 1;
            let twin = match Twin::fit(&opts.team_id, &observations) {
                Ok(t) => t,
                Err(e) if kept == 0 && tried.is_empty() => {
                    return Ok(TwinEnd::Fallback(e.to_string()));
                }
                Err(e) => {
                    observer.note(&e.to_string());
                    return Ok(TwinEnd::Done);
                }
            };
            if opts.objective == Objective::TokensPerSuccess && !twin.reports_tokens {
                return Err(Error::NoTokens {
                    team_id: opts.team_id.clone(),
                });
            }
            let fit = twin.check(opts.seed ^ round);
            if !fit.ok {
                let why = format!(
                    "the team's twin does not reproduce its runs ({})",
                    fit.problem.as_deref().unwrap_or("poor fit")
                );
                if kept == 0 && tried.is_empty() {
                    return Ok(TwinEnd::Fallback(why));
                }
                observer.note(&why);
                return Ok(TwinEnd::Done);
            }
            let members = state
                .workflow
                .team(&opts.team_id)
                .map(MemberInfo::of_team)
                .unwrap_or_default();
            let limits = match state.workflow.team(&opts.team_id) {
                Some(team) => opts.limits.clone().for_team(team),
                None => opts.limits.clone(),
            };
            let space = SearchSpace::new(&state.config, &members, &limits);
            let settings = SearchSettings {
                objective: opts.objective,
                min_success: opts.min_success,
                seed: opts.seed ^ (round << 8),
                exclude: tried.clone(),
                ..SearchSettings::default()
            };
            let outcome = search(&twin, &space, &settings);
            let Some(best) = outcome.best.clone() else {
                observer
                    .note("the twin finds no allowed configuration better than the current one");
                return Ok(TwinEnd::Done);
            };
            if best.improvement_percent < opts.threshold_percent {
                observer.note(&format!(
                    "the twin's best configuration is predicted {:.1}% better, under the {}% threshold: the team stays as it is",
                    best.improvement_percent, opts.threshold_percent
                ));
                return Ok(TwinEnd::Done);
            }
            let suggestion = twin_suggestion(&twin, &fit, &state.config, &outcome, &best);
            let left = opts.max_trial_runs.saturating_sub(spent) / 2;
            if left < MIN_TEST_PAIRS {
                observer.note(&format!(
                    "the trial budget ({} runs) is spent: {} not tested",
                    opts.max_trial_runs, suggestion.id
                ));
                return Ok(TwinEnd::Done);
            }
            let mut result = OptimizationResult::untested(
                opts,
                state,
                &suggestion,
                best.config.clone(),
                runner.is_simulated(),
            );
            result.objective = Some(opts.objective);
            if opts.dry_run {
                result.success = true;
                result.validation_status = AbStatus::DryRun;
                result.reason = "dry run: nothing was run or written".into();
                observer.tried(&result);
                results.push(result);
                return Ok(TwinEnd::Done);
            }
            let history: Vec<RunOutcome> = observations
                .iter()
                .filter(|o| o.config == state.config)
                .flat_map(|o| o.runs.iter().map(RunOutcome::from_record))
                .collect();
            let cap = left.min(MAX_TEST_PAIRS) as usize;
            let effect = (best.improvement_percent * 0.75)
                .max(opts.threshold_percent + 5.0)
                .min(90.0);
            let mut rng = ChaCha8Rng::seed_from_u64(opts.seed ^ round);
            let planned = pairs_needed(&history, effect, 0.05, 0.9, cap, &mut rng)
                .map(|p| p.pairs)
                .unwrap_or(cap)
                .clamp(MIN_TEST_PAIRS as usize, cap);
            let rules = SequentialRules {
                threshold_percent: opts.threshold_percent,
                max_pairs: planned,
                planned_pairs: planned.min(20),
                tail_threshold_seconds: tail_threshold(&history, 1.5),
                objective: match opts.objective {
                    Objective::SecondsPerSuccess => SequentialObjective::SecondsPerSuccess,
                    Objective::CallsPerSuccess => SequentialObjective::ToolCallsPerSuccess,
                    Objective::TokensPerSuccess => SequentialObjective::TokensPerSuccess,
                },
                ..SequentialRules::default()
            };
            observer.note(&format!(
                "A/B test of {} ({}): sequential, up to {planned} runs per side; twin predicts {:.0}% better",
                suggestion.id,
                opts.objective.as_str(),
                best.improvement_percent
            ));
            let (base_cfg, cand_cfg) = (state.config.clone(), best.config.clone());
            let mut progress = |d, t| observer.progress(d, t);
            let seed = opts.seed ^ 0x5e9 ^ (round << 16);
            let ab = run_sequential_ab(
                runner,
                (&base_cfg, &cand_cfg),
                &opts.team_id,
                seed,
                rules,
                store,
                &mut progress,
            )?;
            let used = (ab.baseline.len() + ab.candidate.len()) as u64;
            spent += used;
            let d = ab.decision;
            result.trial_runs = used;
            result.validation_status = d.status;
            result.reason = d.reason.clone();
            result.improvement_percentage = Some(d.improvement_percentage);
            result.sequential = Some(d.sequential);
            result.sequential_decision = Some(d.clone());
            if let Some(o) = observations.iter_mut().find(|o| o.config == base_cfg) {
                o.runs.extend(ab.baseline);
            }
            observations.push(Observation::new(cand_cfg.clone(), ab.candidate));
            if d.status != AbStatus::Passed {
                tried.push(cand_cfg);
                observer.tried(&result);
                results.push(result);
                continue;
            }
            let wf = state
                .workflow
                .with_team_config(&opts.team_id, &cand_cfg)
                .map_err(|message| Error::Config {
                    team_id: opts.team_id.clone(),
                    message,
                })?;
            let new_hash = runner.config_hash(&opts.team_id, &cand_cfg)?;
            let index = self.write_change(store, opts, state, &cand_cfg, &new_hash, &result)?;
            result.history_index = Some(index);
            result.success = true;
            observer.tried(&result);
            results.push(result);
            state.text = std::fs::read_to_string(&opts.config).map_err(|e| Error::Input {
                path: opts.config.clone(),
                message: e.to_string(),
            })?;
            state.workflow = wf;
            state.config = cand_cfg;
            state.hash = new_hash;
            kept += 1;
            if kept >= opts.max_changes {
                return Ok(TwinEnd::Done);
            }
        }
    }
}
