//! `teamtune import otel`: record team runs from OpenTelemetry traces.

use crate::args::OtelArgs;
use crate::exit::{CliError, CliResult, Code};

pub fn otel(args: &OtelArgs) -> CliResult {
    let formation = args
        .formation
        .as_deref()
        .map(|f| {
            f.parse::<teamtune::Formation>()
                .map_err(|e| CliError::input(format!("--formation: {e}")))
        })
        .transpose()?;
    let opts = teamtune::OtelImportOptions {
        team_span: args.team_span.clone(),
        formation,
    };
    let tuner = super::tuner(args.store.store.as_deref(), None)?;
    let report = tuner.import_otel(&args.files, &opts)?;
    if args.json.json {
        super::emit_json(&report, None, true)?;
    } else {
        eprintln!(
            "teamtune: {} team runs in {} traces ({}); recorded {}, already recorded {}, in {}",
            report.team_runs,
            report.traces,
            if report.teams.is_empty() {
                "no team: name the team's span with --team-span".to_string()
            } else {
                format!("teams: {}", report.teams.join(", "))
            },
            report.recorded,
            report.already_recorded,
            report.store
        );
    }
    Ok(Code::Done)
}
