//! Reads team run records from a metrics file (`--metrics FILE`) or from the store.
//!
//! A file may be a JSON array of records, a single JSON object, or JSON lines (objects
//! separated by whitespace), as Victor users write them by hand. It is read as a stream of
//! segments of several megabytes. Each segment is cut at record starts and its parts are parsed
//! on all cores at once (`segment`); in each part (`chunk_parser`) a flat record (the common
//! shape) is read in one pass from the bytes (`fast_record`), and any other record is delimited
//! (`record_boundary`) and deserialized by serde_json straight into a [`RunSample`]
//! (`record_seed`), which also words every error. A million-record file never exists as a tree
//! of JSON values (nor whole in memory), records of other teams are dropped as they are read,
//! and records, record indexes and the first error come out in file order, as if one thread had
//! read everything.
//!
//! Missing fields take Victor's defaults (`success` true, `formation` "sequential",
//! `member_count` 1, `duration_seconds` 0, `total_tool_calls` 0); unknown keys are ignored;
//! `team_id` is required. Anything else that is wrong (a string duration, `"success":
//! "false"`, a negative duration, NaN, a non-object item, a truncated or empty file) is a
//! [`MetricsError`] naming the 0-based record index, the field and the line/column.

mod chunk_parser;
mod fast_record;
mod record_boundary;
mod record_seed;
mod segment;

use std::fs::File;
use std::io::Read;
use std::path::Path;

use teamtune_model::TeamRunRecord;

use crate::error::{MetricsError, Position};
use crate::run_sample::{RunSample, samples_from_records};
use chunk_parser::{ChunkEnd, Expect, Fault, FaultAt, describe_byte};
use record_boundary::count_newlines;
use segment::{Segment, Tuning, parse_segment};

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
    read_metrics_tuned(reader, team_id, &Tuning::for_this_machine())
}

fn read_metrics_tuned<R: Read>(
    reader: R,
    team_id: Option<&str>,
    tuning: &Tuning,
) -> Result<Vec<RunSample>, MetricsError> {
    let mut samples = Vec::new();
    parse_records(reader, team_id, tuning, |sample| samples.push(sample))?;
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
    on_record: impl FnMut(RunSample),
) -> Result<usize, MetricsError> {
    parse_records(reader, None, &Tuning::for_this_machine(), on_record)
}

/// Reads the input a segment at a time and hands the samples of `team_id` (all when `None`)
/// to `on_record` in file order. Returns the number of records read, kept or not.
///
/// Two buffers alternate: while one segment is parsed on other threads, this thread reads the
/// next into the other buffer, behind some free room where the unparsed end of the current
/// segment (the start of a record cut by the segment end) is then copied.
fn parse_records<R: Read>(
    mut reader: R,
    team_id: Option<&str>,
    tuning: &Tuning,
    mut on_record: impl FnMut(RunSample),
) -> Result<usize, MetricsError> {
    let mut current = SegmentBuffer::default();
    let mut next = SegmentBuffer::default();
    let mut at_eof = current
        .read(&mut reader, tuning.carry_room, tuning.segment_bytes)
        .map_err(MetricsError::Read)?;
    let mut cursor = Cursor::default();
    let mut expect = Expect::Start;
    let mut records = 0usize;
    loop {
        let bytes = current.bytes();
        if cursor.base == 0 && bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
            cursor.line_start = 3;
        }
        let segment = Segment {
            bytes,
            at_eof,
            at_input_start: cursor.base == 0,
            expect,
            team_id,
        };
        let mut read_ahead = None;
        let outcomes = parse_segment(&segment, tuning, || {
            if !at_eof {
                read_ahead = Some(next.read(&mut reader, tuning.carry_room, tuning.segment_bytes));
            }
        });
        let mut newlines = 0;
        let mut resume = None;
        for outcome in outcomes {
            outcome.samples.into_iter().for_each(&mut on_record);
            match outcome.end {
                ChunkEnd::Handover(_) => {}
                ChunkEnd::Suspend { offset, expect } => resume = Some((offset, expect)),
                ChunkEnd::Finished => return Ok(records + outcome.records),
                ChunkEnd::Fault(fault) => {
                    return Err(cursor.error(bytes, records, fault));
                }
            }
            records += outcome.records;
            newlines += outcome.newlines;
        }
        // Unreachable without both: a chain ends in a suspension, the end or a fault, and
        // parsing only suspends before the end of the input.
        let (Some((offset, resume_expect)), Some(read_ahead)) = (resume, read_ahead) else {
            return Ok(records);
        };
        at_eof = read_ahead.map_err(MetricsError::Read)?;
        let carry = &bytes[offset..];
        next.prepend(carry);
        // A record larger than a segment makes the next segment larger, so no byte is parsed
        // more than a few times.
        let want = tuning.segment_bytes.max(carry.len().saturating_mul(2));
        if !at_eof && next.bytes().len() < want {
            at_eof = next
                .fill_to(&mut reader, want)
                .map_err(MetricsError::Read)?;
        }
        cursor.advance(&bytes[..offset], newlines);
        expect = resume_expect;
        std::mem::swap(&mut current, &mut next);
    }
}

