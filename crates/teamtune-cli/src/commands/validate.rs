//! `teamtune validate FILE`: load, check, prepare; print what the file holds. What this
//! machine misses to run it (programs, API keys) is a warning, or with `--strict` an error.

use crate::args::ValidateArgs;
use crate::exit::{CliError, CliResult, Code};

pub fn run(args: &ValidateArgs) -> CliResult {
    let tuner = super::tuner(None, None)?;
    let report = tuner.validate(&args.file)?;
    super::print_warnings(&report.ignored_keys);
    for w in &report.workflows {
        super::note_implicit_sim(&w.implicitly_simulated);
        super::note_missing_inputs(&w.inputs, Some(&w.name));
    }
    if args.strict && !report.warnings.is_empty() {
        let problems: Vec<String> = report.warnings.iter().map(|w| format!("  {w}")).collect();
        return Err(CliError::input(format!(
            "{} cannot run on this machine (--strict):\n{}",
            args.file.display(),
            problems.join("\n")
        )));
    }
    for w in &report.warnings {
        anstream::eprintln!("teamtune: warning: {w}");
    }
    if args.json.json {
        super::emit_json(&report, None, true)?;
        return Ok(Code::Done);
    }
    outln!("{}: ok", args.file.display());
    for w in &report.workflows {
        let sim = if w.simulated {
            ", simulated (virtual time)"
        } else {
            ""
        };
        outln!(
            "  workflow {}: {}, starts at {}{sim}",
            w.name,
            crate::render::count(w.nodes.len() as u64, "node", "nodes"),
            w.start_node
        );
        for t in &w.teams {
            let members: Vec<String> = t
                .members
                .iter()
                .map(|m| format!("{} ({})", m.id, m.runner))
                .collect();
            outln!(
                "    team {} [{}]: {}",
                t.id,
                t.formation,
                members.join(", ")
            );
        }
    }
    Ok(Code::Done)
}
