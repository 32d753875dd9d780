//! The tuner's view of a scenario: the workflow file without its `sim:` blocks. Real teams
//! have none, so the tuner must learn a team from its runs alone; the benchmark hands it this
//! copy to read and edit, and a runner that holds the real file to make its trial runs.

use yaml_serde::Value;

use crate::error::BenchError;

/// `text` with every mapping key `sim` removed, at any depth but under `providers:` (comments are not kept: the
/// header comments of generated scenarios describe the answer).
pub fn without_sim_blocks(text: &str, path: &std::path::Path) -> Result<String, BenchError> {
    let mut doc: Value = yaml_serde::from_str(text)
        .map_err(|e| BenchError::Input(format!("{}: {e}", path.display())))?;
    strip(&mut doc);
    yaml_serde::to_string(&doc).map_err(|e| BenchError::Work(e.to_string()))
}

fn strip(v: &mut Value) {
    match v {
        Value::Mapping(m) => {
            m.remove("sim");
            for (key, child) in m.iter_mut() {
                // A provider named `sim` is how members are run, not what they are like.
                if key.as_str() != Some("providers") {
                    strip(child);
                }
            }
        }
        Value::Sequence(s) => s.iter_mut().for_each(strip),
        Value::Tagged(t) => strip(&mut t.value),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::without_sim_blocks;

    #[test]
    fn every_sim_block_goes_and_nothing_else() {
        let src = "# the answer is 42\nproviders:\n  sim: {kind: sim}\nworkflows:\n  w:\n    nodes:\n      - id: t\n        type: team\n        sim: {work_calls: 9}\n        members:\n          - {id: a, sim: {hang_rate: 0.5}, tool_budget: 3}\n";
        let out = without_sim_blocks(src, std::path::Path::new("x.yaml")).unwrap();
        assert!(
            !out.contains("sim:\n    work") && !out.contains("hang_rate") && !out.contains("42"),
            "{out}"
        );
        assert!(out.contains("kind: sim"), "{out}");
        assert!(out.contains("tool_budget: 3"), "{out}");
    }
}