/// One segment's bytes, `buf[start..]`, with free room before them.
#[derive(Debug, Default)]
struct SegmentBuffer {
    buf: Vec<u8>,
    start: usize,
}

impl SegmentBuffer {
    fn bytes(&self) -> &[u8] {
        &self.buf[self.start..]
    }

    /// Reads up to `want` bytes after `room` free bytes; returns whether the input ended.
    fn read<R: Read>(&mut self, reader: &mut R, room: usize, want: usize) -> std::io::Result<bool> {
        self.buf.clear();
        self.buf.resize(room, 0);
        self.start = room;
        fill(reader, &mut self.buf, room.saturating_add(want))
    }

    /// Reads until the segment holds `want` bytes or the input ends; returns whether it ended.
    fn fill_to<R: Read>(&mut self, reader: &mut R, want: usize) -> std::io::Result<bool> {
        fill(reader, &mut self.buf, self.start.saturating_add(want))
    }

    /// Puts `carry` (the unparsed end of the previous segment) in front of the bytes read.
    fn prepend(&mut self, carry: &[u8]) {
        if let Some(start) = self.start.checked_sub(carry.len()) {
            self.buf[start..self.start].copy_from_slice(carry);
            self.start = start;
        } else {
            let mut joined = Vec::with_capacity(carry.len() + self.bytes().len());
            joined.extend_from_slice(carry);
            joined.extend_from_slice(self.bytes());
            self.buf = joined;
            self.start = 0;
        }
    }
}

/// Reads until `buf` holds `want` bytes or the input ends; returns whether it ended.
fn fill<R: Read>(reader: &mut R, buf: &mut Vec<u8>, want: usize) -> std::io::Result<bool> {
    let missing = want.saturating_sub(buf.len());
    buf.reserve_exact(missing);
    let read = reader.by_ref().take(missing as u64).read_to_end(buf)?;
    Ok(read < missing)
}

/// Where the current buffer sits in the input, to turn buffer offsets into lines and columns.
#[derive(Debug, Default)]
struct Cursor {
    /// Input offset of `buf[0]`.
    base: u64,
    /// `\n` bytes before `buf[0]`.
    lines_before: u64,
    /// Input offset of the first byte of the line that `buf[0]` is on (after a byte order
    /// mark on the first line, as serde_json would count).
    line_start: u64,
}

impl Cursor {
    fn advance(&mut self, consumed: &[u8], newlines: u64) {
        self.lines_before += newlines;
        if let Some(i) = memchr::memrchr(b'\n', consumed) {
            self.line_start = self.base + i as u64 + 1;
        }
        self.base += consumed.len() as u64;
    }

    fn position(&self, buf: &[u8], offset: usize) -> Position {
        let before = &buf[..offset];
        let line_start =
            memchr::memrchr(b'\n', before).map_or(self.line_start, |i| self.base + i as u64 + 1);
        Position {
            line: self.lines_before + count_newlines(before) + 1,
            column: self.base + offset as u64 - line_start + 1,
        }
    }

