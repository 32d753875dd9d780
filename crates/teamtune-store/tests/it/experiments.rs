//! Live experiments through `ExperimentStore`, on both backends.

use std::path::PathBuf;

use teamtune_model::Variant;
use teamtune_store::{DecisionAction, ExperimentStatus, NewDecision, NewExperiment, StoreError};

use crate::backends::backends;
use crate::support::single_team_run;

fn new(team: &str) -> NewExperiment {
    NewExperiment {
        team_id: team.into(),
        file_path: PathBuf::from("/tmp/w.yaml"),
        share: 0.2,
        ramp: vec![0.5],
        control_hash: "a".into(),
        control_config: serde_json::json!({"team_formation": "sequential"}),
        candidate_hash: "b".into(),
        candidate_config: serde_json::json!({"team_formation": "parallel"}),
        suggestion: Some(serde_json::json!({"id": "s1"})),
        rules: serde_json::json!({"max_pairs": 50}),
        start_seq: None,
        note: Some("by hand".into()),
    }
}

fn decision(action: DecisionAction, before: f64, after: f64) -> NewDecision {
    NewDecision {
        action,
        share_before: before,
        share_after: after,
        control_runs: 8,
        candidate_runs: 2,
        evidence: Some(serde_json::json!({"status": "passed"})),
        history_index: Some(4),
        reason: "because".into(),
    }
}

#[test]
fn one_running_experiment_per_team_and_every_field_round_trips() {
    for b in backends("one_running_experiment_per_team_and_every_field_round_trips") {
        let mut s = b.open();
        let e = s.start_experiment(&new("t"), "by hand").unwrap();
        assert_eq!(e.status, ExperimentStatus::Running, "{}", b.name);
        assert_eq!(
            (e.ramp.clone(), e.share, e.note.as_deref()),
            (vec![0.5], 0.2, Some("by hand"))
        );
        assert_eq!(e.suggestion, Some(serde_json::json!({"id": "s1"})));
        let err = s.start_experiment(&new("t"), "again").unwrap_err();
        assert!(
            matches!(err, StoreError::ExperimentRunning { id, .. } if id == e.id),
            "{}: {err}",
            b.name
        );
        s.start_experiment(&new("other"), "another team").unwrap();
        assert_eq!(s.running_experiment("t").unwrap().unwrap(), e);
        assert_eq!(s.experiments(None).unwrap().len(), 2);
        assert_eq!(s.experiments(Some("t")).unwrap(), vec![e.clone()]);
        assert_eq!(b.open_read_only().experiment(e.id).unwrap(), Some(e));
    }
}

#[test]
fn a_decision_is_recorded_once() {
    for b in backends("a_decision_is_recorded_once") {
        let mut s = b.open();
        let e = s.start_experiment(&new("t"), "by hand").unwrap();
        let raise = decision(DecisionAction::RaiseShare, 0.2, 0.5);
        assert!(s.decide_experiment(e.id, &raise).unwrap(), "{}", b.name);
        // A second process that saw the old share decides nothing.
        assert!(!b.open().decide_experiment(e.id, &raise).unwrap());
        let promote = decision(DecisionAction::Promote, 0.5, 0.5);
        assert!(s.decide_experiment(e.id, &promote).unwrap());
        let abort = decision(DecisionAction::Abort, 0.5, 0.5);
        assert!(!s.decide_experiment(e.id, &abort).unwrap());
        let e = s.experiment(e.id).unwrap().unwrap();
        assert_eq!(e.status, ExperimentStatus::Promoted);
        assert_eq!(e.history_index, Some(4));
        assert!(e.ended_at.is_some());
        let decisions = s.experiment_decisions(e.id).unwrap();
        let actions: Vec<DecisionAction> = decisions.iter().map(|d| d.action).collect();
        assert_eq!(
            actions,
            [
                DecisionAction::Start,
                DecisionAction::RaiseShare,
                DecisionAction::Promote
            ],
            "{}",
            b.name
        );
        assert_eq!(
            decisions[1].evidence,
            Some(serde_json::json!({"status": "passed"}))
        );
        assert_eq!(
            (decisions[1].control_runs, decisions[1].candidate_runs),
            (8, 2)
        );
        // The team may start another one now.
        s.start_experiment(&new("t"), "next").unwrap();
    }
}

#[test]
fn an_experiment_reads_only_its_own_later_runs() {
    for b in backends("an_experiment_reads_only_its_own_later_runs") {
        let mut s = b.open();
        s.record_runs(&[single_team_run("before", "t", 0, None)])
            .unwrap();
        let mut plan = new("t");
        plan.start_seq = s.latest_seq("t").unwrap();
        let e = s.start_experiment(&plan, "by hand").unwrap();
        let mut joined = single_team_run("joined", "t", 1, Some(Variant::Candidate));
        joined.team_runs[0].experiment_id = Some(e.id);
        let mut other = single_team_run("other", "t", 2, None);
        other.team_runs[0].experiment_id = Some(e.id + 1);
        s.record_runs(&[joined, other]).unwrap();
        let runs = s.experiment_runs("t", e.id).unwrap();
        let ids: Vec<_> = runs
            .iter()
            .map(|r| r.record.run_id.clone().unwrap())
            .collect();
        assert_eq!(ids, ["joined"], "{}", b.name);
        assert_eq!(runs[0].record.variant, Some(Variant::Candidate));
    }
}
