//! Reads team run records from a metrics file (`--metrics FILE`) or from the store.
//!
//! A file may be a JSON array of records, a single JSON object, or JSON lines (objects
//! separated by whitespace), as Victor users write them by hand. It is read as a stream: a
//! buffered reader delimits one record object at a time ([`element_reader`]) and serde_json
//! deserializes it straight into a [`RunSample`] ([`record_seed`]), so a million-record file
//! never exists as a tree of JSON values, and records of other teams can be dropped as they
//! are read.
//!
//! Missing fields take Victor's defaults (`success` true, `formation` "sequential",
//! `member_count` 1, `duration_seconds` 0, `total_tool_calls` 0); unknown keys are ignored;
//! `team_id` is required. Anything else that is wrong (a string duration, `"success":
//! "false"`, a negative duration, NaN, a non-object item, a truncated or empty file) is a
//! [`MetricsError`] naming the 0-based record index, the field and the line/column.

mod element_reader;
mod record_seed;

use std::fs::File;
use std::io::Read;
use std::path::Path;

use serde::de::DeserializeSeed;
use teamtune_model::TeamRunRecord;

use crate::error::{MetricsError, Position};
use crate::run_sample::{Interner, RunSample, samples_from_records};
use element_reader::{ElementReader, ScanError};
use record_seed::{FieldTracker, RecordSeed};

/// Reads the records of a metrics file, keeping only those of `team_id` when given.
pub fn read_metrics_file(
    path: &Path,
    team_id: Option<&str>,
) -> Result<Vec<RunSample>, MetricsError> {
    let file = File::open(path).map_err(|source| MetricsError::Io {
        path: path.to_owned(),
        source,
    })?;
    read_metrics(file, team_id)
}

/// Reads records from any reader (a file, stdin, bytes), keeping only `team_id` when given.
pub fn read_metrics<R: Read>(
    reader: R,
    team_id: Option<&str>,
) -> Result<Vec<RunSample>, MetricsError> {
    let mut samples = Vec::new();
    for_each_record(reader, |sample| {
        if team_id.is_none_or(|t| *sample.team_id == *t) {
            samples.push(sample);
        }
    })?;
    Ok(samples)
}

/// Parses records held in memory (tests, small inputs).
pub fn parse_metrics_str(
    text: &str,
    team_id: Option<&str>,
) -> Result<Vec<RunSample>, MetricsError> {
    read_metrics(text.as_bytes(), team_id)
}

/// The store path: samples from stored records, keeping only `team_id` when given.
pub fn samples_from_store<'a, I>(records: I, team_id: Option<&str>) -> Vec<RunSample>
where
    I: IntoIterator<Item = &'a TeamRunRecord>,
{
    samples_from_records(records, team_id)
}

/// Streams every record of `reader` to `on_record`, in file order, and returns how many there
/// were. Stops at the first bad record.
pub fn for_each_record<R: Read>(
    reader: R,
    mut on_record: impl FnMut(RunSample),
) -> Result<usize, MetricsError> {
    let mut input = ElementReader::new(reader);
    let mut interner = Interner::default();
    let first = input.peek_non_ws().map_err(MetricsError::Read)?;
    let mut index = 0usize;
    match first {
        None => return Err(MetricsError::Empty),
        Some(b'[') => {
            input.bump();
            let mut expect_record = false;
            loop {
                match input.peek_non_ws().map_err(MetricsError::Read)? {
                    None => {
                        return Err(record_error(
                            index,
                            None,
                            "the input ends before the closing `]` of the array (truncated?)"
                                .into(),
                            Some(input.position()),
                        ));
                    }
                    Some(b']') if !expect_record => {
                        input.bump();
                        break;
                    }
                    Some(b'{') => {
                        on_record(read_one(&mut input, &mut interner, index)?);
                        index += 1;
                    }
                    Some(other) => return Err(not_an_object(index, other, input.position())),
                }
                match input.peek_non_ws().map_err(MetricsError::Read)? {
                    Some(b',') => {
                        input.bump();
                        expect_record = true;
                    }
                    Some(b']') => {
                        input.bump();
                        break;
                    }
                    None => {
                        return Err(record_error(
                            index,
                            None,
                            "the input ends before the closing `]` of the array (truncated?)"
                                .into(),
                            Some(input.position()),
                        ));
                    }
                    Some(other) => {
                        return Err(MetricsError::Syntax {
                            message: format!(
                                "expected `,` or `]` after record {}, found {}",
                                index - 1,
                                describe_byte(other)
                            ),
                            position: input.position(),
                        });
                    }
                }
            }
            if let Some(other) = input.peek_non_ws().map_err(MetricsError::Read)? {
                return Err(MetricsError::Syntax {
                    message: format!(
                        "unexpected {} after the closing `]` of the array",
                        describe_byte(other)
                    ),
                    position: input.position(),
                });
            }
        }
        Some(_) => loop {
            match input.peek_non_ws().map_err(MetricsError::Read)? {
                None => break,
                Some(b'{') => {
                    on_record(read_one(&mut input, &mut interner, index)?);
                    index += 1;
                }
                Some(other) => return Err(not_an_object(index, other, input.position())),
            }
        },
    }
    Ok(index)
}

