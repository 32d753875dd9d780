//! `teamtune validate FILE`: load, check, prepare; print what the file holds.

use crate::args::ValidateArgs;
use crate::exit::{CliResult, Code};

pub fn run(args: &ValidateArgs) -> CliResult {
    let tuner = super::tuner(None, None)?;
    let report = tuner.validate(&args.file)?;
    for w in &report.workflows {
        super::note_implicit_sim(&w.implicitly_simulated);
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
