//! `teamtune experiment start|list|show|check|stop`: live experiments. Starting, judging and
//! promoting are the library's ([`teamtune::Autotuner::start_experiment`],
//! [`teamtune::Autotuner::check_experiment`]); this file reads the candidate and renders.

use teamtune::{Candidate, ExperimentCheck, ExperimentPlan, ExperimentReport};

use crate::args::{
    ExperimentCommand, ExperimentIdArgs, ExperimentListArgs, ExperimentRulesArgs,
    ExperimentStartArgs,
};
use crate::exit::{CliError, CliResult, Code};

pub fn dispatch(command: &ExperimentCommand) -> CliResult {
    match command {
        ExperimentCommand::Start(a) => start(a),
        ExperimentCommand::List(a) => list(a),
        ExperimentCommand::Show(a) => show(a),
        ExperimentCommand::Check(a) => check(a),
        ExperimentCommand::Stop(a) => stop(a),
    }
}

/// The plan's rules from the command line, checked.
pub(crate) fn apply_rules(
    plan_rules: &ExperimentRulesArgs,
    plan: &mut ExperimentPlan,
) -> CliResult<()> {
    if !(plan_rules.threshold.is_finite() && plan_rules.threshold >= 0.0) {
        return Err(CliError::input(format!(
            "--threshold {} is not a percentage of 0 or more",
            plan_rules.threshold
        )));
    }
    plan.share = plan_rules.share;
    plan.ramp.clone_from(&plan_rules.ramp);
    plan.max_pairs = usize::try_from(plan_rules.max_pairs).unwrap_or(usize::MAX);
    plan.threshold_percent = plan_rules.threshold;
    Ok(())
}

fn candidate_from(args: &ExperimentStartArgs) -> CliResult<Candidate> {
    if let Some(path) = &args.suggestion {
        let file = teamtune::SuggestionFile::read(path)?;
        if let Some(team) = file.team_id.as_deref().filter(|t| *t != args.team.team_id) {
            return Err(CliError::input(format!(
                "{}: the suggestions are for team `{team}`, not `{}`",
                path.display(),
                args.team.team_id
            )));
        }
        let mut file = match args.pick.as_deref() {
            Some(id) => file.pick(id)?,
            None => file,
        };
        if file.suggestions.len() != 1 {
            let ids: Vec<&str> = file.suggestions.iter().map(|s| s.id.as_str()).collect();
            return Err(CliError::input(format!(
                "{}: {} suggestions; pick one with --pick ({})",
                path.display(),
                file.suggestions.len(),
                ids.join(", ")
            )));
        }
        return Ok(Candidate::Suggestion(Box::new(file.suggestions.remove(0))));
    }
    let Some(path) = &args.candidate else {
        return Err(CliError::input(
            "pick one of --suggestion FILE, --candidate CONFIG.json",
        ));
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::input(format!("{}: {e}", path.display())))?;
    match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(serde_json::Value::Object(map)) => Ok(Candidate::Settings(map)),
        Ok(_) => Err(CliError::input(format!(
            "{}: expected a JSON object of team keys, e.g. {{\"team_formation\": \"parallel\"}}",
            path.display()
        ))),
        Err(e) => Err(CliError::input(format!(
            "{}:{}:{}: {e}",
            path.display(),
            e.line(),
            e.column()
        ))),
    }
}

fn start(args: &ExperimentStartArgs) -> CliResult {
    let tuner = super::tuner(args.store.store.as_deref(), None)?;
    let mut plan = ExperimentPlan::new(&args.team.team_id, &args.config, candidate_from(args)?);
    apply_rules(&args.rules, &mut plan)?;
    let report = tuner.start_experiment(&plan)?;
    if args.json.json {
        super::emit_json(&report, None, true)?;
    } else {
        let e = &report.experiment;
        outln!(
            "experiment {} started: team `{}`, {:.0}% of its runs on the candidate ({}){}",
            e.id,
            e.team_id,
            e.share * 100.0,
            e.note.as_deref().unwrap_or("candidate"),
            ramp_text(&e.ramp)
        );
        outln!(
            "  `teamtune run {}` now joins it; `teamtune experiment check {}` decides",
            args.config.display(),
            e.id
        );
    }
    Ok(Code::Done)
}

