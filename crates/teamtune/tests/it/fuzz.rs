//! Fuzzing that stays: mutated metrics input (`--metrics` JSON arrays and JSON lines made
//! from the Victor fixture) and mutated suggestion files (a real `suggest --output` report)
//! never panic, and every error names the record, field or position at fault, or the file.
//!
//! Mutations: byte flips, a value swapped for one of another type, huge numbers, deep
//! nesting. The case count is small by default; `TEAMTUNE_FUZZ_CASES=N` runs N per property.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use proptest::prelude::*;
use serde_json::{Value, json};
use teamtune::{
    ApplyMode, ApplyOptions, Autotuner, BatchOptions, MetricsSource, Quiet, SuggestionFile,
};
use teamtune_analysis::{Baselines, analyze, default_strategies, suggest};
use teamtune_metrics::{MetricsError, read_metrics};
use teamtune_model::TeamConfig;

fn cases() -> u32 {
    std::env::var("TEAMTUNE_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(48)
}

/// One change to a JSON document.
#[derive(Debug, Clone)]
enum Mutation {
    /// The node picked by `at` becomes a value of another type.
    Swap { at: u64, kind: u8 },
    /// The node picked by `at` becomes a huge or out-of-range number.
    Huge { at: u64, which: u8 },
    /// The node picked by `at` is wrapped in `depth` arrays or objects.
    Nest { at: u64, depth: u16, objects: bool },
    /// The byte at `at` (modulo the length) of the serialized text becomes `byte`.
    Flip { at: u64, byte: u8 },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<u64>(), 0u8..6).prop_map(|(at, kind)| Mutation::Swap { at, kind }),
        (any::<u64>(), 0u8..6).prop_map(|(at, which)| Mutation::Huge { at, which }),
        (any::<u64>(), 1u16..300, any::<bool>()).prop_map(|(at, depth, objects)| Mutation::Nest {
            at,
            depth,
            objects
        }),
        (any::<u64>(), any::<u8>()).prop_map(|(at, byte)| Mutation::Flip { at, byte }),
    ]
}

/// Every node of the tree, depth first, as mutable references taken one at a time.
fn node_count(v: &Value) -> u64 {
    1 + match v {
        Value::Array(a) => a.iter().map(node_count).sum(),
        Value::Object(o) => o.values().map(node_count).sum(),
        _ => 0,
    }
}

fn node_mut(v: &mut Value, mut i: u64) -> &mut Value {
    if i == 0 {
        return v;
    }
    i -= 1;
    let children: Vec<&mut Value> = match v {
        Value::Array(a) => a.iter_mut().collect(),
        Value::Object(o) => o.values_mut().collect(),
        _ => unreachable!("index within node_count"),
    };
    for child in children {
        let n = node_count(child);
        if i < n {
            return node_mut(child, i);
        }
        i -= n;
    }
    unreachable!("index within node_count")
}

fn swapped(kind: u8) -> Value {
    match kind {
        0 => json!("text"),
        1 => json!(-7),
        2 => json!(2.5),
        3 => json!(true),
        4 => json!([1, "two"]),
        _ => json!({"k": null}),
    }
}

/// The text of a huge number: some are valid JSON that no field can hold, some are out of
/// range for a double.
fn huge(which: u8) -> &'static str {
    [
        "1e308",
        "1e999",
        "-1e400",
        "18446744073709551616",
        "99999999999999999999999999999999",
        "4294967296",
    ][usize::from(which) % 6]
}

/// Applies `mutations` to `doc` and serializes it as an array (or JSON lines when `lines`
/// and the document is an array).
fn mutate(doc: &Value, mutations: &[Mutation], lines: bool) -> Vec<u8> {
    let mut doc = doc.clone();
    let mut huge_marks = Vec::new();
    for m in mutations {
        let count = node_count(&doc);
        match m {
            Mutation::Swap { at, kind } => *node_mut(&mut doc, at % count) = swapped(*kind),
            Mutation::Huge { at, which } => {
                // A placeholder string, replaced by the raw number text after serializing.
                let mark = format!("@@huge{}@@", huge_marks.len());
                *node_mut(&mut doc, at % count) = Value::String(mark.clone());
                huge_marks.push((mark, huge(*which)));
            }
            Mutation::Nest { at, depth, objects } => {
                let node = node_mut(&mut doc, at % count);
                let mut v = node.take();
                for _ in 0..*depth {
                    v = if *objects {
                        json!({ "n": v })
                    } else {
                        json!([v])
                    };
                }
                *node = v;
            }
            Mutation::Flip { .. } => {}
        }
    }
    let mut text = match (&doc, lines) {
        (Value::Array(items), true) => items
            .iter()
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join("\n"),
        _ => doc.to_string(),
    };
    for (mark, number) in &huge_marks {
        text = text.replace(&format!("\"{mark}\""), number);
    }
    let mut bytes = text.into_bytes();
    for m in mutations {
        if let Mutation::Flip { at, byte } = m
            && !bytes.is_empty()
        {
            let i = (*at % bytes.len() as u64) as usize;
            bytes[i] = *byte;
        }
    }
    bytes
}

