//! Compute nodes: a command (argv, no shell, templates rendered from the state) that gets
//! `{inputs, state}` on stdin and whose stdout (JSON or text) becomes the node's output; or,
//! without a command, the node's rendered `inputs` as an object. A Victor `handler` names a
//! Python function, which cannot run here: such a node fails and says to give it a command.

use serde_json::{Map, Value as Json, json};
use teamtune_model::ComputeNode;

use crate::expr;
use crate::member::process;
use crate::state::State;

pub(crate) async fn run(id: &str, node: &ComputeNode, state: &State) -> Result<Json, String> {
    let mut inputs = Map::new();
    for (k, tpl) in &node.inputs {
        let v = expr::render(tpl, state)?;
        inputs.insert(
            k.clone(),
            serde_json::from_str(&v).unwrap_or(Json::String(v)),
        );
    }
    let Some(argv) = &node.command else {
        if let Some(h) = &node.handler {
            return Err(format!(
                "compute node `{id}` names handler `{h}`, a Python function in Victor; give the node a `command:` to run it here"
            ));
        }
        return Ok(Json::Object(inputs));
    };
    let argv: Vec<String> = argv
        .iter()
        .map(|a| expr::render(a, state))
        .collect::<Result<_, _>>()?;
    let stdin = json!({"inputs": inputs, "state": state.to_json()}).to_string();
    let fut = process::run(&argv, stdin.as_bytes());
    let out = match node.timeout_seconds {
        Some(t) => tokio::time::timeout(t.as_duration(), fut)
            .await
            .map_err(|_| "timeout".to_string())??,
        None => fut.await?,
    };
    if !out.success {
        return Err(format!(
            "`{}` exited with {:?}: {}",
            argv[0],
            out.code,
            process::tail(&out.stderr)
        ));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    Ok(serde_json::from_str(text.trim()).unwrap_or_else(|_| Json::String(text.trim().to_string())))
}
