//! `teamtune history`, `rollback` and `check`.

use crate::args::{CheckArgs, HistoryArgs, RollbackArgs};
use crate::exit::{CliResult, Code};

pub fn list(args: &HistoryArgs) -> CliResult {
    let tuner = super::tuner(args.store.store.as_deref(), None)?;
    let entries = tuner.history(&args.team.team_id)?;
    print_history(&args.team.team_id, &entries, args.json.json)?;
    Ok(Code::Done)
}

fn print_history(team_id: &str, entries: &[teamtune::HistoryEntry], json: bool) -> CliResult<()> {
    if json {
        return super::emit_json(&entries, None, true);
    }
    crate::render::print_history(team_id, entries);
    Ok(())
}

pub fn rollback(args: &RollbackArgs) -> CliResult {
    let tuner = super::tuner(args.store.store.as_deref(), None)?;
    if args.list {
        let entries = tuner.history(&args.team.team_id)?;
        print_history(&args.team.team_id, &entries, args.json.json)?;
        return Ok(Code::Done);
    }
    let report = tuner.rollback(&args.team.team_id, args.index, args.force)?;
    if args.json.json {
        super::emit_json(&report, None, true)?;
    } else {
        outln!(
            "restored {} to its state before history entry {} (undid {} change{}); recorded as history entry {}",
            report.file,
            report.restored_before_index,
            report.undone.len(),
            if report.undone.len() == 1 { "" } else { "s" },
            report.history_index
        );
    }
    Ok(Code::Done)
}

pub fn check(args: &CheckArgs) -> CliResult {
    let tuner = super::tuner(args.store.store.as_deref(), None)?;
    let report = tuner.check(&args.team.team_id)?;
    if args.json.json {
        super::emit_json(&report, None, true)?;
    } else {
        match &report {
            None => outln!(
                "team `{}` has no kept change awaiting a check",
                args.team.team_id
            ),
            Some(r) => crate::render::print_check(r),
        }
    }
    Ok(
        if report
            .as_ref()
            .is_some_and(|r| r.status == teamtune::CheckStatus::RolledBack)
        {
            Code::NotSucceeded
        } else {
            Code::Done
        },
    )
}

/// After `teamtune run` records runs: check each team that has a kept change.
/// Reports what the auto-rollback check after `teamtune run` found for one team.
pub fn report_auto_check(
    team: &str,
    check: &Result<Option<teamtune::CheckReport>, teamtune::Error>,
) {
    match check {
        Ok(Some(r)) if r.status.is_regression() => crate::render::print_check(r),
        Ok(Some(r)) if r.status == teamtune::CheckStatus::Verified => {
            eprintln!("teamtune: {}: {}", team, r.message)
        }
        Ok(_) => {}
        // A team whose runs were recorded has a store; a missing one means nothing to check.
        Err(teamtune::Error::NoStore { .. }) => {}
        Err(e) => eprintln!("teamtune: auto-rollback check of `{team}` failed: {e}"),
    }
}