fn read_one<R: Read>(
    input: &mut ElementReader<R>,
    interner: &mut Interner,
    index: usize,
) -> Result<RunSample, MetricsError> {
    let start = input.position();
    let range = match input.scan_object() {
        Ok(range) => range,
        Err(ScanError::Io(e)) => return Err(MetricsError::Read(e)),
        Err(ScanError::Truncated(at)) => {
            return Err(record_error(
                index,
                None,
                "the input ends inside this record (truncated?)".into(),
                Some(at),
            ));
        }
    };
    let bytes = &input.buffer()[range.clone()];
    let mut field = FieldTracker::default();
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let result = RecordSeed {
        interner,
        field: &mut field,
    }
    .deserialize(&mut de);
    match result {
        Ok(sample) => {
            input.consume_to(range.end);
            Ok(sample)
        }
        Err(e) => Err(json_error(index, &field, &e, start, bytes)),
    }
}

/// Turns a serde_json error inside one record into a [`MetricsError::Record`], with the
/// position made absolute and serde's "invalid type: X, expected Y" reworded as "expected Y,
/// got X".
fn json_error(
    index: usize,
    field: &FieldTracker,
    e: &serde_json::Error,
    start: Position,
    bytes: &[u8],
) -> MetricsError {
    let text = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let bare = text.strip_suffix(&suffix).unwrap_or(&text);
    let mut message = reword(bare);
    if bare == "expected value" {
        let record = String::from_utf8_lossy(bytes);
        if record.contains("NaN") || record.contains("Infinity") {
            message.push_str(" (NaN and Infinity are not JSON numbers)");
        }
    }
    let position = (e.line() > 0).then(|| {
        let line = e.line() as u64;
        let column = e.column() as u64;
        if line == 1 {
            Position {
                line: start.line,
                column: start.column + column.saturating_sub(1),
            }
        } else {
            Position {
                line: start.line + line - 1,
                column,
            }
        }
    });
    record_error(index, field.path(), message, position)
}

fn reword(message: &str) -> String {
    for prefix in ["invalid type: ", "invalid value: "] {
        if let Some(rest) = message.strip_prefix(prefix)
            && let Some((got, expected)) = rest.split_once(", expected ")
        {
            return format!("expected {expected}, got {got}");
        }
    }
    message.to_owned()
}

fn record_error(
    index: usize,
    field: Option<String>,
    message: String,
    position: Option<Position>,
) -> MetricsError {
    MetricsError::Record {
        index,
        field,
        message,
        position,
    }
}

fn not_an_object(index: usize, byte: u8, position: Position) -> MetricsError {
    record_error(
        index,
        None,
        format!("expected a JSON object, got {}", describe_byte(byte)),
        Some(position),
    )
}

