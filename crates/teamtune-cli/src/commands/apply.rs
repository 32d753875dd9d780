//! `teamtune apply`: try suggestions, A/B test them, keep the ones that pass.

use std::io::IsTerminal;

use teamtune::Suggestion;
use teamtune::{ApplyMode, ApplyObserver, ApplyOptions, Choice};

use crate::args::ApplyArgs;
use crate::exit::{CliError, CliResult, Code};
use crate::progress::Progress;

struct Terminal {
    bar: Option<Progress>,
    shown: usize,
    /// Show each result as soon as its test ends (interactive mode: the user is waiting).
    show_each: bool,
}

impl ApplyObserver for Terminal {
    fn tried(&mut self, result: &teamtune::OptimizationResult) {
        self.finish_bar();
        if self.show_each {
            crate::render::print_result_to_stderr(self.shown, result);
        }
    }

    fn note(&mut self, message: &str) {
        self.finish_bar();
        eprintln!("teamtune: {message}");
    }

    fn progress(&mut self, done: u64, total: u64) {
        let bar = self.bar.get_or_insert_with(|| Progress::new(total, "runs"));
        bar.inc();
        if done >= total {
            self.finish_bar();
        }
    }

    fn choose(&mut self, s: &Suggestion) -> Choice {
        self.finish_bar();
        self.shown += 1;
        if !std::io::stdin().is_terminal() {
            eprintln!(
                "teamtune: --interactive needs a terminal; skipping {}",
                s.id
            );
            return Choice::Quit;
        }
        anstream::eprintln!();
        crate::render::print_suggestion_to_stderr(self.shown, s);
        loop {
            let answer: String = dialoguer::Input::new()
                .with_prompt("apply? [y]es / [n]o / [v]iew JSON / [q]uit")
                .interact_text_on(&dialoguer::console::Term::stderr())
                .unwrap_or_else(|_| "q".to_string());
            match answer.trim() {
                "y" | "yes" => return Choice::Apply,
                "n" | "no" => return Choice::Skip,
                "q" | "quit" => return Choice::Quit,
                "v" | "view" => {
                    eprintln!("{}", serde_json::to_string_pretty(s).unwrap_or_default())
                }
                _ => eprintln!("answer y, n, v or q"),
            }
        }
    }
}

impl Terminal {
    fn finish_bar(&mut self) {
        if let Some(b) = self.bar.take() {
            b.finish();
        }
    }
}

pub fn run(args: &ApplyArgs) -> CliResult {
    let mode = if args.interactive {
        ApplyMode::Interactive
    } else if args.auto {
        ApplyMode::Auto
    } else if let Some(path) = &args.suggestion {
        let file = teamtune::SuggestionFile::read(path)?;
        ApplyMode::File(match args.pick.as_deref() {
            Some(id) => file.pick(id)?,
            None => file,
        })
    } else {
        return Err(CliError::input(
            "pick one of --interactive, --auto, --suggestion FILE",
        ));
    };
    if !(args.threshold.is_finite() && args.threshold >= 0.0) {
        return Err(CliError::input(format!(
            "--threshold {} must be a percentage >= 0",
            args.threshold
        )));
    }
    let tuner = super::tuner(args.store.store.as_deref(), None)?.with_workers(args.trial.workers);
    if args.trial.workers && !args.dry_run {
        super::announce_workers(&tuner)?;
    }
    let mut opts = ApplyOptions::new(&args.team.team_id, &args.config, mode);
    opts.ab_test = !args.no_ab_test;
    opts.runs = args.runs;
    opts.threshold_percent = args.threshold;
    opts.dry_run = args.dry_run;
    opts.max_changes = args.max_changes;
    opts.auto_rollback = !args.no_auto_rollback;
    opts.seed = args.trial.seed;
    opts.hitl = args.trial.hitl.into();
    opts.objective = args.objective.into();
    if let Some(m) = args.min_success {
        if !(0.0..=1.0).contains(&m) {
            return Err(CliError::input(format!(
                "--min-success {m} must be a rate from 0 to 1"
            )));
        }
        opts.min_success = Some(m);
    }
    opts.max_trial_runs = args.max_trial_runs;
    opts.twin = !args.no_twin;
    const KEYS: [&str; 5] = [
        "team_formation",
        "members",
        "tool_budget",
        "timeout_seconds",
        "max_iterations",
    ];
    if let Some(k) = args.fixed.iter().find(|k| !KEYS.contains(&k.as_str())) {
        return Err(CliError::input(format!(
            "--fixed {k}: not a key tuning changes (keys: {})",
            KEYS.join(", ")
        )));
    }
    opts.limits.fixed = args.fixed.clone();
    opts.limits.min_members = args.min_members;
    if args.max_members.is_some() {
        opts.limits.max_members = args.max_members;
    }
    let mut term = Terminal {
        bar: None,
        shown: 0,
        show_each: args.interactive,
    };
    let results = tuner.apply(&opts, &mut term)?;
    term.finish_bar();
    if args.json.json {
        super::emit_json(&results, None, true)?;
    } else {
        crate::render::print_apply_results(&results);
    }
    let applied = results.iter().any(|r| r.success);
    Ok(if applied {
        Code::Done
    } else {
        Code::NotSucceeded
    })
}
