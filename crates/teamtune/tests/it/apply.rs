//! Apply keeps comments and formatting, rollback restores byte for byte, interrupted applies
//! leave the old or the new file with a history that matches, worsening changes are never
//! written, and auto-rollback reverts a kept change that regresses later.

use std::path::{Path, PathBuf};

use teamtune::Variant;
use teamtune::{AbStatus, CheckStatus, Suggestion, SuggestionType};
use teamtune::{ApplyMode, ApplyOptions, Autotuner, BatchOptions, FailPoint, Quiet};
use teamtune_model::load_file;
use teamtune_store::{HistoryStore, MetricsStore, SqliteStore};

const AUDIT: &str = r#"# Four independent auditors.
workflows:
  audit:
    nodes:
      # the team under test
      - id: audit_team
        type: team
        goal: "Audit"
        team_formation: sequential   # one after another
        timeout_seconds: 600

        sim: {work_calls: 40, call_latency_s: 2.0, think_s: {median: 10, p95: 14}, failure_rate: 0.0}
        members:
          - id: a   # first
            tool_budget: 20
          - {id: b, tool_budget: 20}
          - id: c
            tool_budget: 20
          - id: d
            tool_budget: 20
"#;

fn setup() -> (tempfile::TempDir, PathBuf, Autotuner) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("audit.yaml");
    std::fs::write(&file, AUDIT).unwrap();
    let tuner = Autotuner::new(dir.path().join("store.db"));
    (dir, file, tuner)
}

fn formation_change(from: &str, to: &str) -> Suggestion {
    let mut current = serde_json::Map::new();
    current.insert("team_formation".into(), from.into());
    let mut suggested = serde_json::Map::new();
    suggested.insert("team_formation".into(), to.into());
    Suggestion::new(
        SuggestionType::FormationSelection,
        format!("switch to {to}"),
        current,
        suggested,
        50.0,
        0.8,
        0.3,
        serde_json::Map::new(),
    )
}

fn opts(file: &Path, mode: ApplyMode) -> ApplyOptions {
    let mut o = ApplyOptions::new("audit_team", file, mode);
    o.seed = 7;
    o
}

#[test]
fn apply_keeps_comments_and_rollback_restores_byte_for_byte() {
    let (dir, file, tuner) = setup();
    let results = tuner
        .apply(&opts(&file, ApplyMode::Auto), &mut Quiet)
        .unwrap();
    let kept: Vec<_> = results
        .iter()
        .filter(|r| r.history_index.is_some())
        .collect();
    assert!(!kept.is_empty(), "{results:#?}");
    assert_eq!(kept[0].validation_status, AbStatus::Passed);
    let edited = std::fs::read_to_string(&file).unwrap();
    assert_ne!(edited, AUDIT);
    for line in AUDIT.lines().filter(|l| l.trim_start().starts_with('#')) {
        assert!(edited.contains(line), "comment line lost: {line}");
    }
    assert!(
        edited.contains("# one after another"),
        "trailing comment kept"
    );
    let loaded = load_file(&file).unwrap();
    assert_ne!(
        loaded.find_team("audit_team").unwrap().1.formation.as_str(),
        "sequential"
    );

    // History survives a restart: a new autotuner on the same store sees it.
    let again = Autotuner::new(dir.path().join("store.db"));
    let history = again.history("audit_team").unwrap();
    assert_eq!(history.len(), kept.len());
    assert_eq!(history[0].previous_content, AUDIT);
    assert_eq!(history[0].status.as_str(), "kept");

    let report = again.rollback("audit_team", 0, false).unwrap();
    assert_eq!(report.undone.len(), kept.len());
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        AUDIT,
        "byte for byte"
    );
    let history = again.history("audit_team").unwrap();
    assert_eq!(history.last().unwrap().kind.as_str(), "rollback");
    assert!(
        history
            .iter()
            .filter(|e| e.kind.as_str() == "apply")
            .all(|e| e.status.as_str() == "rolled_back")
    );
    // Nothing left to roll back.
    assert!(again.rollback("audit_team", 0, false).is_err());
}

