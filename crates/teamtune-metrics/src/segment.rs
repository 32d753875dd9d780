//! Parses one segment of the input (a buffer of several megabytes) on several threads.
//!
//! The segment is cut at guessed record starts ([`split_points`]) and every part is parsed at
//! once, each on its own thread, the first one on the calling thread. A guess is only trusted
//! when the part before it, parsed from a known state, stops exactly there between two records
//! ([`ChunkEnd::Handover`]); a part whose start was a bad guess (inside a string, say) is
//! dropped and the part before simply parses on through it. The result is the chain of parts
//! in input order, so record order, record indexes and the first error in file order are the
//! same as when one thread reads everything. While the parts are parsed, the calling thread
//! reads the next segment.

use std::thread;

use super::chunk_parser::{Chunk, ChunkEnd, ChunkOutcome, Expect, parse_chunk};
use super::record_boundary::{skip_whitespace, split_points};

/// How the input is cut for parsing. Tests shrink everything to exercise every boundary.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tuning {
    /// Bytes read and parsed at a time (more when one record is larger).
    pub(crate) segment_bytes: usize,
    pub(crate) threads: usize,
    /// Segments smaller than this are parsed on the calling thread alone.
    pub(crate) min_parallel_bytes: usize,
    /// Whether flat records take the fast path (tests turn it off to compare).
    pub(crate) fast_path: bool,
    /// Bytes kept free in front of each segment read, where the unparsed end of the previous
    /// segment is copied; a longer end is joined to the new bytes in a new buffer.
    pub(crate) carry_room: usize,
}

impl Tuning {
    pub(crate) fn for_this_machine() -> Tuning {
        Tuning {
            segment_bytes: 16 << 20,
            threads: thread::available_parallelism().map_or(1, |n| n.get().min(16)),
            min_parallel_bytes: 1 << 20,
            fast_path: true,
            carry_room: 64 << 10,
        }
    }
}

/// The bytes of one segment and how it fits in the input.
pub(crate) struct Segment<'a> {
    pub(crate) bytes: &'a [u8],
    pub(crate) at_eof: bool,
    pub(crate) at_input_start: bool,
    pub(crate) expect: Expect,
    pub(crate) team_id: Option<&'a str>,
}

/// Parses a segment and returns the outcomes of its parts in input order: every one but the
/// last ended in a handover to the next. `meanwhile` runs on the calling thread while the
/// parts are parsed on others (the caller reads the next segment then), or after the parsing
/// when the segment is parsed on the calling thread alone.
pub(crate) fn parse_segment(
    segment: &Segment<'_>,
    tuning: &Tuning,
    meanwhile: impl FnOnce(),
) -> Vec<ChunkOutcome> {
    let points = if tuning.threads > 1 && segment.bytes.len() >= tuning.min_parallel_bytes {
        match in_array(segment) {
            Some(in_array) => split_points(segment.bytes, 0, tuning.threads, in_array),
            None => Vec::new(),
        }
    } else {
        Vec::new()
    };
    let chunk = |start: usize, expect: Expect, index: usize| Chunk {
        bytes: segment.bytes,
        at_eof: segment.at_eof,
        at_input_start: segment.at_input_start,
        start,
        expect,
        handovers: &points[index..],
        first_handover_chunk: index + 1,
        team_id: segment.team_id,
        fast_path: tuning.fast_path,
    };
    let first = chunk(0, segment.expect, 0);
    let mut outcomes: Vec<Option<ChunkOutcome>> = if points.is_empty() {
        let outcome = parse_chunk(&first);
        meanwhile();
        vec![Some(outcome)]
    } else {
        let element = if in_array(segment) == Some(true) {
            Expect::Element
        } else {
            Expect::Line
        };
        let chunks: Vec<Chunk<'_>> = std::iter::once(first)
            .chain(
                points
                    .iter()
                    .enumerate()
                    .map(|(i, &start)| chunk(start, element, i + 1)),
            )
            .collect();
        thread::scope(|scope| {
            let handles: Vec<_> = chunks
                .iter()
                .map(|c| scope.spawn(move || parse_chunk(c)))
                .collect();
            meanwhile();
            let mut outcomes = Vec::with_capacity(handles.len());
            for handle in handles {
                match handle.join() {
                    Ok(outcome) => outcomes.push(Some(outcome)),
                    Err(panic) => std::panic::resume_unwind(panic),
                }
            }
            outcomes
        })
    };
    let mut chain = Vec::new();
    let mut current = 0;
    while let Some(outcome) = outcomes.get_mut(current).and_then(Option::take) {
        let next = match outcome.end {
            ChunkEnd::Handover(next) => Some(next),
            _ => None,
        };
        chain.push(outcome);
        match next {
            Some(next) => current = next,
            None => break,
        }
    }
    chain
}

/// Whether the records of this segment are array elements (else JSON lines); `None` while
/// the segment does not show it yet.
fn in_array(segment: &Segment<'_>) -> Option<bool> {
    if segment.expect != Expect::Start {
        return Some(segment.expect.in_array());
    }
    let bytes = segment.bytes;
    let from = if segment.at_input_start && bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        3
    } else {
        0
    };
    bytes
        .get(skip_whitespace(bytes, from, &mut 0))
        .map(|&first| first == b'[')
}
