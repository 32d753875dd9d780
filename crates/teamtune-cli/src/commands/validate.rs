//! `teamtune validate FILE`: load, check, prepare; print what the file holds.

use serde_json::json;
use teamtune::engine::Engine;
use teamtune::model::{MemberRunner, NodeKind};

use crate::args::ValidateArgs;
use crate::exit::{CliError, CliResult, Code};

pub fn run(args: &ValidateArgs) -> CliResult {
    let file = super::load(&args.file)?;
    let mut workflows = Vec::new();
    for name in file.workflows.keys() {
        let engine = Engine::new(&file, Some(name)).map_err(|e| CliError::input(e.to_string()))?;
        super::note_implicit_sim(&engine);
        let wf = engine.workflow();
        let teams: Vec<_> = wf
            .nodes
            .iter()
            .filter_map(|n| match &n.kind {
                NodeKind::Team(t) => Some(json!({
                    "id": t.id,
                    "formation": t.formation.as_str(),
                    "members": t.members.iter().map(|m| json!({"id": m.id, "role": m.role, "runner": runner_name(&m.runner)})).collect::<Vec<_>>(),
                    "timeout_seconds": t.timeout_seconds,
                    "total_tool_budget": t.total_tool_budget,
                })),
                _ => None,
            })
            .collect();
        workflows.push(json!({
            "name": name,
            "start_node": wf.start_node,
            "nodes": wf.nodes.iter().map(|n| json!({"id": n.id, "type": n.kind.type_name(), "next": n.next})).collect::<Vec<_>>(),
            "teams": teams,
            "simulated": engine.is_simulated(),
        }));
    }
    if args.json {
        outln!(
            "{}",
            json!({"file": args.file.display().to_string(), "valid": true, "workflows": workflows})
        );
        return Ok(Code::Done);
    }
    outln!("{}: ok", args.file.display());
    for w in &workflows {
        let nodes = w["nodes"].as_array().map_or(0, Vec::len);
        let sim = if w["simulated"].as_bool() == Some(true) {
            ", simulated (virtual time)"
        } else {
            ""
        };
        outln!(
            "  workflow {}: {nodes} nodes, starts at {}{sim}",
            w["name"].as_str().unwrap_or(""),
            w["start_node"].as_str().unwrap_or("")
        );
        for t in w["teams"].as_array().into_iter().flatten() {
            let members: Vec<String> = t["members"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|m| {
                    format!(
                        "{} ({})",
                        m["id"].as_str().unwrap_or(""),
                        m["runner"].as_str().unwrap_or("")
                    )
                })
                .collect();
            outln!(
                "    team {} [{}]: {}",
                t["id"].as_str().unwrap_or(""),
                t["formation"].as_str().unwrap_or(""),
                members.join(", ")
            );
        }
    }
    Ok(Code::Done)
}

fn runner_name(r: &MemberRunner) -> String {
    match r {
        MemberRunner::Command(argv) => {
            format!("command {}", argv.first().map_or("", String::as_str))
        }
        MemberRunner::OpenAi { provider, config } => format!("openai {provider}/{}", config.model),
        MemberRunner::Sim(_) => "sim".to_string(),
    }
}
