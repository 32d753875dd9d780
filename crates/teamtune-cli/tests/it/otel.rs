//! `teamtune import otel` on the committed framework traces (fixtures/otel/).

use crate::{repo_root, stderr, stdout, teamtune};

fn fixture(name: &str) -> String {
    repo_root()
        .join("fixtures/otel")
        .join(name)
        .display()
        .to_string()
}

fn import(dir: &std::path::Path, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["import", "otel", "--store", "s.db", "--json"];
    args.extend_from_slice(extra);
    let out = teamtune(dir, &args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    serde_json::from_str(&stdout(&out)).unwrap()
}

#[test]
fn import_records_the_traces_once_and_analyze_finds_the_planted_slow_member() {
    let dir = tempfile::tempdir().unwrap();
    let research = fixture("research_team.jsonl");
    let first = import(dir.path(), &[&research]);
    assert_eq!(first["team_runs"], 12);
    assert_eq!(first["recorded"], 12);
    assert_eq!(first["teams"], serde_json::json!(["research_team"]));

    let again = import(dir.path(), &[&research, &research]);
    assert_eq!(again["recorded"], 0, "{again:#}");
    assert_eq!(again["already_recorded"], 12);

    let out = teamtune(
        dir.path(),
        &[
            "analyze",
            "--team-id",
            "research_team",
            "--store",
            "s.db",
            "--json",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(report["runs"], 12);
    let top = &report["insights"][0];
    assert_eq!(top["bottleneck"], "slow_member", "{report:#}");
    assert_eq!(
        top["affected_components"],
        serde_json::json!(["member:fact_checker"])
    );
}

#[test]
fn a_plain_team_span_is_imported_only_when_named() {
    let dir = tempfile::tempdir().unwrap();
    let triage = fixture("triage_team.json");
    assert_eq!(import(dir.path(), &[&triage])["team_runs"], 0);
    let named = import(dir.path(), &[&triage, "--team-span", "triage_team"]);
    assert_eq!(named["recorded"], 6);
    let out = teamtune(
        dir.path(),
        &[
            "metrics",
            "export",
            "--team-id",
            "triage_team",
            "--store",
            "s.db",
        ],
    );
    let runs: Vec<serde_json::Value> = serde_json::from_str(&stdout(&out)).unwrap();
    assert!(runs.iter().all(|r| r["formation"] == "parallel"));
    let forced = tempfile::tempdir().unwrap();
    import(
        forced.path(),
        &[
            &triage,
            "--team-span",
            "triage_team",
            "--formation",
            "consensus",
        ],
    );
    let out = teamtune(
        forced.path(),
        &[
            "metrics",
            "export",
            "--team-id",
            "triage_team",
            "--store",
            "s.db",
        ],
    );
    let runs: Vec<serde_json::Value> = serde_json::from_str(&stdout(&out)).unwrap();
    assert!(runs.iter().all(|r| r["formation"] == "consensus"));
}

#[test]
fn a_malformed_span_is_reported_by_file_line_and_span_id_and_nothing_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(fixture("research_team.jsonl")).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    // Line 7's first span loses its end time: the six lines before it are fine.
    let start = lines[6].find("\"endTimeUnixNano\":\"").unwrap();
    let end = start + lines[6][start..].find(',').unwrap() + 1;
    let span_id = {
        let at = lines[6].find("\"spanId\":\"").unwrap() + 10;
        lines[6][at..at + 16].to_string()
    };
    lines[6].replace_range(start..end, "");
    let bad = crate::write(dir.path(), "bad.jsonl", &lines.join("\n"));
    let out = teamtune(
        dir.path(),
        &["import", "otel", bad.to_str().unwrap(), "--store", "s.db"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "bad.jsonl:7: span {span_id}: endTimeUnixNano is missing"
        )),
        "{err}"
    );
    assert!(
        !dir.path().join("s.db").exists(),
        "nothing half-imported: the store was not even created"
    );

    let out = teamtune(
        dir.path(),
        &[
            "import",
            "otel",
            "missing.jsonl",
            "--store",
            "s.db",
            "--formation",
            "ring",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--formation"), "{}", stderr(&out));
}