#[test]
fn rollback_refuses_a_hand_edited_file_unless_forced() {
    let (_dir, file, tuner) = setup();
    let mut o = opts(
        &file,
        ApplyMode::Suggestions(vec![formation_change("sequential", "parallel")]),
    );
    o.ab_test = false;
    let r = tuner.apply(&o, &mut Quiet).unwrap();
    assert_eq!(r[0].validation_status, AbStatus::Skipped);
    let mut text = std::fs::read_to_string(&file).unwrap();
    text.push_str("# a hand edit\n");
    std::fs::write(&file, &text).unwrap();
    let err = tuner
        .rollback("audit_team", -1, false)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("changed since") && err.contains("--force"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        text,
        "refused: file untouched"
    );
    tuner.rollback("audit_team", -1, true).unwrap();
    assert_eq!(std::fs::read_to_string(&file).unwrap(), AUDIT);
}

#[test]
fn a_worsening_candidate_fails_and_is_never_written() {
    let (dir, file, tuner) = setup();
    // Start parallel, then propose going back to sequential: about 4x slower.
    let mut o = opts(
        &file,
        ApplyMode::Suggestions(vec![formation_change("sequential", "parallel")]),
    );
    o.ab_test = false;
    tuner.apply(&o, &mut Quiet).unwrap();
    let before = std::fs::read_to_string(&file).unwrap();
    let r = tuner
        .apply(
            &opts(
                &file,
                ApplyMode::Suggestions(vec![formation_change("parallel", "sequential")]),
            ),
            &mut Quiet,
        )
        .unwrap();
    assert_eq!(r[0].validation_status, AbStatus::Failed, "{:#?}", r[0]);
    assert!(!r[0].success && r[0].history_index.is_none());
    assert!(r[0].improvement_percentage.unwrap() < -100.0);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), before);
    let store = SqliteStore::open(&dir.path().join("store.db")).unwrap();
    assert_eq!(
        store.history("audit_team").unwrap().len(),
        1,
        "only the first change"
    );
    // Every A/B run was recorded with its variant.
    let runs = store
        .team_runs(
            "audit_team",
            &teamtune_store::RunQuery::new().variant(Variant::Candidate),
        )
        .unwrap();
    assert_eq!(runs.len(), 10);
}

#[test]
fn dry_run_writes_nothing() {
    let (dir, file, tuner) = setup();
    let mut o = opts(
        &file,
        ApplyMode::Suggestions(vec![formation_change("sequential", "parallel")]),
    );
    o.dry_run = true;
    let r = tuner.apply(&o, &mut Quiet).unwrap();
    assert_eq!(
        (r[0].success, r[0].validation_status.as_str()),
        (true, "dry_run")
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), AUDIT);
    let store = SqliteStore::open(&dir.path().join("store.db")).unwrap();
    assert!(store.history("audit_team").unwrap().is_empty());
}

#[test]
fn an_interrupted_apply_leaves_a_file_and_history_that_agree() {
    for (point, expect_new) in [
        (FailPoint::AfterHistory, false),
        (FailPoint::AfterWrite, true),
    ] {
        let (_dir, file, tuner) = setup();
        let mut o = opts(
            &file,
            ApplyMode::Suggestions(vec![formation_change("sequential", "parallel")]),
        );
        o.ab_test = false;
        o.fail_at = Some(point);
        assert!(tuner.apply(&o, &mut Quiet).is_err(), "{point:?} injected");
        let text = std::fs::read_to_string(&file).unwrap();
        let history = tuner.history("audit_team").unwrap();
        assert_eq!(history.len(), 1);
        if expect_new {
            assert_ne!(text, AUDIT);
            assert_eq!(text, history[0].new_content);
            assert_eq!(history[0].status.as_str(), "kept", "{point:?}");
        } else {
            assert_eq!(text, AUDIT);
            assert_eq!(history[0].status.as_str(), "abandoned", "{point:?}");
            assert!(
                tuner.rollback("audit_team", -1, false).is_err(),
                "nothing in effect to roll back"
            );
        }
    }
}

