//! Parses the records of one stretch of a segment, on whichever thread it is given to.
//!
//! The grammar around the records (array brackets and commas, or JSON lines) is a small state
//! machine ([`Expect`]) so that parsing can stop at the end of a segment and resume in the
//! next one, and so that a stretch can start in the middle of the input. A flat record is
//! read on the fast path ([`scan_record`]); any other record (or one the fast path gives up
//! on) is delimited ([`object_end`]) and deserialized by serde_json from that slice
//! ([`RecordSeed`]), so errors read the same either way.
//! Record indexes and byte offsets are local; `segment` makes them global.

use serde::de::DeserializeSeed;

use super::fast_record::{FlatRecord, scan_record};
use super::record_boundary::{object_end, skip_whitespace};
use super::record_seed::{FieldTracker, RecordSeed};
use teamtune_analysis::run_sample::{Failure, Interner, RunSample};

const BYTE_ORDER_MARK: &[u8] = &[0xEF, 0xBB, 0xBF];

/// What the parser expects next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expect {
    /// Nothing read yet: the first byte decides between an array and JSON lines.
    Start,
    /// After the opening `[`: a record or `]`.
    FirstElement,
    /// After a `,` in the array: a record.
    Element,
    /// After a record in the array: `,` or `]`.
    Separator,
    /// After the closing `]`: only whitespace.
    End,
    /// JSON lines: a record or the end of the input.
    Line,
}

impl Expect {
    /// Whether a record read in this state is an array element (else a JSON line).
    pub(crate) fn in_array(self) -> bool {
        !matches!(self, Expect::Line)
    }
}

/// One stretch to parse: `bytes[start..]`, in state `expect`, stopping when it reaches one of
/// `handovers` (offsets where later stretches start) between two records.
pub(crate) struct Chunk<'a> {
    pub(crate) bytes: &'a [u8],
    /// Whether `bytes` runs to the end of the input (else more input follows).
    pub(crate) at_eof: bool,
    /// Whether `bytes[0]` is the first byte of the input (a byte order mark may follow).
    pub(crate) at_input_start: bool,
    pub(crate) start: usize,
    pub(crate) expect: Expect,
    pub(crate) handovers: &'a [usize],
    /// The index of the chunk that starts at `handovers[0]` (the next ones follow in order).
    pub(crate) first_handover_chunk: usize,
    /// Only records of this team become samples; the others are still checked.
    pub(crate) team_id: Option<&'a str>,
    /// Whether flat records take the fast path ([`scan_record`]).
    pub(crate) fast_path: bool,
}

/// What a chunk produced.
#[derive(Debug)]
pub(crate) struct ChunkOutcome {
    pub(crate) samples: Vec<RunSample>,
    /// Records read (kept or not).
    pub(crate) records: usize,
    /// `\n` bytes from the chunk's start to where it stopped (not exact after a fault).
    pub(crate) newlines: u64,
    pub(crate) end: ChunkEnd,
}

#[derive(Debug)]
pub(crate) enum ChunkEnd {
    /// Arrived where the chunk with this index starts, about to read a record there.
    Handover(usize),
    /// The bytes ran out; parsing resumes at this offset in this state with more input.
    Suspend {
        offset: usize,
        expect: Expect,
    },
    /// The input is complete and well formed.
    Finished,
    Fault(Fault),
}

/// A bad input found in a chunk, with chunk-local record index and segment offsets.
#[derive(Debug)]
pub(crate) enum Fault {
    Empty,
    Record {
        index: usize,
        field: Option<String>,
        message: String,
        at: FaultAt,
    },
    /// Neither `,` nor `]` after record `index - 1`.
    AfterRecord {
        index: usize,
        found: u8,
        offset: usize,
    },
    /// Something after the closing `]`.
    AfterArray {
        found: u8,
        offset: usize,
    },
}

#[derive(Debug)]
pub(crate) enum FaultAt {
    Nowhere,
    Offset(usize),
    /// serde_json's line and column inside the record that starts at `record_start`.
    InRecord {
        record_start: usize,
        line: u64,
        column: u64,
    },
}

const TRUNCATED_ARRAY: &str = "the input ends before the closing `]` of the array (truncated?)";