fn fixture() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../teamtune-metrics/tests/fixtures/victor-fixture-metrics.json");
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    })
}

/// A metrics error names what is at fault: a record (by index, with the field when known),
/// or a line and column for the text between records, or says the input is empty.
fn names_its_place(e: &MetricsError) -> bool {
    match e {
        MetricsError::Record { .. } => e.to_string().starts_with("record "),
        MetricsError::Syntax { .. } => e.to_string().contains(" at line "),
        MetricsError::Empty => true,
        MetricsError::Io { .. } | MetricsError::Read(_) => false,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn mutated_metrics_never_panic_and_errors_name_the_record(
        mutations in proptest::collection::vec(mutation(), 1..4),
        lines in any::<bool>(),
    ) {
        let bytes = mutate(fixture(), &mutations, lines);
        match read_metrics(&bytes[..], None) {
            Ok(samples) => {
                // What reads must analyse and suggest without panicking, whatever the values.
                let baselines = Baselines::default();
                analyze(&samples, &baselines);
                let config: TeamConfig = serde_json::from_value(json!({
                    "team_formation": "sequential", "max_iterations": 3,
                    "members": [{"id": "a", "role": "r", "tool_budget": 20}]
                })).unwrap();
                for team in ["test_team", "slow_team"] {
                    let team_samples: Vec<_> = samples
                        .iter()
                        .filter(|s| &*s.team_id == team)
                        .cloned()
                        .collect();
                    suggest(&team_samples, &config, &baselines, &default_strategies());
                }
            }
            Err(e) => prop_assert!(names_its_place(&e), "{e}"),
        }
    }
}

/// A workflow file, a store with its runs, and the `suggest --output` report for its team.
fn suggest_setup(dir: &Path) -> (PathBuf, Value) {
    let workflow = dir.join("sequential-audit.yaml");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/sequential-audit.yaml"),
        &workflow,
    )
    .unwrap();
    let tuner = Autotuner::new(dir.join("s.db"));
    let runnable = tuner.prepare(&workflow, None).unwrap();
    let opts = BatchOptions {
        runs: 30,
        seed: 1,
        ..BatchOptions::default()
    };
    tuner.run(&runnable, &opts, true, |_| {}).unwrap();
    let report = tuner
        .suggest("audit_team", &workflow, &MetricsSource::Store)
        .unwrap();
    (workflow, serde_json::to_value(&report).unwrap())
}

#[test]
fn mutated_suggestion_files_never_panic_and_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let (workflow, report) = suggest_setup(dir.path());
    let tuner = Autotuner::new(dir.path().join("s.db"));
    let before = std::fs::read_to_string(&workflow).unwrap();
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(cases()));
    let mutations = proptest::collection::vec(mutation(), 1..4);
    runner
        .run(&mutations, |mutations| {
            let bytes = mutate(&report, &mutations, false);
            let text = String::from_utf8_lossy(&bytes);
            let path = Path::new("mutated-suggestions.json");
            let outcome = SuggestionFile::parse(path, &text).and_then(|file| {
                let mut opts = ApplyOptions::new("audit_team", &workflow, ApplyMode::File(file));
                opts.dry_run = true;
                tuner.apply(&opts, &mut Quiet)
            });
            if let Err(e) = outcome {
                let message = e.to_string();
                prop_assert!(message.starts_with("mutated-suggestions.json"), "{message}");
                prop_assert!(e.is_user_error(), "bad input is exit 2: {message}");
            }
            prop_assert_eq!(std::fs::read_to_string(&workflow).unwrap(), before.clone());
            Ok(())
        })
        .unwrap();
}
