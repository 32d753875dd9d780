//! Fuzzing that stays: the bundled workflow files, mutated with hostile values (huge,
//! negative, NaN and infinite numbers, long strings, deep nesting), deleted, duplicated and
//! misspelt keys, and byte flips. Loading never panics and every error has a location;
//! whatever loads runs one simulated run to the end without a panic.
//!
//! A few seconds by default; `TEAMTUNE_FUZZ_CASES=200000` runs longer.

use std::path::{Path, PathBuf};
use std::time::Duration;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use teamtune_engine::{Engine, HitlPolicy, RunOptions};
use teamtune_model::{MemberRunner, NodeKind, Workflow, load_str};

const DEFAULT_CASES: u32 = 48;

/// Values a file should never be able to turn into a panic.
const HOSTILE: [&str; 22] = [
    "1e300",
    "-1e300",
    "1e308",
    "-1",
    "-0.0",
    "0",
    ".nan",
    ".inf",
    "-.inf",
    "4294967296",
    "18446744073709551616",
    "99999999999999999999999999",
    "0.0000000001",
    "null",
    "true",
    "\"\"",
    "[]",
    "{}",
    "{median: 1e-300, p95: 1e300}",
    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
    "\"{{ x }}\"",
    "\"${x}\"",
];

fn seeds() -> Vec<(PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut out = Vec::new();
    for dir in ["examples", "bench/scenarios", "bench/generated/dev"] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(root.join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
            .collect();
        files.sort();
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            out.push((f, text));
        }
    }
    out
}

/// One mutation: `kind` picks what, `at` where, `pick` with what.
fn mutate(text: &str, kind: u8, at: usize, pick: usize) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    if lines.is_empty() {
        return text.to_string();
    }
    let i = at % lines.len();
    match kind % 7 {
        // A scalar value (after the first `: ` of the line) becomes a hostile one.
        0 | 1 => {
            if let Some(c) = lines[i].find(": ") {
                let hostile = HOSTILE[pick % HOSTILE.len()];
                lines[i] = format!("{}: {hostile}", &lines[i][..c]);
            }
        }
        // A long string value.
        2 => {
            if let Some(c) = lines[i].find(": ") {
                lines[i] = format!("{}: \"{}\"", &lines[i][..c], "x".repeat(1 + pick % 100_000));
            }
        }
        3 => {
            lines.remove(i);
        }
        4 => {
            let l = lines[i].clone();
            lines.insert(i, l);
        }
        // A misspelt key: two neighbouring letters swapped.
        5 => {
            let mut chars: Vec<char> = lines[i].chars().collect();
            let key_end = chars.iter().position(|&c| c == ':').unwrap_or(0);
            let start = chars.iter().take_while(|c| !c.is_alphanumeric()).count();
            if key_end > start + 1 {
                let j = start + pick % (key_end - start - 1);
                chars.swap(j, j + 1);
                lines[i] = chars.into_iter().collect();
            }
        }
        // A byte flip.
        _ => {
            let mut bytes = lines[i].clone().into_bytes();
            if !bytes.is_empty() {
                let j = pick % bytes.len();
                let alphabet = b" \t-:#{}[],'\"|>&*!0.9ea";
                bytes[j] = alphabet[pick % alphabet.len()];
                lines[i] = String::from_utf8_lossy(&bytes).into_owned();
            }
        }
    }
    lines.join("\n") + "\n"
}

/// A member that may hang and has no timeout: its run may wait forever, as documented.
fn may_hang_forever(wf: &Workflow) -> bool {
    let hangs = |m: &teamtune_model::MemberSpec| {
        matches!(&m.runner, MemberRunner::Sim(p) if p.hang_rate > 0.0)
            && m.timeout_seconds.is_none()
    };
    wf.nodes.iter().any(|n| match &n.kind {
        NodeKind::Team(t) => t.timeout_seconds.is_none() && t.members.iter().any(hangs),
        NodeKind::Agent(a) => hangs(&a.member),
        _ => false,
    })
}

/// Loads `text`; whatever loads runs once. `Err` describes a finding.
fn check(text: &str) -> Result<(), String> {
    let file = match load_str(Path::new("fuzz.yaml"), text) {
        Err(e) => {
            return match e.problems().iter().find(|p| p.line.is_none()) {
                Some(p) => Err(format!("an error without a location: {}", p.message)),
                None => Ok(()),
            };
        }
        Ok(f) => f,
    };
    for name in file.workflows.keys() {
        let Ok(engine) = Engine::new(&file, Some(name)) else {
            continue;
        };
        if !engine.is_simulated() {
            continue;
        }
        let rt = teamtune_engine::virtual_runtime().unwrap();
        let opts = RunOptions {
            seed: 7,
            hitl: HitlPolicy::Approve,
            virtual_time: true,
            ..RunOptions::default()
        };
        // On the paused clock an idle run jumps to this watchdog at once.
        let watchdog = Duration::from_secs(1_000 * 365 * 86_400);
        let finished =
            rt.block_on(async { tokio::time::timeout(watchdog, engine.run(&opts)).await });
        if finished.is_err() && !may_hang_forever(engine.workflow()) {
            return Err(format!("workflow `{name}` never finished"));
        }
    }
    Ok(())
}

#[test]
fn mutated_bundled_workflows_load_or_fail_located_and_run_to_the_end() {
    let cases = std::env::var("TEAMTUNE_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_CASES);
    let seeds = seeds();
    let strategy = (
        0..seeds.len(),
        proptest::collection::vec((any::<u8>(), any::<usize>(), any::<usize>()), 1..4),
    );
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&strategy, |(which, ops)| {
        let mut text = seeds[which].1.clone();
        for (kind, at, pick) in ops {
            text = mutate(&text, kind, at, pick);
        }
        check(&text).map_err(|e| TestCaseError::fail(format!("{}: {e}", seeds[which].0.display())))
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

#[test]
fn every_hostile_value_in_every_position_of_one_team_file_is_handled() {
    let (_, text) = seeds()
        .into_iter()
        .find(|(p, _)| p.ends_with("research-team.yaml"))
        .unwrap();
    let lines = text.lines().count();
    for at in 0..lines {
        for (pick, value) in HOSTILE.iter().enumerate() {
            let mutated = mutate(&text, 0, at, pick);
            if let Err(e) = check(&mutated) {
                panic!("line {}, value {value}: {e}", at + 1);
            }
        }
    }
}