#[test]
fn a_kept_change_that_regresses_later_is_rolled_back_automatically() {
    let (dir, file, tuner) = setup();
    // Record a fast history under parallel first.
    let mut o = opts(
        &file,
        ApplyMode::Suggestions(vec![formation_change("sequential", "parallel")]),
    );
    o.ab_test = false;
    tuner.apply(&o, &mut Quiet).unwrap();
    let parallel_text = std::fs::read_to_string(&file).unwrap();
    let mut store = SqliteStore::open(&dir.path().join("store.db")).unwrap();
    record_runs(&mut store, &file, 20, 1);
    // A change kept without an A/B test that makes it slower.
    let mut o = opts(
        &file,
        ApplyMode::Suggestions(vec![formation_change("parallel", "sequential")]),
    );
    o.ab_test = false;
    let r = tuner.apply(&o, &mut Quiet).unwrap();
    assert!(r[0].success);
    assert_eq!(
        tuner.check("audit_team").unwrap().unwrap().status,
        CheckStatus::Waiting
    );
    // Recording runs checks the latest kept change, as `teamtune run` does.
    let checks = record_runs(&mut store, &file, 10, 2);
    let report = checks
        .into_iter()
        .find(|(team, _)| team == "audit_team")
        .and_then(|(_, c)| c.unwrap())
        .unwrap();
    assert_eq!(report.status, CheckStatus::RolledBack, "{report:#?}");
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        parallel_text,
        "restored"
    );
    let history = tuner.history("audit_team").unwrap();
    assert_eq!(history[1].status.as_str(), "rolled_back");
    // The 20 runs recorded after the first change verified it; it stays in effect.
    assert_eq!(
        history[0].status,
        teamtune::HistoryStatus::Verified,
        "the earlier change stays"
    );
}

fn record_runs(
    store: &mut SqliteStore,
    file: &Path,
    runs: u64,
    seed: u64,
) -> Vec<(
    String,
    Result<Option<teamtune::CheckReport>, teamtune::Error>,
)> {
    // Through the facade, on its own connection to the same store file.
    let tuner = Autotuner::new(store.path());
    let runnable = tuner.prepare(file, None).unwrap();
    let opts = BatchOptions {
        runs,
        seed,
        ..BatchOptions::default()
    };
    tuner.run(&runnable, &opts, true, |_| {}).unwrap().checks
}

#[test]
fn a_reliability_fix_is_proven_on_the_success_rate_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tight.yaml");
    std::fs::write(
        &file,
        r#"workflows:
  w:
    nodes:
      - id: crew
        type: team
        team_formation: parallel
        sim: {work_calls: 30, think_s: {median: 5, p95: 10}, failure_rate: 0.0}
        members:
          - {id: a, tool_budget: 11}   # too tight: about 10 calls needed each
          - {id: b, tool_budget: 11}
          - {id: c, tool_budget: 11}
"#,
    )
    .unwrap();
    let tuner = Autotuner::new(dir.path().join("store.db"));
    let mut o = ApplyOptions::new("crew", &file, ApplyMode::Auto);
    o.max_changes = 1;
    o.twin = false; // the rule strategies' reliability fix
    let results = tuner.apply(&o, &mut Quiet).unwrap();
    let r = &results[0];
    assert_eq!(r.optimization.metadata["metric"], "success_rate");
    assert_eq!(r.metric, Some(teamtune::AbMetric::SuccessRate));
    assert_eq!(r.validation_status, AbStatus::Passed, "{:#?}", r);
    let f = r.fisher.unwrap();
    assert_eq!((f.n_a, f.n_b), (30, 30), "three times --runs per side");
    assert!(f.successes_b > f.successes_a && f.p_value < 0.05);
    let after = std::fs::read_to_string(&file).unwrap();
    assert!(after.contains("# too tight: about 10 calls needed each"));
    assert!(!after.contains("tool_budget: 11"));
    // The duration test alone would not have passed it: runs got longer.
    assert!(r.statistics.as_ref().unwrap().improvement_percentage < 5.0);
}
