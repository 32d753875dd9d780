//! Recording runs and reading them back through `MetricsStore`.

use teamtune_model::Variant;
use teamtune_store::{MetricsStore, RunQuery, SqliteStore, Store, StoreError};

use crate::backends::backends;

use crate::support::{single_team_run, team_run, workflow_run};

fn run_ids(store: &dyn Store, team: &str, query: &RunQuery) -> Vec<String> {
    store
        .team_runs(team, query)
        .unwrap()
        .into_iter()
        .map(|r| r.run_id.unwrap())
        .collect()
}

#[test]
fn records_round_trip_in_recorded_order_with_run_fields_inherited() {
    for b in backends("records_round_trip_in_recorded_order_with_run_fields_inherited") {
        let mut store = b.open();
        let runs: Vec<_> = (0..3)
            .map(|i| {
                workflow_run(
                    &format!("r{i}"),
                    vec![team_run("a", 4, i), team_run("b", 2, i)],
                )
            })
            .collect();
        store.record_runs(&runs).unwrap();

        let got = store.team_runs("a", &RunQuery::new()).unwrap();
        assert_eq!(got.len(), 3);
        for (i, record) in got.iter().enumerate() {
            let mut expected = runs[i].team_runs[0].clone();
            expected.run_id = Some(format!("r{i}"));
            expected.workflow = Some("review".into());
            assert_eq!(record, &expected);
        }
        assert_eq!(store.team_run_count("b").unwrap(), 3);
        assert_eq!(store.team_ids().unwrap(), ["a", "b"]);
    }
}

#[test]
fn a_team_record_keeps_its_own_run_id_and_variant() {
    for b in backends("a_team_record_keeps_its_own_run_id_and_variant") {
        let mut store = b.open();
        let mut run = single_team_run("outer", "a", 1, Some(Variant::Baseline));
        run.team_runs[0].run_id = Some("inner".into());
        run.team_runs[0].variant = Some(Variant::Candidate);
        store.record_runs(&[run]).unwrap();
        let got = &store.team_runs("a", &RunQuery::new()).unwrap()[0];
        assert_eq!(
            (got.run_id.as_deref(), got.variant),
            (Some("inner"), Some(Variant::Candidate))
        );
    }
}

#[test]
fn workflow_variant_is_inherited_and_filters_by_variant() {
    for b in backends("workflow_variant_is_inherited_and_filters_by_variant") {
        let mut store = b.open();
        store
            .record_runs(&[
                single_team_run("p0", "a", 0, None),
                single_team_run("b0", "a", 1, Some(Variant::Baseline)),
                single_team_run("c0", "a", 2, Some(Variant::Candidate)),
                single_team_run("b1", "a", 3, Some(Variant::Baseline)),
            ])
            .unwrap();
        assert_eq!(
            run_ids(&*store, "a", &RunQuery::new().variant(Variant::Baseline)),
            ["b0", "b1"]
        );
        assert_eq!(
            run_ids(&*store, "a", &RunQuery::new().variant(Variant::Candidate)),
            ["c0"]
        );
        assert_eq!(run_ids(&*store, "a", &RunQuery::new().unlabelled()), ["p0"]);
        assert_eq!(
            run_ids(&*store, "a", &RunQuery::new()),
            ["p0", "b0", "c0", "b1"]
        );
    }
}

#[test]
fn limit_keeps_the_most_recent_runs_oldest_first() {
    for b in backends("limit_keeps_the_most_recent_runs_oldest_first") {
        let mut store = b.open();
        let runs: Vec<_> = (0..10)
            .map(|i| single_team_run(&format!("r{i}"), "a", i, None))
            .collect();
        store.record_runs(&runs).unwrap();
        assert_eq!(
            run_ids(&*store, "a", &RunQuery::new().limit(3)),
            ["r7", "r8", "r9"]
        );
        assert_eq!(
            run_ids(&*store, "a", &RunQuery::new().limit(0)),
            Vec::<String>::new()
        );
        assert_eq!(run_ids(&*store, "a", &RunQuery::new().limit(100)).len(), 10);
    }
}

#[test]
fn after_seq_reads_only_later_runs() {
    for b in backends("after_seq_reads_only_later_runs") {
        let mut store = b.open();
        store
            .record_runs(&[
                single_team_run("r0", "a", 0, None),
                single_team_run("r1", "a", 1, None),
            ])
            .unwrap();
        let mark = store.latest_seq("a").unwrap().unwrap();
        store
            .record_runs(&[single_team_run("other", "b", 0, None)])
            .unwrap();
        store
            .record_runs(&[
                single_team_run("r2", "a", 2, None),
                single_team_run("r3", "a", 3, None),
            ])
            .unwrap();
        assert_eq!(
            run_ids(&*store, "a", &RunQuery::new().after_seq(mark)),
            ["r2", "r3"]
        );
        assert_eq!(
            run_ids(&*store, "a", &RunQuery::new().after_seq(mark).limit(1)),
            ["r3"]
        );

        let stored = store.stored_team_runs("a", &RunQuery::new()).unwrap();
        assert!(stored.windows(2).all(|w| w[0].seq < w[1].seq));
        assert_eq!(stored[1].seq, mark);
    }
}

#[test]
fn config_hash_filter() {
    for b in backends("config_hash_filter") {
        let mut store = b.open();
        let mut run = single_team_run("r1", "a", 1, None);
        run.team_runs[0].config_hash = Some("cfg-b".into());
        store
            .record_runs(&[single_team_run("r0", "a", 0, None), run])
            .unwrap();
        assert_eq!(
            run_ids(&*store, "a", &RunQuery::new().config_hash("cfg-b")),
            ["r1"]
        );
        assert_eq!(
            run_ids(&*store, "a", &RunQuery::new().config_hash("cfg-a")),
            ["r0"]
        );
    }
}

