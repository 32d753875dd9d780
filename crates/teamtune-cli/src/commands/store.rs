//! `teamtune store migrate` and `teamtune store copy`.

use crate::args::{StoreCommand, StoreCopyArgs, StoreMigrateArgs};
use crate::exit::{CliResult, Code};

pub fn dispatch(command: &StoreCommand) -> CliResult {
    match command {
        StoreCommand::Migrate(a) => migrate(a),
        StoreCommand::Copy(a) => copy(a),
    }
}

fn migrate(args: &StoreMigrateArgs) -> CliResult {
    let location =
        teamtune::StoreLocation::resolve(args.store.store.as_deref().map(|p| p.as_os_str()))?;
    let report = teamtune::migrate_store(&location)?;
    if args.json.json {
        super::emit_json(&report, None, true)?;
        return Ok(Code::Done);
    }
    let mut parts = vec![versions(
        "schema version",
        report.from_version,
        report.to_version,
    )];
    if let (Some(from), Some(to)) = (report.queue_from_version, report.queue_to_version) {
        parts.push(versions("trial queue", from, to));
    }
    outln!("{}: {}", report.store, parts.join(", "));
    Ok(Code::Done)
}

/// `schema version 3 (up to date)` or `schema version 0 -> 3`.
fn versions(what: &str, from: usize, to: usize) -> String {
    if from == to {
        format!("{what} {to} (up to date)")
    } else {
        format!("{what} {from} -> {to}")
    }
}

fn copy(args: &StoreCopyArgs) -> CliResult {
    let from = teamtune::StoreLocation::parse(args.from.as_os_str())?;
    let to = teamtune::StoreLocation::parse(args.to.as_os_str())?;
    let report = teamtune::copy_store(&from, &to)?;
    if args.json.json {
        super::emit_json(&report, None, true)?;
        return Ok(Code::Done);
    }
    let counts: Vec<String> = report
        .tables
        .iter()
        .map(|t| format!("{} {}", crate::render::thousands(t.rows), t.table))
        .collect();
    outln!(
        "copied {} into {}: {}",
        report.from,
        report.to,
        counts.join(", ")
    );
    Ok(Code::Done)
}