fn ramp_text(ramp: &[f64]) -> String {
    if ramp.is_empty() {
        return String::new();
    }
    let steps: Vec<String> = ramp.iter().map(|s| format!("{:.0}%", s * 100.0)).collect();
    format!(", then {} while the guardrails hold", steps.join(" -> "))
}

fn list(args: &ExperimentListArgs) -> CliResult {
    let tuner = super::tuner(args.store.store.as_deref(), None)?;
    let all = tuner.experiments(args.team_id.as_deref())?;
    if args.json.json {
        super::emit_json(&all, None, true)?;
        return Ok(Code::Done);
    }
    if all.is_empty() {
        outln!("no experiments");
    }
    for e in &all {
        outln!(
            "{:>4}  {:<12}  {:<16}  {:>4.0}%  {}  {}",
            e.id,
            e.status.as_str(),
            e.team_id,
            e.share * 100.0,
            e.created_at,
            e.note.as_deref().unwrap_or("")
        );
    }
    Ok(Code::Done)
}

fn print_report(r: &ExperimentReport) {
    let e = &r.experiment;
    outln!(
        "experiment {} of team `{}`: {} ({})",
        e.id,
        e.team_id,
        e.status.as_str(),
        e.note.as_deref().unwrap_or("candidate")
    );
    outln!("  file: {}", e.file_path.display());
    outln!(
        "  share: {:.0}%{}; runs: {} control, {} candidate",
        e.share * 100.0,
        ramp_text(&e.ramp),
        r.control_runs,
        r.candidate_runs
    );
    for d in &r.decisions {
        outln!(
            "  {}  {:<12} {:>3.0}% -> {:>3.0}%  ({} control, {} candidate)  {}",
            d.created_at,
            d.action.as_str(),
            d.share_before * 100.0,
            d.share_after * 100.0,
            d.control_runs,
            d.candidate_runs,
            d.reason
        );
    }
}

fn show(args: &ExperimentIdArgs) -> CliResult {
    let tuner = super::tuner(args.store.store.as_deref(), None)?;
    let report = tuner.experiment(args.id)?;
    if args.json.json {
        super::emit_json(&report, None, true)?;
    } else {
        print_report(&report);
    }
    Ok(Code::Done)
}

/// One line for a check.
pub(crate) fn check_line(c: &ExperimentCheck) -> String {
    let history = c
        .history_index
        .filter(|_| c.verdict == teamtune::ExperimentVerdict::Promote)
        .map_or_else(String::new, |h| format!(" [history index {h}]"));
    format!(
        "experiment {} of `{}`: {} ({} control, {} candidate runs, {:.0}% share): {}{history}",
        c.experiment_id,
        c.team_id,
        c.verdict.as_str(),
        c.control_runs,
        c.candidate_runs,
        c.share * 100.0,
        c.reason
    )
}

fn check(args: &ExperimentIdArgs) -> CliResult {
    let tuner = super::tuner(args.store.store.as_deref(), None)?;
    let report = tuner.check_experiment(args.id)?;
    if args.json.json {
        super::emit_json(&report, None, true)?;
    } else {
        outln!("{}", check_line(&report));
    }
    Ok(Code::Done)
}

fn stop(args: &ExperimentIdArgs) -> CliResult {
    let tuner = super::tuner(args.store.store.as_deref(), None)?;
    let report = tuner.stop_experiment(args.id)?;
    if args.json.json {
        super::emit_json(&report, None, true)?;
    } else {
        outln!(
            "experiment {} stopped: runs no longer join it; nothing was written",
            report.experiment.id
        );
    }
    Ok(Code::Done)
}