pub(crate) fn parse_chunk(chunk: &Chunk<'_>) -> ChunkOutcome {
    let mut run = Run {
        chunk,
        interner: Interner::default(),
        samples: Vec::new(),
        index: 0,
        newlines: 0,
    };
    let end = run.parse();
    ChunkOutcome {
        samples: run.samples,
        records: run.index,
        newlines: run.newlines,
        end,
    }
}

struct Run<'c, 'a> {
    chunk: &'c Chunk<'a>,
    interner: Interner,
    samples: Vec<RunSample>,
    /// Records read so far.
    index: usize,
    /// `\n` bytes passed so far.
    newlines: u64,
}

enum RecordEnd {
    /// The record ends before this offset.
    Read(usize),
    Incomplete,
    Fault(Fault),
}

impl Run<'_, '_> {
    /// Returns why parsing stopped.
    fn parse(&mut self) -> ChunkEnd {
        let bytes = self.chunk.bytes;
        let len = bytes.len();
        let mut pos = self.chunk.start;
        let mut expect = self.chunk.expect;
        let mut handovers = self.chunk.handovers.iter().copied().enumerate().peekable();
        loop {
            if expect == Expect::Start && self.chunk.at_input_start && pos == 0 {
                if bytes.starts_with(BYTE_ORDER_MARK) {
                    pos = BYTE_ORDER_MARK.len();
                } else if !self.chunk.at_eof && BYTE_ORDER_MARK.starts_with(bytes) {
                    return self.suspend(pos, expect);
                }
            }
            pos = skip_whitespace(bytes, pos, &mut self.newlines);
            let Some(&b) = bytes.get(pos) else {
                if !self.chunk.at_eof {
                    return self.suspend(len, expect);
                }
                let end = match expect {
                    Expect::Start => ChunkEnd::Fault(Fault::Empty),
                    Expect::FirstElement | Expect::Element | Expect::Separator => {
                        ChunkEnd::Fault(self.fault_at(TRUNCATED_ARRAY.into(), pos))
                    }
                    Expect::End | Expect::Line => ChunkEnd::Finished,
                };
                return end;
            };
            match expect {
                Expect::Start => {
                    if b == b'[' {
                        pos += 1;
                        expect = Expect::FirstElement;
                    } else {
                        expect = Expect::Line;
                    }
                }
                Expect::FirstElement if b == b']' => {
                    pos += 1;
                    expect = Expect::End;
                }
                Expect::FirstElement | Expect::Element | Expect::Line => {
                    if b != b'{' {
                        let message = format!(
                            "expected a JSON object, got {}",
                            describe_value(&bytes[pos..])
                        );
                        return ChunkEnd::Fault(self.fault_at(message, pos));
                    }
                    while handovers.next_if(|&(_, h)| h < pos).is_some() {}
                    if let Some(&(i, h)) = handovers.peek()
                        && h == pos
                    {
                        let next = self.chunk.first_handover_chunk + i;
                        return ChunkEnd::Handover(next);
                    }
                    match self.read_record(pos) {
                        RecordEnd::Read(end) => pos = end,
                        RecordEnd::Incomplete => return self.suspend(pos, expect),
                        RecordEnd::Fault(fault) => return ChunkEnd::Fault(fault),
                    }
                    if expect != Expect::Line {
                        expect = Expect::Separator;
                    }
                }
                Expect::Separator => match b {
                    b',' => {
                        pos += 1;
                        expect = Expect::Element;
                    }
                    b']' => {
                        pos += 1;
                        expect = Expect::End;
                    }
                    found => {
                        let fault = Fault::AfterRecord {
                            index: self.index,
                            found,
                            offset: pos,
                        };
                        return ChunkEnd::Fault(fault);
                    }
                },
                Expect::End => {
                    let fault = Fault::AfterArray {
                        found: b,
                        offset: pos,
                    };
                    return ChunkEnd::Fault(fault);
                }
            }
        }
    }

    fn suspend(&self, offset: usize, expect: Expect) -> ChunkEnd {
        ChunkEnd::Suspend { offset, expect }
    }

    fn fault_at(&self, message: String, offset: usize) -> Fault {
        Fault::Record {
            index: self.index,
            field: None,
            message,
            at: FaultAt::Offset(offset),
        }
    }

