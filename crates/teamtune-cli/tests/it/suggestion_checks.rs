//! `apply --suggestion` checks every suggestion against the file as it is before anything
//! runs: the edited file must validate, the suggestions must be for this team, and a file of
//! suggestions made for an older version of the team is refused unless each still fits. A
//! suggestion made stale by a change kept earlier in the same run is not tried.

use std::path::Path;

use serde_json::{Value, json};

use crate::{repo_root, stderr, stdout, teamtune};

/// A copy of an example and a store with `runs` runs of it; returns the file name.
fn example_with_runs(dir: &Path, example: &str, runs: u32) -> String {
    let name = format!("{example}.yaml");
    std::fs::copy(repo_root().join("examples").join(&name), dir.join(&name)).unwrap();
    let out = teamtune(
        dir,
        &[
            "run",
            &name,
            "--runs",
            &runs.to_string(),
            "--seed",
            "1",
            "--store",
            "s.db",
        ],
    );
    // Exit 1 says some runs failed (the audit example fails 1% of them): still recorded.
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
    name
}

/// `suggest --output` for the team, as JSON.
fn suggest(dir: &Path, file: &str, team: &str, output: &str) -> Value {
    let out = teamtune(
        dir,
        &[
            "suggest",
            "--team-id",
            team,
            "--config",
            file,
            "--store",
            "s.db",
            "--output",
            output,
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    serde_json::from_str(&std::fs::read_to_string(dir.join(output)).unwrap()).unwrap()
}

fn apply(
    dir: &Path,
    team: &str,
    file: &str,
    suggestions: &str,
    extra: &[&str],
) -> std::process::Output {
    let mut args = vec![
        "apply",
        "--team-id",
        team,
        "--config",
        file,
        "--store",
        "s.db",
        "--suggestion",
        suggestions,
        "--runs",
        "4",
    ];
    args.extend_from_slice(extra);
    teamtune(dir, &args)
}

fn history_len(dir: &Path, team: &str) -> usize {
    let out = teamtune(
        dir,
        &["history", "--team-id", team, "--store", "s.db", "--json"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    serde_json::from_str::<Vec<Value>>(&stdout(&out))
        .unwrap()
        .len()
}

#[test]
fn a_suggestion_that_would_make_the_file_invalid_is_refused_before_any_run() {
    let dir = tempfile::tempdir().unwrap();
    let file = example_with_runs(dir.path(), "code-review", 20);
    let original = std::fs::read_to_string(dir.path().join(&file)).unwrap();
    let mut report = suggest(dir.path(), &file, "review_team", "s.json");
    let s = &mut report["suggestions"][0];
    s["current_config"] = json!({"timeout_seconds": 300});
    s["suggested_config"] = json!({"timeout_seconds": -1});
    std::fs::write(dir.path().join("neg.json"), report.to_string()).unwrap();
    for extra in [&[][..], &["--no-ab-test"][..]] {
        let out = apply(dir.path(), "review_team", &file, "neg.json", extra);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
        assert!(
            err.contains("neg.json: suggestion `") && err.contains("timeout_seconds"),
            "names the file, the suggestion and the key: {err}"
        );
        assert!(!err.contains("A/B test of"), "nothing ran: {err}");
    }
    assert_eq!(
        std::fs::read_to_string(dir.path().join(&file)).unwrap(),
        original
    );
    assert_eq!(history_len(dir.path(), "review_team"), 0);
}

#[test]
fn suggestions_for_another_team_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let audit = example_with_runs(dir.path(), "sequential-audit", 20);
    suggest(dir.path(), &audit, "audit_team", "audit.json");
    let review = example_with_runs(dir.path(), "code-review", 5);
    let original = std::fs::read_to_string(dir.path().join(&review)).unwrap();
    let out = apply(
        dir.path(),
        "review_team",
        &review,
        "audit.json",
        &["--no-ab-test"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("audit.json: refused: the file holds suggestions for team `audit_team`, not `review_team`"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join(&review)).unwrap(),
        original
    );
}

#[test]
fn a_whole_suggest_report_applied_at_once_never_clones_a_dropped_member() {
    let dir = tempfile::tempdir().unwrap();
    let file = example_with_runs(dir.path(), "sequential-audit", 30);
    let original = std::fs::read_to_string(dir.path().join(&file)).unwrap();
    let report = suggest(dir.path(), &file, "audit_team", "s.json");
    let count = report["suggestions"].as_array().unwrap().len();
    assert!(
        count >= 2,
        "several alternatives to apply in a row: {report:#}"
    );
    let out = apply(
        dir.path(),
        "audit_team",
        &file,
        "s.json",
        &["--no-ab-test", "--max-changes", "10", "--json"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let results: Vec<Value> = serde_json::from_str(&stdout(&out)).unwrap();
    // Each suggestion was made for the file as it was: once one is kept, those naming what
    // it changed no longer fit and are not tried; the others may still apply.
    assert_eq!(results[0]["history_index"], 0, "{results:#?}");
    let kept = results
        .iter()
        .filter(|r| !r["history_index"].is_null())
        .count();
    let stale = results
        .iter()
        .filter(|r| r["reason"].as_str().unwrap().contains("kept earlier"))
        .count();
    assert!(stale >= 1, "{results:#?}");
    assert_eq!(kept + stale, results.len(), "{results:#?}");
    let edited = std::fs::read_to_string(dir.path().join(&file)).unwrap();
    let goals = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| l.trim_start().starts_with("goal:"))
            .map(|l| l.trim().to_string())
            .collect()
    };
    let mut after = goals(&edited);
    let before = goals(&original);
    assert!(after.iter().all(|g| before.contains(g)), "{edited}");
    after.sort();
    after.dedup();
    assert_eq!(after.len(), goals(&edited).len(), "no goal twice: {edited}");
    assert_eq!(history_len(dir.path(), "audit_team"), kept);
}

#[test]
fn a_report_for_an_older_file_applies_only_where_it_still_fits() {
    let dir = tempfile::tempdir().unwrap();
    let file = example_with_runs(dir.path(), "sequential-audit", 30);
    let report = suggest(dir.path(), &file, "audit_team", "s.json");
    let id_of = |kind: &str| -> String {
        report["suggestions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["type"] == kind)
            .unwrap_or_else(|| panic!("a {kind} suggestion: {report:#}"))["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    // The file changes after the report: the docs auditor's budget is raised by hand.
    let path = dir.path().join(&file);
    let text = std::fs::read_to_string(&path).unwrap();
    let edited = text.replacen(
        "goal: \"Check the operator docs\"\n            tool_budget: 20",
        "goal: \"Check the operator docs\"\n            tool_budget: 30",
        1,
    );
    assert_ne!(edited, text);
    std::fs::write(&path, &edited).unwrap();

    // The sizing change names the members as they were: refused, saying why.
    let out = apply(
        dir.path(),
        "audit_team",
        &file,
        "s.json",
        &["--no-ab-test", "--pick", &id_of("team_sizing")],
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("made for an older version of team `audit_team`")
            && err.contains("no longer applies cleanly")
            && err.contains("`members`"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), edited, "untouched");

    // The formation change names only the formation, which is as it was: it applies.
    let out = apply(
        dir.path(),
        "audit_team",
        &file,
        "s.json",
        &["--no-ab-test", "--pick", &id_of("parallelization")],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("still applies cleanly"),
        "{}",
        stderr(&out)
    );
    let now = std::fs::read_to_string(&path).unwrap();
    assert!(now.contains("team_formation: parallel") && now.contains("tool_budget: 30"));
}

#[test]
fn apply_checks_its_inputs_before_creating_a_store() {
    let dir = tempfile::tempdir().unwrap();
    let file = example_with_runs(dir.path(), "code-review", 5);
    suggest(dir.path(), &file, "review_team", "s.json");
    for args in [
        vec!["--suggestion", "s.json"],
        vec!["--auto"],
        vec!["--suggestion", "missing.json"],
    ] {
        let mut all = vec![
            "apply",
            "--team-id",
            "review_team",
            "--config",
            "missing.yaml",
            "--store",
            "new/s.db",
        ];
        all.extend_from_slice(&args);
        let out = teamtune(dir.path(), &all);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("missing"), "{}", stderr(&out));
    }
    // A team the file does not have, and a suggestion that does not validate, likewise.
    let out = teamtune(
        dir.path(),
        &[
            "apply",
            "--team-id",
            "nobody",
            "--config",
            &file,
            "--store",
            "new/s.db",
            "--auto",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(!dir.path().join("new").exists(), "no store was created");
}