    /// The error for a fault in `buf`; `records_before` is the number of records before the
    /// chunk that found it.
    fn error(&self, buf: &[u8], records_before: usize, fault: Fault) -> MetricsError {
        match fault {
            Fault::Empty => MetricsError::Empty,
            Fault::Record {
                index,
                field,
                message,
                at,
            } => {
                let position = match at {
                    FaultAt::Nowhere => None,
                    FaultAt::Offset(offset) => Some(self.position(buf, offset)),
                    FaultAt::InRecord {
                        record_start,
                        line,
                        column,
                    } => {
                        let start = self.position(buf, record_start);
                        Some(if line == 1 {
                            Position {
                                line: start.line,
                                column: start.column + column.saturating_sub(1),
                            }
                        } else {
                            Position {
                                line: start.line + line - 1,
                                column,
                            }
                        })
                    }
                };
                MetricsError::Record {
                    index: records_before + index,
                    field,
                    message,
                    position,
                }
            }
            Fault::AfterRecord {
                index,
                found,
                offset,
            } => MetricsError::Syntax {
                message: format!(
                    "expected `,` or `]` after record {}, found {}",
                    (records_before + index).saturating_sub(1),
                    describe_byte(found)
                ),
                position: self.position(buf, offset),
            },
            Fault::AfterArray { found, offset } => MetricsError::Syntax {
                message: format!(
                    "unexpected {} after the closing `]` of the array",
                    describe_byte(found)
                ),
                position: self.position(buf, offset),
            },
        }
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

    /// One thread, one segment: the plain sequential reading every other tuning must match.
    fn sequential(text: &str, team_id: Option<&str>) -> Result<Vec<RunSample>, String> {
        let tuning = Tuning {
            segment_bytes: text.len() + 1,
            threads: 1,
            min_parallel_bytes: usize::MAX,
            fast_path: true,
            carry_room: 0,
        };
        read_metrics_tuned(text.as_bytes(), team_id, &tuning).map_err(|e| e.to_string())
    }

    /// Checks that tiny segments, split between 2 to 4 threads, read `text` exactly as one
    /// thread does (same samples, or the same error), and returns that result.
    fn same_when_split(text: &str, team_id: Option<&str>) -> Result<Vec<RunSample>, String> {
        let expected = sequential(text, team_id);
        for segment_bytes in [8, 13, 40, 97, 400, 4096, text.len() + 1] {
            for threads in 2..=4 {
                let tuning = Tuning {
                    segment_bytes,
                    threads,
                    min_parallel_bytes: 0,
                    fast_path: true,
                    // Some carried ends fit in front of the next segment, some do not.
                    carry_room: [0, 24, 4096][threads % 3],
                };
                let got = read_metrics_tuned(text.as_bytes(), team_id, &tuning)
                    .map_err(|e| e.to_string());
                assert_eq!(got, expected, "segment {segment_bytes}, threads {threads}");
            }
        }
        expected
    }

    /// Whether the parser trusts a split of the whole of `text` in two (a fault in the first
    /// part ends the chain there).
    fn splits_in_two(text: &str) -> bool {
        let segment = segment::Segment {
            bytes: text.as_bytes(),
            at_eof: true,
            at_input_start: true,
            expect: Expect::Start,
            team_id: None,
        };
        let tuning = Tuning {
            segment_bytes: text.len() + 1,
            threads: 2,
            min_parallel_bytes: 0,
            fast_path: true,
            carry_room: 0,
        };
        parse_segment(&segment, &tuning, || {}).len() == 2
    }

    fn records(count: usize, bad: &[usize], lines: bool) -> String {
        let mut text = String::from(if lines { "" } else { "[\n" });
        for i in 0..count {
            if i > 0 {
                text.push_str(if lines { "\n" } else { ",\n" });
            }
            let duration = if bad.contains(&i) {
                "\"slow\"".to_owned()
            } else {
                format!("{i}.5")
            };
            text.push_str(&format!(
                r#"{{"team_id": "t{}", "duration_seconds": {duration}, "success": {}}}"#,
                i % 3,
                i % 5 != 0
            ));
        }
        if !lines {
            text.push_str("\n]");
        }
        text
    }

    #[test]
    fn split_parsing_keeps_order_and_content() {
        for lines in [false, true] {
            let text = records(120, &[], lines);
            assert!(splits_in_two(&text));
            let all = same_when_split(&text, None).unwrap();
            assert_eq!(all.len(), 120);
            assert!(
                all.iter()
                    .enumerate()
                    .all(|(i, r)| r.duration_seconds == i as f64 + 0.5)
            );
            assert_eq!(same_when_split(&text, Some("t1")).unwrap().len(), 40);
        }
        let pretty = "[\n  {\n    \"team_id\": \"a\",\n    \"member_metrics\": {\n      \"x\": {\"duration_seconds\": 2}\n    }\n  },\n  {\n    \"team_id\": \"b\"\n  }\n]\n";
        assert_eq!(same_when_split(pretty, None).unwrap().len(), 2);
        same_when_split("\u{feff}[{\"team_id\": \"a\"}, {\"team_id\": \"b\"}]", None).unwrap();
        // A record far larger than a segment and than the room for a carried end.
        let large = format!(
            "[{{\"team_id\": \"a\"}}, {{\"team_id\": \"b\", \"note\": \"{}\"}}, {{\"team_id\": \"c\"}}]",
            "x".repeat(10_000)
        );
        assert_eq!(same_when_split(&large, None).unwrap().len(), 3);
        same_when_split(
            "{\"team_id\": \"a\"}{\"team_id\": \"b\"}\r\n{\"team_id\": \"c\"}",
            None,
        )
        .unwrap();
    }

    #[test]
    fn split_guesses_inside_a_record_are_not_trusted() {
        // The middle of each input is inside the second record, at text that looks like a
        // record start: in a string, and in a nested array of objects.
        let fake = r#", {\"team_id\": \"fake\"}"#.repeat(60);
        let in_string = format!(
            r#"[{{"team_id": "a"}}, {{"team_id": "b", "note": "{fake}"}}, {{"team_id": "c"}}]"#
        );
        let nested = format!(
            "[{{\"team_id\": \"a\"}},\n{{\"team_id\": \"b\", \"extra\": [{}]}},\n{{\"team_id\": \"c\"}}]",
            vec![r#"{"team_id": "fake"}"#; 60].join(", ")
        );
        let lines = format!(
            "{{\"team_id\": \"a\", \"extra\": [{}]}}\n{{\"team_id\": \"b\"}}",
            "{\"x\": 1}{}".repeat(60)
        );
        for text in [in_string, nested] {
            assert!(!splits_in_two(&text));
            let ids: Vec<String> = same_when_split(&text, None)
                .unwrap()
                .iter()
                .map(|r| r.team_id.to_string())
                .collect();
            assert_eq!(ids, ["a", "b", "c"]);
        }
        assert!(same_when_split(&lines, None).is_err());
    }

    #[test]
    fn error_in_the_second_part_names_its_global_index() {
        for lines in [false, true] {
            let text = records(100, &[80], lines);
            assert!(splits_in_two(&text));
            let e = same_when_split(&text, None).unwrap_err();
            let line = if lines { 81 } else { 82 };
            assert!(
                e.starts_with(&format!(
                    "record 80: field \"duration_seconds\": expected a non-negative number of seconds, got string \"slow\" (at line {line} column "
                )),
                "{e}"
            );
        }
    }

    #[test]
    fn errors_in_both_parts_report_the_first() {
        // The same layout without the bad values is split in two.
        assert!(splits_in_two(&records(100, &[], false)));
        let text = records(100, &[10, 80], false);
        let e = same_when_split(&text, None).unwrap_err();
        assert!(
            e.starts_with("record 10: field \"duration_seconds\""),
            "{e}"
        );
        let mut grammar = records(100, &[80], false);
        let after_20 = grammar
            .match_indices("},\n")
            .nth(20)
            .map(|(i, _)| i + 1)
            .unwrap();
        grammar.insert_str(after_20, " x");
        let e = same_when_split(&grammar, None).unwrap_err();
        assert!(
            e.starts_with("expected `,` or `]` after record 20, found `x` at line 22"),
            "{e}"
        );
    }

    #[test]
    fn bad_inputs_fail_the_same_when_split() {
        let cases = [
            "",
            "  \n",
            "\u{feff}",
            "\u{feff} [",
            r#"[{"team_id": "a"}, 3]"#,
            r#"[{"team_id": "a"},]"#,
            r#"[{"team_id": "a"}, {"team_id": "#,
            r#"[{"team_id": "a"}"#,
            r#"[{"team_id": "a"}] x"#,
            r#"[{"team_id": "a"} {"team_id": "a"}]"#,
            "\"just a string\"",
            "{\"team_id\": \"a\"}\n{\"team_id\": \"a\", \"duration_seconds\": NaN}",
            "{\"team_id\": \"a\"}\n{\"team_id\": \"a\"}\n{\"team_id\"",
            "[\n{\"team_id\": \"a\"},\n{\"team_id\": \"a\",\n \"success\": \"false\"}\n]",
        ];
        for text in cases {
            assert!(same_when_split(text, None).is_err(), "{text}");
        }
    }

    /// Reads `text` with and without the fast path, whole and in small split segments.
    fn same_with_fast_path(text: &str, team_id: Option<&str>) -> Result<Vec<RunSample>, String> {
        let full = Tuning {
            segment_bytes: text.len() + 1,
            threads: 1,
            min_parallel_bytes: usize::MAX,
            fast_path: false,
            carry_room: 0,
        };
        let expected =
            read_metrics_tuned(text.as_bytes(), team_id, &full).map_err(|e| e.to_string());
        for (segment_bytes, threads) in [(text.len() + 1, 1), (61, 2), (8, 3)] {
            let tuning = Tuning {
                segment_bytes,
                threads,
                min_parallel_bytes: 0,
                fast_path: true,
                carry_room: segment_bytes,
            };
            let got =
                read_metrics_tuned(text.as_bytes(), team_id, &tuning).map_err(|e| e.to_string());
            assert_eq!(got, expected, "segment {segment_bytes}, threads {threads}");
        }
        expected
    }

    mod fast_path {
        use proptest::prelude::*;

        use super::fast_record::scan_record;
        use super::same_with_fast_path;

        /// A JSON value of any type, valid or not for a given field, in forms the fast path
        /// reads and forms it leaves to the full path.
        fn value() -> impl Strategy<Value = String> {
            prop_oneof![
                Just("\"t0\"".to_owned()),
                Just("\"t1\"".to_owned()),
                Just("\"parallel\"".to_owned()),
                Just("\"baseline\"".to_owned()),
                Just("\"candidate\"".to_owned()),
                Just("\"caf\u{e9}\"".to_owned()),
                Just("\"t\\u0030\"".to_owned()),
                Just("\"a\\\"b\"".to_owned()),
                Just("\"\"".to_owned()),
                Just("\"a\tb\"".to_owned()),
                Just("\"\u{1f}\"".to_owned()),
                (0u64..200).prop_map(|n| n.to_string()),
                (0u64..100_000, 0u32..4).prop_map(|(n, d)| format!(
                    "{}.{:0w$}",
                    n / 100,
                    n % 100,
                    w = d as usize + 1
                )),
                Just("0.1".to_owned()),
                Just("12345678901234.5".to_owned()),
                Just("1234567890123456".to_owned()),
                Just("18446744073709551615".to_owned()),
                Just("4294967296".to_owned()),
                Just("5.0".to_owned()),
                Just("-1".to_owned()),
                Just("-0.5".to_owned()),
                Just("1e2".to_owned()),
                Just("1.5E-3".to_owned()),
                Just("01".to_owned()),
                Just("1.".to_owned()),
                Just("NaN".to_owned()),
                Just("true".to_owned()),
                Just("false".to_owned()),
                Just("null".to_owned()),
                Just("tru".to_owned()),
                Just("[]".to_owned()),
                Just("[\"grep\", \"ls\"]".to_owned()),
                Just("{}".to_owned()),
                Just("{\"m\": {\"duration_seconds\": 2, \"role\": \"r\"}}".to_owned()),
            ]
        }

        fn key() -> impl Strategy<Value = String> {
            prop_oneof![
                Just("team_id"),
                Just("team_id"),
                Just("formation"),
                Just("member_count"),
                Just("success"),
                Just("duration_seconds"),
                Just("total_tool_calls"),
                Just("consensus_rounds"),
                Just("consensus_achieved"),
                Just("error"),
                Just("variant"),
                Just("config_hash"),
                Just("member_metrics"),
                Just("tool_budget"),
                Just("timeout_seconds"),
                Just("recursion_depth"),
                Just("start_time"),
                Just("run_id"),
                Just("unique_tools_used"),
                Just("other"),
                Just("t\\u0065am_id"),
            ]
            .prop_map(str::to_owned)
        }

        fn space() -> impl Strategy<Value = &'static str> {
            prop_oneof![Just(""), Just(" "), Just("\n  "), Just("\t"), Just("\r\n")]
        }

        fn record() -> impl Strategy<Value = String> {
            prop::collection::vec((key(), value(), space(), space()), 0..6).prop_map(|fields| {
                let body: Vec<String> = fields
                    .iter()
                    .map(|(k, v, a, b)| format!("{a}\"{k}\"{b}:{a}{v}{b}"))
                    .collect();
                format!("{{{}}}", body.join(","))
            })
        }

        /// Records that mostly parse: a valid team id first, then random fields.
        fn mostly_valid() -> impl Strategy<Value = String> {
            (0u8..2, record()).prop_map(|(team, rest)| {
                let rest = rest.strip_prefix('{').unwrap_or(&rest).to_owned();
                let sep = if rest.starts_with('}') { "" } else { ", " };
                format!("{{\"team_id\": \"t{team}\"{sep}{rest}")
            })
        }

        /// A flat record the fast path must read: a team id and valid values of other fields.
        fn valid_flat() -> impl Strategy<Value = String> {
            let field = prop_oneof![
                Just("\"formation\": \"parallel\"".to_owned()),
                (0u32..50).prop_map(|n| format!("\"member_count\": {n}")),
                any::<bool>().prop_map(|b| format!("\"success\": {b}")),
                (0u64..10_000_000, 0usize..6).prop_map(|(n, d)| {
                    let text = n.to_string();
                    let cut = text.len().saturating_sub(d).max(1);
                    let (int, frac) = text.split_at(cut);
                    let dot = if frac.is_empty() { "" } else { "." };
                    format!("\"duration_seconds\": {int}{dot}{frac}")
                }),
                (0u64..1000).prop_map(|n| format!("\"total_tool_calls\": {n}.0")),
                Just("\"consensus_rounds\": null".to_owned()),
                Just("\"error\": \"timeout\"".to_owned()),
                Just("\"variant\": \"candidate\"".to_owned()),
                Just("\"config_hash\": \"abc\"".to_owned()),
                Just("\"member_metrics\": null".to_owned()),
                Just("\"start_time\": \"2025-01-15T10:00:00Z\"".to_owned()),
                Just("\"other\": 7".to_owned()),
            ];
            (0u8..2, prop::collection::vec(field, 0..8)).prop_map(|(team, fields)| {
                let mut all = vec![format!("\"team_id\": \"t{team}\"")];
                all.extend(fields);
                format!("{{{}}}", all.join(", "))
            })
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(300))]

            #[test]
            fn fast_path_agrees_with_full_path(
                records in prop::collection::vec(prop_oneof![3 => mostly_valid(), 1 => record()], 0..12),
                lines in any::<bool>(),
                filter in prop_oneof![Just(None), Just(Some("t0")), Just(Some("t1"))],
            ) {
                let text = if lines {
                    records.join("\n")
                } else {
                    format!("[{}]", records.join(",\n"))
                };
                // Equal results (samples or error) are checked inside.
                let _ = same_with_fast_path(&text, filter);
            }

            #[test]
            fn fast_path_reads_valid_flat_records(
                records in prop::collection::vec(valid_flat(), 1..20),
                filter in prop_oneof![Just(None), Just(Some("t1"))],
            ) {
                for record in &records {
                    let scanned = scan_record(record.as_bytes(), 0, None);
                    prop_assert!(scanned.is_some_and(|s| s.end == record.len()), "{record}");
                }
                let text = format!("[{}]", records.join(",\n"));
                let samples = same_with_fast_path(&text, filter);
                prop_assert!(samples.is_ok());
            }
        }
    }
}
