//! `teamtune watch`: the continuous loop. The library takes each step
//! ([`teamtune::Watcher::poll`]); this file owns the clock and the signals and prints one
//! line per decision (`--json`: one object). SIGINT, SIGTERM and SIGHUP end the loop between
//! steps, with exit code 128 + the signal: every decision is already in the store, so a
//! restarted `watch` carries on.

use std::time::{Duration, Instant};

use teamtune::{ExperimentPlan, WatchEvent, WatchOptions, Watcher};

use crate::args::WatchArgs;
use crate::exit::{CliResult, Code};

/// How long a sleep lasts at most before the loop looks for a stop request again.
const STOP_CHECK: Duration = Duration::from_millis(100);

pub fn run(args: &WatchArgs) -> CliResult {
    let tuner = super::tuner(args.store.store.as_deref(), None)?;
    let mut plan = ExperimentPlan::new(
        &args.team.team_id,
        &args.config,
        teamtune::Candidate::Settings(Default::default()),
    );
    super::experiment::apply_rules(&args.rules, &mut plan)?;
    let mut opts = WatchOptions::new(&args.team.team_id, &args.config);
    opts.every_runs = args.every_runs;
    opts.share = plan.share;
    opts.ramp = plan.ramp;
    opts.max_pairs = plan.max_pairs;
    opts.threshold_percent = plan.threshold_percent;
    let mut watcher = Watcher::new(&tuner, opts);
    if !args.json.json {
        anstream::eprintln!(
            "teamtune: watching team `{}` of {} in {} (acting every {} new runs); Ctrl-C stops",
            args.team.team_id,
            args.config.display(),
            tuner.store_location(),
            args.every_runs
        );
    }
    let mut last_action = Instant::now();
    loop {
        let force = args
            .interval
            .is_some_and(|every| last_action.elapsed() >= every);
        let events = watcher.poll(force)?;
        if force {
            last_action = Instant::now();
        }
        for e in &events {
            print_event(e, args.json.json)?;
        }
        if args.once {
            return Ok(Code::Done);
        }
        let until = Instant::now() + args.poll;
        while Instant::now() < until {
            if let Some(signal) = teamtune::stop_requested() {
                anstream::eprintln!(
                    "teamtune: {signal}: watch stopped; its decisions are in the store"
                );
                return Ok(Code::Stopped(signal));
            }
            std::thread::sleep(STOP_CHECK.min(until.saturating_duration_since(Instant::now())));
        }
        if let Some(signal) = teamtune::stop_requested() {
            anstream::eprintln!(
                "teamtune: {signal}: watch stopped; its decisions are in the store"
            );
            return Ok(Code::Stopped(signal));
        }
    }
}

fn print_event(e: &WatchEvent, json: bool) -> CliResult<()> {
    if json {
        let line = serde_json::to_string(e)
            .map_err(|err| crate::exit::CliError::failed(err.to_string()))?;
        outln!("{line}");
        return Ok(());
    }
    let experiment = e
        .experiment_id
        .map_or_else(String::new, |id| format!(" experiment {id}"));
    let share = e
        .share
        .map_or_else(String::new, |s| format!(" ({:.0}% share)", s * 100.0));
    outln!(
        "{} {}{experiment} `{}`{share}: {}",
        e.timestamp,
        e.event.as_str(),
        e.team_id,
        e.message
    );
    Ok(())
}