    /// Reads the record that starts at `start` (a `{`).
    fn read_record(&mut self, start: usize) -> RecordEnd {
        let bytes = self.chunk.bytes;
        if self.chunk.fast_path
            && let Some(scanned) = scan_record(bytes, start, self.chunk.team_id)
        {
            if let Some(flat) = &scanned.kept {
                let sample = self.sample_of(flat);
                self.samples.push(sample);
            }
            self.index += 1;
            self.newlines += scanned.newlines;
            return RecordEnd::Read(scanned.end);
        }
        let Some((end, newlines)) = object_end(bytes, start) else {
            if !self.chunk.at_eof {
                return RecordEnd::Incomplete;
            }
            let message = "the input ends inside this record (truncated?)".into();
            return RecordEnd::Fault(self.fault_at(message, bytes.len()));
        };
        let record = &bytes[start..end];
        let mut field = FieldTracker::default();
        let mut de = serde_json::Deserializer::from_slice(record);
        let result = RecordSeed {
            interner: &mut self.interner,
            field: &mut field,
        }
        .deserialize(&mut de);
        match result {
            Ok(sample) => {
                if self.chunk.team_id.is_none_or(|t| *sample.team_id == *t) {
                    self.samples.push(sample);
                }
                self.index += 1;
                self.newlines += newlines;
                RecordEnd::Read(end)
            }
            Err(e) => RecordEnd::Fault(json_fault(self.index, &field, &e, start, record)),
        }
    }
}

impl Run<'_, '_> {
    /// The sample of a record read on the fast path, as the full path would build it.
    fn sample_of(&mut self, flat: &FlatRecord<'_>) -> RunSample {
        let interner = &mut self.interner;
        RunSample {
            team_id: interner.intern(flat.team_id),
            formation: interner.intern(
                flat.formation
                    .unwrap_or(teamtune_analysis::run_sample::DEFAULT_FORMATION),
            ),
            member_count: flat.member_count,
            success: flat.success,
            duration_seconds: flat.duration_seconds,
            total_tool_calls: flat.total_tool_calls,
            consensus_rounds: flat.consensus_rounds,
            error: flat.error.map(Failure::from_text),
            variant: flat.variant,
            config_hash: flat.config_hash.map(|h| interner.intern(h)),
            members: Vec::new(),
        }
    }
}

/// Turns a serde_json error inside one record into a [`Fault::Record`], with serde's "invalid
/// type: X, expected Y" reworded as "expected Y, got X".
fn json_fault(
    index: usize,
    field: &FieldTracker,
    e: &serde_json::Error,
    record_start: usize,
    record: &[u8],
) -> Fault {
    let text = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let bare = text.strip_suffix(&suffix).unwrap_or(&text);
    let mut message = reword(bare);
    if bare == "expected value" {
        let record = String::from_utf8_lossy(record);
        if record.contains("NaN") || record.contains("Infinity") {
            message.push_str(" (NaN and Infinity are not JSON numbers)");
        }
    }
    let at = if e.line() > 0 {
        FaultAt::InRecord {
            record_start,
            line: e.line() as u64,
            column: e.column() as u64,
        }
    } else {
        FaultAt::Nowhere
    };
    Fault::Record {
        index,
        field: field.path(),
        message,
        at,
    }
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

/// What starts at `rest`, for an error: a JSON value's kind when the token is one
/// (`null`, `true`, a number), else the text itself (`not json` is not `null`).
pub(crate) fn describe_value(rest: &[u8]) -> String {
    let token: &[u8] = {
        let end = rest
            .iter()
            .position(|b| b.is_ascii_whitespace() || b",]}".contains(b))
            .unwrap_or(rest.len());
        &rest[..end.min(40)]
    };
    let text = String::from_utf8_lossy(token);
    match rest.first() {
        Some(b'n' | b't' | b'f' | b'-' | b'0'..=b'9')
            if serde_json::from_slice::<serde_json::Value>(token).is_err() =>
        {
            format!("text that is not JSON (`{text}`)")
        }
        Some(&b) => describe_byte(b),
        None => "the end of the input".into(),
    }
}

pub(crate) fn describe_byte(byte: u8) -> String {
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
