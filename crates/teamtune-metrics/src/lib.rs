//! teamtune-metrics: reads Victor-shaped team run records from a metrics file
//! (`--metrics FILE`) into the analysis' lean [`RunSample`]s. The analysis crate stays pure and
//! synchronous; the file I/O and the threads are here.
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
//!
//! # Why a hand-written reader rather than `serde_json::from_reader`
//!
//! Metrics files are big and `teamtune analyze` must stay fast on them. The measured figures
//! (BENCHMARKS.md, "Reading and analysing metrics files", 2 shared cores): 1,000,000 records,
//! 174 MB, read in 0.20 s (873 MB/s); `teamtune analyze` of that file in 0.17 s wall and 88 MB
//! peak, where the Python reference takes 4.5 s and 746 MB. `serde_json::from_reader` cannot
//! give that:
//!
//! - it parses through `io::Read` a byte at a time, and its own documentation says it is
//!   usually slower than reading the whole input into memory and using `from_slice`, which
//!   would in turn hold the whole 174 MB file in memory;
//! - it yields one JSON value: a `Vec` of every record (of every team) is built before any is
//!   filtered, and JSON lines (whitespace-separated objects) need a separate stream reader;
//! - it runs on one thread, while here a segment is parsed on every core as the next one is
//!   read;
//! - its errors give a line and column but not the 0-based record index and the field path
//!   (`member_metrics.alice.success`) that a [`MetricsError`] names.
//!
//! serde_json is still used, per record, for everything outside the flat fast path (nested
//! member metrics, escapes, every error), so the values and error messages are serde's either
//! way; tests compare the two paths on random records.

mod chunk_parser;
mod fast_record;
mod record_boundary;
mod record_seed;
mod segment;

pub mod error;

use std::fs::File;
use std::io::Read;
use std::path::Path;

use teamtune_analysis::RunSample;

pub use crate::error::{MetricsError, Position};
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
mod tests;