#[test]
fn unknown_team_is_empty_not_an_error() {
    for b in backends("unknown_team_is_empty_not_an_error") {
        let store = b.open();
        assert_eq!(store.team_run_count("nobody").unwrap(), 0);
        assert_eq!(store.latest_seq("nobody").unwrap(), None);
        assert!(
            store
                .team_runs("nobody", &RunQuery::new())
                .unwrap()
                .is_empty()
        );
        assert!(store.team_ids().unwrap().is_empty());
    }
}

#[test]
fn duplicate_run_id_fails_the_whole_batch() {
    for b in backends("duplicate_run_id_fails_the_whole_batch") {
        let mut store = b.open();
        store
            .record_runs(&[single_team_run("r0", "a", 0, None)])
            .unwrap();
        let err = store
            .record_runs(&[
                single_team_run("r1", "a", 1, None),
                single_team_run("r0", "a", 2, None),
            ])
            .unwrap_err();
        assert!(
            matches!(&err, StoreError::DuplicateRun { run_id, .. } if run_id == "r0"),
            "{err}"
        );
        assert_eq!(
            store.team_run_count("a").unwrap(),
            1,
            "r1 must have been rolled back"
        );
        // A run id twice in one batch fails it too.
        let err = store
            .record_runs(&[
                single_team_run("r5", "a", 5, None),
                single_team_run("r5", "a", 6, None),
            ])
            .unwrap_err();
        assert!(
            matches!(&err, StoreError::DuplicateRun { run_id, .. } if run_id == "r5"),
            "{}: {err}",
            b.name
        );
        // The store is still usable after the failed batch.
        store
            .record_runs(&[single_team_run("r1", "a", 1, None)])
            .unwrap();
        assert_eq!(store.team_run_count("a").unwrap(), 2);
    }
}

#[test]
fn too_large_counter_is_an_error_naming_the_field() {
    for b in backends("too_large_counter_is_an_error_naming_the_field") {
        let mut store = b.open();
        let mut run = single_team_run("r0", "a", 0, None);
        run.team_runs[0].total_tool_calls = u64::MAX;
        let err = store.record_runs(&[run]).unwrap_err();
        assert!(err.to_string().contains("total_tool_calls"), "{err}");
        assert_eq!(store.team_run_count("a").unwrap(), 0);
    }
}

#[test]
fn runs_survive_reopening_and_fill_the_flat_tables() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    {
        let mut store = SqliteStore::open(&path).unwrap();
        let mut run = workflow_run("r0", vec![team_run("a", 5, 3)]);
        run.inputs
            .insert("version".into(), serde_json::json!("1.10"));
        run.outputs.insert("count".into(), serde_json::json!(3));
        store.record_runs(&[run]).unwrap();
    }
    let store: Box<dyn MetricsStore> = Box::new(SqliteStore::open(&path).unwrap());
    assert_eq!(store.team_run_count("a").unwrap(), 1);

    let conn = rusqlite::Connection::open(&path).unwrap();
    let members: i64 = conn
        .query_row("SELECT COUNT(*) FROM member_runs", [], |r| r.get(0))
        .unwrap();
    assert_eq!(members, 5);
    let (seed, virtual_time): (String, bool) = conn
        .query_row("SELECT seed, virtual_time FROM workflow_runs", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!((seed, virtual_time), ((u64::MAX - 1).to_string(), true));
    let (inputs, outputs): (String, String) = conn
        .query_row(
            "SELECT inputs_json, outputs_json FROM workflow_runs",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(
        (inputs.as_str(), outputs.as_str()),
        (r#"{"version":"1.10"}"#, r#"{"count":3}"#)
    );
    let (team_id, members, calls): (String, i64, i64) = conn
        .query_row(
            "SELECT team_id, member_count, total_tool_calls FROM team_runs",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!((team_id.as_str(), members, calls), ("a", 5, 15));
}

#[test]
fn empty_batch_is_a_no_op() {
    for b in backends("empty_batch_is_a_no_op") {
        let mut store = b.open();
        store.record_runs(&[]).unwrap();
        assert!(store.team_ids().unwrap().is_empty());
    }
}

#[test]
fn postgres_fills_the_flat_tables_as_sqlite_does() {
    let Some(url) = crate::backends::postgres("postgres_fills_the_flat_tables_as_sqlite_does")
    else {
        return;
    };
    let server = teamtune_test_postgres::server("flat tables").unwrap();
    let mut store = teamtune_store::PostgresStore::open(&url.parse().unwrap()).unwrap();
    let mut run = workflow_run("r0", vec![team_run("a", 5, 3)]);
    run.inputs
        .insert("version".into(), serde_json::json!("1.10"));
    run.outputs.insert("count".into(), serde_json::json!(3));
    store.record_runs(&[run]).unwrap();
    assert_eq!(server.psql(&url, "SELECT COUNT(*) FROM member_runs"), "5");
    assert_eq!(
        server.psql(
            &url,
            "SELECT seed, virtual_time, inputs_json, outputs_json FROM workflow_runs"
        ),
        format!(
            "{}|t|{{\"version\":\"1.10\"}}|{{\"count\":3}}",
            u64::MAX - 1
        )
    );
    assert_eq!(
        server.psql(
            &url,
            "SELECT team_id, member_count, total_tool_calls, recorded_at ~ '^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z$' \
             FROM team_runs JOIN workflow_runs USING (run_id)"
        ),
        "a|5|15|t"
    );
}
