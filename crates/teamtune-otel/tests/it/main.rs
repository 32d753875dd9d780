//! The import on the committed framework traces, and fuzzed traces that must never panic.

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use teamtune_model::StopCause;
use teamtune_otel::{ImportOptions, parse_text, read_files, team_runs};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/otel")
        .join(name)
}

#[test]
fn research_team_runs_have_their_members_tool_calls_tokens_and_failures() {
    let runs = read_files(&[fixture("research_team.jsonl")], &ImportOptions::default()).unwrap();
    assert_eq!(runs.len(), 12);
    let teams: Vec<_> = runs.iter().flat_map(|r| &r.team_runs).collect();
    assert_eq!(teams.len(), 12);
    let failed: Vec<usize> = teams
        .iter()
        .enumerate()
        .filter(|(_, t)| !t.success)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(failed, [4, 9], "the runs the script makes fail");
    for (i, t) in teams.iter().enumerate() {
        assert_eq!(t.team_id, "research_team");
        assert_eq!(t.formation, "sequential");
        let ids: Vec<&str> = t.member_metrics.keys().map(String::as_str).collect();
        if t.success {
            assert_eq!(ids, ["researcher", "fact_checker", "writer"], "run {i}");
            assert_eq!(t.total_tool_calls, 6);
            let m = &t.member_metrics["fact_checker"];
            assert_eq!(m.tool_calls_used, 3);
            assert_eq!(m.turns[0].tool_call_seconds.len(), 3);
            assert_eq!(m.turns[0].tokens_in, Some(700));
            assert_eq!(m.turns[0].tokens_out, Some(80));
            assert_eq!(t.member_metrics["researcher"].turns[0].tokens_in, Some(450));
            assert_eq!(t.member_metrics["writer"].turns[0].tokens_out, Some(40));
        } else {
            assert_eq!(ids, ["researcher", "fact_checker"], "run {i}");
            let m = &t.member_metrics["fact_checker"];
            assert!(!m.success);
            assert_eq!(m.stop_cause, Some(StopCause::Error));
            assert_eq!(t.stop_cause, Some(StopCause::Error));
        }
        let slow = &t.member_metrics["fact_checker"].turns[0];
        assert!(slow.think_seconds < slow.seconds);
        assert!(t.run_id.as_deref().unwrap().starts_with("otel-"));
    }
}

#[test]
fn triage_team_is_a_parallel_team_under_a_named_span() {
    let path = fixture("triage_team.json");
    let none = read_files(std::slice::from_ref(&path), &ImportOptions::default()).unwrap();
    assert!(none.is_empty(), "no agent span has agents below it");
    let opts = ImportOptions {
        team_span: Some("triage_team".into()),
        formation: None,
    };
    let runs = read_files(&[path], &opts).unwrap();
    assert_eq!(runs.len(), 6);
    for t in runs.iter().flat_map(|r| &r.team_runs) {
        assert_eq!(t.formation, "parallel");
        assert_eq!(t.member_count, 3);
        assert_eq!(t.total_tool_calls, 4);
        assert!(t.success);
    }
}

/// A committed trace with one byte changed, dropped or repeated somewhere.
fn mutated() -> impl Strategy<Value = String> {
    let text = std::fs::read_to_string(fixture("research_team.jsonl")).unwrap();
    let lines: Vec<String> = text.lines().take(3).map(str::to_string).collect();
    let base = lines.join("\n");
    let len = base.len();
    (0..len, any::<u8>(), 0..3u8).prop_map(move |(at, byte, how)| {
        let mut bytes = base.clone().into_bytes();
        match how {
            0 => bytes[at] = byte,
            1 => {
                bytes.remove(at);
            }
            _ => bytes.insert(at, byte),
        }
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

fn fuzz_cases() -> u32 {
    std::env::var("TEAMTUNE_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(32)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(fuzz_cases()))]

    #[test]
    fn mutated_traces_never_panic(text in mutated()) {
        if let Ok(spans) = parse_text(Path::new("fuzz.jsonl"), &text) {
            let _ = team_runs(&spans, &ImportOptions::default());
        }
    }
}
