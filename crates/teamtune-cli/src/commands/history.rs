//! `teamtune history`, `rollback` and `check`.

use crate::args::{CheckArgs, HistoryArgs, RollbackArgs};
use crate::exit::{CliResult, Code};

pub fn list(args: &HistoryArgs) -> CliResult {
    let tuner = super::tuner(args.store.store.as_deref(), None)?;
    let entries = tuner.history(&args.team_id)?;
    print_history(&args.team_id, &entries, args.json)?;
    Ok(Code::Done)
}

fn print_history(
    team_id: &str,
    entries: &[teamtune::store::HistoryEntry],
    json: bool,
) -> CliResult<()> {
    if json {
        let list: Vec<serde_json::Value> = entries
            .iter()
            .map(|e| {
                serde_json::json!({
                    "index": e.index, "id": e.id, "created_at": e.created_at, "kind": e.kind.as_str(),
                    "status": e.status.as_str(), "file": e.file_path, "note": e.note,
                    "suggestion": e.suggestion, "result": e.result,
                })
            })
            .collect();
        return super::emit_json(&list, None, true);
    }
    crate::render::print_history(team_id, entries);
    Ok(())
}

pub fn rollback(args: &RollbackArgs) -> CliResult {
    let tuner = super::tuner(args.store.store.as_deref(), None)?;
    if args.list {
        let entries = tuner.history(&args.team_id)?;
        print_history(&args.team_id, &entries, args.json)?;
        return Ok(Code::Done);
    }
    let report = tuner.rollback(&args.team_id, args.index, args.force)?;
    if args.json {
        super::emit_json(&report, None, true)?;
    } else {
        outln!(
            "restored {} to its state before history entry {} (undid {} change{}); recorded as history id {}",
            report.file,
            report.restored_before_index,
            report.undone.len(),
            if report.undone.len() == 1 { "" } else { "s" },
            report.history_id
        );
    }
    Ok(Code::Done)
}

pub fn check(args: &CheckArgs) -> CliResult {
    let tuner = super::tuner(args.store.store.as_deref(), None)?;
    let report = tuner.check(&args.team_id)?;
    if args.json {
        super::emit_json(&report, None, true)?;
    } else {
        match &report {
            None => outln!(
                "team `{}` has no kept change awaiting a check",
                args.team_id
            ),
            Some(r) => crate::render::print_check(r),
        }
    }
    Ok(
        if report.as_ref().is_some_and(|r| r.status == "rolled_back") {
            Code::NotSucceeded
        } else {
            Code::Done
        },
    )
}

/// After `teamtune run` records runs: check each team that has a kept change.
pub fn auto_check(store: Option<&std::path::Path>, team_ids: &[String]) {
    let Ok(tuner) = super::tuner(store, None) else {
        return;
    };
    for team in team_ids {
        match tuner.check(team) {
            Ok(Some(r)) if r.status == "rolled_back" || r.status == "regressed" => {
                crate::render::print_check(&r)
            }
            Ok(Some(r)) if r.status == "verified" => eprintln!("teamtune: {}: {}", team, r.message),
            Ok(_) => {}
            Err(e) => eprintln!("teamtune: auto-rollback check of `{team}` failed: {e}"),
        }
    }
}
