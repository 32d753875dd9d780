//! Splits a byte stream into top-level JSON objects without parsing them.
//!
//! The metrics parser reads a file through a fixed-size buffer; this reader finds where each
//! record object ends (counting braces outside strings) so that serde_json can parse the
//! record from a slice, which is several times faster than parsing from an `io::Read`.
//! It also tracks the line and column of every byte, for error messages.

use std::io::{self, Read};
use std::ops::Range;

use crate::error::Position;

const INITIAL_CAPACITY: usize = 1 << 18;

pub(crate) struct ElementReader<R> {
    reader: R,
    buf: Vec<u8>,
    /// Next unread byte.
    pos: usize,
    /// End of the valid bytes in `buf`.
    end: usize,
    eof: bool,
    /// Absolute offset of `buf[0]`.
    base: u64,
    /// 1-based line of `buf[pos]`.
    line: u64,
    /// Absolute offset of the first byte of that line.
    line_start: u64,
    /// Line bookkeeping at the end of the object last scanned, applied by `consume_to`.
    pending: Option<(u64, u64)>,
}

/// Why an object could not be delimited.
pub(crate) enum ScanError {
    Io(io::Error),
    /// The input ended inside the object.
    Truncated(Position),
}

impl From<io::Error> for ScanError {
    fn from(e: io::Error) -> Self {
        ScanError::Io(e)
    }
}

impl<R: Read> ElementReader<R> {
    pub(crate) fn new(reader: R) -> Self {
        ElementReader {
            reader,
            buf: vec![0; INITIAL_CAPACITY],
            pos: 0,
            end: 0,
            eof: false,
            base: 0,
            line: 1,
            line_start: 0,
            pending: None,
        }
    }

    /// The bytes an object range from [`Self::scan_object`] refers to.
    pub(crate) fn buffer(&self) -> &[u8] {
        &self.buf[..self.end]
    }

    /// Marks the object last scanned as read.
    pub(crate) fn consume_to(&mut self, end: usize) {
        self.pos = end;
        if let Some((line, line_start)) = self.pending.take() {
            self.line = line;
            self.line_start = line_start;
        }
    }

    /// The position of the next unread byte.
    pub(crate) fn position(&self) -> Position {
        self.position_at(self.pos, self.line, self.line_start)
    }

    fn position_at(&self, index: usize, line: u64, line_start: u64) -> Position {
        Position {
            line,
            column: self.base + index as u64 - line_start + 1,
        }
    }

    /// Reads more input, keeping `buf[self.pos..]`. Returns how far the kept bytes moved left,
    /// or `None` at the end of the input.
    fn refill(&mut self) -> io::Result<Option<usize>> {
        if self.eof {
            return Ok(None);
        }
        let shift = self.pos;
        if shift > 0 {
            self.buf.copy_within(self.pos..self.end, 0);
            self.end -= shift;
            self.pos = 0;
            self.base += shift as u64;
        }
        if self.end == self.buf.len() {
            let len = self.buf.len();
            self.buf.resize(len * 2, 0);
        }
        loop {
            match self.reader.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(None);
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(Some(shift));
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Skips whitespace (and a leading byte order mark) and returns the next byte without
    /// consuming it; `None` at the end of the input.
    pub(crate) fn peek_non_ws(&mut self) -> io::Result<Option<u8>> {
        loop {
            while self.pos < self.end {
                match self.buf[self.pos] {
                    b'\n' => {
                        self.pos += 1;
                        self.line += 1;
                        self.line_start = self.base + self.pos as u64;
                    }
                    b' ' | b'\t' | b'\r' => self.pos += 1,
                    0xEF if self.base == 0 && self.pos == 0 => {
                        if self.end < 3 && !self.eof {
                            if self.refill()?.is_none() {
                                return Ok(Some(0xEF));
                            }
                            continue;
                        }
                        if self.buf[..self.end.min(3)] == [0xEF, 0xBB, 0xBF] {
                            self.pos = 3;
                            self.line_start = 3;
                        } else {
                            return Ok(Some(0xEF));
                        }
                    }
                    b => return Ok(Some(b)),
                }
            }
            if self.refill()?.is_none() {
                return Ok(None);
            }
        }
    }

    /// Consumes one byte (after `peek_non_ws` returned it; never a newline).
    pub(crate) fn bump(&mut self) {
        self.pos += 1;
    }

    /// Delimits the object that starts at the next byte (which must be `{`). Returns its range
    /// in [`Self::buffer`]; call [`Self::consume_to`] with its end after parsing.
    pub(crate) fn scan_object(&mut self) -> Result<Range<usize>, ScanError> {
        let mut i = self.pos;
        let mut depth: u32 = 0;
        let mut in_string = false;
        let mut escape = false;
        let mut line = self.line;
        let mut line_start = self.line_start;
        loop {
            let buf = &self.buf[..self.end];
            while i < buf.len() {
                let b = buf[i];
                if in_string {
                    if escape {
                        escape = false;
                    } else if b == b'\\' {
                        escape = true;
                    } else if b == b'"' {
                        in_string = false;
                    } else {
                        // Jump to the next quote or backslash (a raw newline cannot be in a
                        // valid string; serde_json reports it).
                        match memchr::memchr2(b'"', b'\\', &buf[i..]) {
                            Some(skip) => {
                                i += skip;
                                continue;
                            }
                            None => {
                                i = buf.len();
                                continue;
                            }
                        }
                    }
                } else {
                    match b {
                        b'"' => in_string = true,
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth = depth.saturating_sub(1);
                            if depth == 0 {
                                let start = self.pos;
                                self.pending = Some((line, line_start));
                                return Ok(start..i + 1);
                            }
                        }
                        b'\n' => {
                            line += 1;
                            line_start = self.base + i as u64 + 1;
                        }
                        _ => {}
                    }
                }
                i += 1;
            }
            match self.refill()? {
                Some(shift) => i -= shift,
                None => return Err(ScanError::Truncated(self.position_at(i, line, line_start))),
            }
        }
    }
}
