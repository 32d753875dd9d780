//! Streaming exports in the three formats.

use teamtune_model::{TeamRunRecord, Variant};
use teamtune_store::{CSV_COLUMNS, ExportFormat, RunQuery, Store};

use crate::backends::{Backend, backends};
use crate::support::single_team_run;

fn store_with_runs(b: &Backend) -> Box<dyn Store> {
    let mut store = b.open();
    let mut tricky = single_team_run("r1", "a", 1, Some(Variant::Candidate));
    tricky.team_runs[0].error = Some("member m2 said \"no\", then\nquit".into());
    tricky.team_runs[0].success = false;
    store
        .record_runs(&[
            single_team_run("r0", "a", 0, None),
            single_team_run("x", "b", 0, None),
            tricky,
        ])
        .unwrap();
    store
}

fn export(store: &dyn Store, format: ExportFormat) -> (u64, String) {
    let mut buf = Vec::new();
    let n = store.export_team_runs("a", format, &mut buf).unwrap();
    (n, String::from_utf8(buf).unwrap())
}

#[test]
fn json_is_one_array_of_the_records() {
    for b in backends("json_is_one_array_of_the_records") {
        let store = store_with_runs(&b);
        let (n, text) = export(&*store, ExportFormat::Json);
        assert_eq!(n, 2);
        let parsed: Vec<TeamRunRecord> = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed, store.team_runs("a", &RunQuery::new()).unwrap());
    }
}

#[test]
fn jsonl_is_one_record_per_line() {
    for b in backends("jsonl_is_one_record_per_line") {
        let store = store_with_runs(&b);
        let (n, text) = export(&*store, ExportFormat::Jsonl);
        assert_eq!(n, 2);
        let parsed: Vec<TeamRunRecord> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(parsed, store.team_runs("a", &RunQuery::new()).unwrap());
    }
}

#[test]
fn csv_has_the_flat_columns_and_quotes_fields() {
    for b in backends("csv_has_the_flat_columns_and_quotes_fields") {
        let store = store_with_runs(&b);
        let (n, text) = export(&*store, ExportFormat::Csv);
        assert_eq!(n, 2);
        let expected = format!(
            "{}\n\
             r0,a,review,parallel,3,false,10,0,cfg-a,,2025-01-01T00:00:00Z,2025-01-01T00:00:10Z,\n\
             r1,a,review,parallel,3,false,11,3,cfg-a,candidate,2025-01-01T00:00:00Z,2025-01-01T00:00:10Z,\
             \"member m2 said \"\"no\"\", then\nquit\"\n",
            CSV_COLUMNS.join(",")
        );
        assert_eq!(text, expected);
    }
}

#[test]
fn exporting_an_unknown_team_writes_an_empty_document() {
    for b in backends("exporting_an_unknown_team_writes_an_empty_document") {
        let store = b.open();
        let mut buf = Vec::new();
        assert_eq!(
            store
                .export_team_runs("nobody", ExportFormat::Json, &mut buf)
                .unwrap(),
            0
        );
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(&buf).unwrap(),
            serde_json::json!([])
        );
    }
}

#[test]
fn a_failing_writer_is_an_error_naming_the_team() {
    for b in backends("a_failing_writer_is_an_error_naming_the_team") {
        struct Broken;
        impl std::io::Write for Broken {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                Err(std::io::Error::other("disk full"))
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let store = store_with_runs(&b);
        let err = store
            .export_team_runs("a", ExportFormat::Jsonl, &mut Broken)
            .unwrap_err();
        assert!(
            err.to_string().contains("'a'") && err.to_string().contains("disk full"),
            "{err}"
        );
    }
}
