//! The change history through `HistoryStore`, on a real file.

use std::path::PathBuf;

use teamtune_store::{HistoryKind, HistoryStatus, NewHistoryEntry};

use crate::backends::backends;

fn apply(team: &str, before: &str, after: &str) -> NewHistoryEntry {
    NewHistoryEntry {
        team_id: team.to_string(),
        kind: HistoryKind::Apply,
        file_path: PathBuf::from("flows/review.yaml"),
        previous_content: before.to_string(),
        new_content: after.to_string(),
        suggestion: Some(
            serde_json::json!({"type": "tool_budget", "suggested_config": {"tool_budget": 12}}),
        ),
        result: Some(serde_json::json!({"status": "passed", "improvement_percentage": 12.5})),
        status: HistoryStatus::Kept,
        pre_change_seq: Some(10),
        note: None,
    }
}

#[test]
fn history_survives_reopening_byte_for_byte() {
    for b in backends("history_survives_reopening_byte_for_byte") {
        history_survives_reopening(&b);
    }
}

fn history_survives_reopening(b: &crate::backends::Backend) {
    // Bytes a rollback must restore exactly: CRLF, tabs, trailing spaces, unicode, no final EOL.
    let original = "# tuned by hand\r\nteam:\t\n  budget: 20   \n  name: \"équipe\"";
    let first = {
        let mut store = b.open();
        let first = store.add_history(&apply("a", original, "v2")).unwrap();
        store.add_history(&apply("a", "v2", "v3")).unwrap();
        let mut rollback = apply("a", "v3", original);
        rollback.kind = HistoryKind::Rollback;
        rollback.suggestion = None;
        store.add_history(&rollback).unwrap();
        first
    };
    let mut store = b.open();
    let history = store.history("a").unwrap();
    assert_eq!(
        history.iter().map(|e| e.index).collect::<Vec<_>>(),
        [0, 1, 2]
    );
    assert_eq!(history[0], first);
    assert_eq!(history[0].previous_content, original);
    assert_eq!(history[2].kind, HistoryKind::Rollback);
    assert_eq!(history[2].new_content, original);

    store
        .set_history_status(
            history[1].id,
            &HistoryStatus::RolledBack,
            Some("rolled back by entry 2"),
        )
        .unwrap();
    let again = b
        .open_read_only()
        .history_entry(history[1].id)
        .unwrap()
        .unwrap();
    assert_eq!(again.status, HistoryStatus::RolledBack);
    assert_eq!(again.note.as_deref(), Some("rolled back by entry 2"));
}

#[test]
fn history_of_unknown_team_is_empty() {
    for b in backends("history_of_unknown_team_is_empty") {
        assert!(b.open().history("nobody").unwrap().is_empty(), "{}", b.name);
    }
}

#[test]
fn entries_are_numbered_per_team_and_an_unknown_id_is_an_error() {
    for b in backends("entries_are_numbered_per_team_and_an_unknown_id_is_an_error") {
        let mut store = b.open();
        let a0 = store.add_history(&apply("a", "1", "2")).unwrap();
        let b0 = store.add_history(&apply("b", "x", "y")).unwrap();
        let a1 = store.add_history(&apply("a", "2", "3")).unwrap();
        assert_eq!((a0.index, b0.index, a1.index), (0, 0, 1), "{}", b.name);
        assert!(
            a1.created_at.ends_with('Z') && a1.created_at.len() == 24,
            "{}: {}",
            b.name,
            a1.created_at
        );
        assert_eq!(store.history_entry(a1.id).unwrap(), Some(a1));
        assert_eq!(store.history_entry(a0.id + 1000).unwrap(), None);
        let err = store
            .set_history_status(a0.id + 1000, &HistoryStatus::Kept, None)
            .unwrap_err();
        assert!(
            matches!(err, teamtune_store::StoreError::HistoryNotFound { .. }),
            "{}: {err}",
            b.name
        );
    }
}