fn describe_byte(byte: u8) -> String {
    match byte {
        b'"' => "a string".into(),
        b'[' => "an array".into(),
        b't' | b'f' => "a boolean".into(),
        b'n' => "null".into(),
        b'-' | b'0'..=b'9' => "a number".into(),
        b']' => "`]` (a trailing comma?)".into(),
        b',' => "`,`".into(),
        b if b.is_ascii_graphic() => format!("`{}`", b as char),
        b => format!("byte 0x{b:02x}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        parse_metrics_str(text, None).unwrap_err().to_string()
    }

    #[test]
    fn reads_array_object_and_lines() {
        let array = r#"[{"team_id": "a", "duration_seconds": 3}, {"team_id": "b"}]"#;
        assert_eq!(parse_metrics_str(array, None).unwrap().len(), 2);
        assert_eq!(parse_metrics_str(array, Some("b")).unwrap().len(), 1);
        let object = r#"{"team_id": "a", "success": false}"#;
        let one = parse_metrics_str(object, None).unwrap();
        assert!(!one[0].success);
        let lines = "{\"team_id\": \"a\"}\n{\"team_id\": \"a\", \"formation\": \"parallel\"}\n";
        let two = parse_metrics_str(lines, None).unwrap();
        assert_eq!(&*two[1].formation, "parallel");
        assert_eq!(parse_metrics_str("[]", None).unwrap().len(), 0);
        assert_eq!(parse_metrics_str("\u{feff}[ ]", None).unwrap().len(), 0);
    }

    #[test]
    fn applies_victor_defaults_and_ignores_unknown_keys() {
        let r =
            &parse_metrics_str(r#"{"team_id": "t", "whatever": {"x": [1, 2]}}"#, None).unwrap()[0];
        assert!(r.success);
        assert_eq!(&*r.formation, "sequential");
        assert_eq!(r.member_count, 1);
        assert_eq!(r.duration_seconds, 0.0);
        assert_eq!(r.total_tool_calls, 0);
    }

    #[test]
    fn reads_member_metrics() {
        let text = r#"{"team_id": "t", "member_metrics": {"a": {"member_id": "a", "role": "r", "success": false,
            "duration_seconds": 2.5, "tool_calls_used": 3, "tools_used": ["grep"], "error_message": "timeout",
            "start_time": null}, "b": {"duration_seconds": 1}}}"#;
        let r = &parse_metrics_str(text, None).unwrap()[0];
        assert_eq!(r.members.len(), 2);
        assert_eq!(r.members[0].error_message.as_deref(), Some("timeout"));
        assert_eq!(&*r.members[1].member_id, "b");
        assert_eq!(&*r.members[1].role, "assistant");
    }

    #[test]
    fn names_record_and_field() {
        let text = "[\n{\"team_id\": \"a\"},\n{\"team_id\": \"a\"},\n{\"team_id\": \"a\"},\n{\"team_id\": \"a\", \"success\": \"false\"}\n]";
        assert_eq!(
            err(text),
            "record 3: field \"success\": expected a boolean, got string \"false\" (at line 5 column 35)"
        );
        assert!(
            err(r#"[{"team_id": "a", "duration_seconds": "12"}]"#)
                .contains("field \"duration_seconds\"")
        );
        assert!(err(r#"[{"team_id": "a", "duration_seconds": -1}]"#).contains("got integer `-1`"));
        assert!(err(r#"[{"team_id": "a", "duration_seconds": NaN}]"#).contains("NaN"));
        assert!(
            err(r#"[{"team_id": "a", "duration_seconds": 1e999}]"#)
                .starts_with("record 0: field \"duration_seconds\"")
        );
        assert!(
            err(r#"[{"team_id": "a", "member_metrics": {"x": {"success": 1}}}]"#)
                .contains("field \"member_metrics.x.success\"")
        );
        assert!(
            err(r#"[{"success": true}]"#).starts_with("record 0: field \"team_id\": missing field")
        );
        assert!(err(r#"[{"team_id": null}]"#).contains("expected a string, got null"));
    }

    #[test]
    fn rejects_bad_shapes() {
        assert!(matches!(
            parse_metrics_str("", None),
            Err(MetricsError::Empty)
        ));
        assert!(matches!(
            parse_metrics_str("  \n", None),
            Err(MetricsError::Empty)
        ));
        assert!(
            err(r#"[{"team_id": "a"}, 3]"#)
                .starts_with("record 1: expected a JSON object, got a number")
        );
        assert!(
            err(r#"[{"team_id": "a"},]"#).starts_with("record 1: expected a JSON object, got `]`")
        );
        assert!(
            err(r#"[{"team_id": "a"}, {"team_id": "#)
                .starts_with("record 1: the input ends inside")
        );
        assert!(
            err(r#"[{"team_id": "a"}"#).starts_with("record 1: the input ends before the closing")
        );
        assert!(err(r#"[{"team_id": "a"}] x"#).starts_with("unexpected `x` after"));
        assert!(
            err(r#"[{"team_id": "a"} {"team_id": "a"}]"#)
                .starts_with("expected `,` or `]` after record 0")
        );
        assert!(err("\"just a string\"").starts_with("record 0: expected a JSON object"));
    }

    #[test]
    fn reads_records_that_span_buffer_refills() {
        let mut text = String::from("[");
        for i in 0..5000 {
            if i > 0 {
                text.push_str(",\n");
            }
            text.push_str(&format!(
                r#"{{"team_id": "t{}", "duration_seconds": {i}.5, "note": "{}"}}"#,
                i % 3,
                "x".repeat(i % 200)
            ));
        }
        text.push(']');
        let all = parse_metrics_str(&text, None).unwrap();
        assert_eq!(all.len(), 5000);
        assert_eq!(all[4999].duration_seconds, 4999.5);
        let bad = text.replacen(
            "\"duration_seconds\": 4000.5",
            "\"duration_seconds\": \"x\"",
            1,
        );
        let e = parse_metrics_str(&bad, None).unwrap_err();
        assert_eq!(e.record_index(), Some(4000));
        assert_eq!(e.position().map(|p| p.line), Some(4001));
    }
}
