//! The fast path for the common record: a flat object of plain strings, small numbers,
//! booleans and nulls, read in one pass straight from the segment bytes.
//!
//! Most metrics files are a million copies of the same flat shape, and serde_json (with the
//! delimiting pass before it) spends most of its time on generality those records do not
//! need. [`scan_record`] reads such a record without copying or allocating and validates every
//! field exactly as [`RecordSeed`](super::record_seed::RecordSeed) does, by feeding the values
//! it found to the same serde visitors. It only handles what it can read with certainty: on
//! anything else (a nested object or array, an escape in a string, a negative number, an
//! exponent, a long number, a type error, the end of the bytes) it gives up and returns `None`,
//! and the caller reads the record again on the full path, which produces the value or the
//! exact error message. So this path may only ever accept a subset of what the full path
//! accepts, with identical values; tests compare the two on random records.

use serde::Deserialize;
use serde::de::value::{
    BorrowedStrDeserializer, Error as ValueError, F64Deserializer, U64Deserializer,
};
use teamtune_model::Variant;

use super::record_seed::{Count, Count32, Seconds, TopField, is_formation, is_timestamp};

/// One flat record, borrowing its strings from the input.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FlatRecord<'a> {
    pub(crate) team_id: &'a str,
    pub(crate) formation: Option<&'a str>,
    pub(crate) member_count: u32,
    pub(crate) success: bool,
    pub(crate) duration_seconds: f64,
    pub(crate) total_tool_calls: u64,
    pub(crate) consensus_rounds: Option<u32>,
    pub(crate) error: Option<&'a str>,
    pub(crate) variant: Option<Variant>,
    pub(crate) config_hash: Option<&'a str>,
}

/// A valid flat record and where it ends.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Scanned<'a> {
    /// The record, when it belongs to the requested team (every record without a filter).
    pub(crate) kept: Option<FlatRecord<'a>>,
    /// Offset just past the closing `}`.
    pub(crate) end: usize,
    /// `\n` bytes inside the record.
    pub(crate) newlines: u64,
}

/// The strings of a record while it is read: bytes already checked to be UTF-8, turned into
/// `&str` only for a record that is kept.
struct Draft<'a> {
    team_id: Option<&'a [u8]>,
    formation: Option<&'a [u8]>,
    error: Option<&'a [u8]>,
    config_hash: Option<&'a [u8]>,
}

/// Reads the flat record that starts at `bytes[start]` (a `{`), keeping it when its team is
/// `team_id` (or there is no filter). `None` when the full path must read it.
pub(crate) fn scan_record<'a>(
    bytes: &'a [u8],
    start: usize,
    team_id: Option<&str>,
) -> Option<Scanned<'a>> {
    let mut s = Scanner {
        bytes,
        pos: start,
        newlines: 0,
    };
    if s.peek()? != b'{' {
        return None;
    }
    s.pos += 1;
    let mut strings = Draft {
        team_id: None,
        formation: None,
        error: None,
        config_hash: None,
    };
    let mut r = FlatRecord {
        team_id: "",
        formation: None,
        member_count: teamtune_analysis::run_sample::DEFAULT_MEMBER_COUNT,
        success: teamtune_analysis::run_sample::DEFAULT_SUCCESS,
        duration_seconds: 0.0,
        total_tool_calls: 0,
        consensus_rounds: None,
        error: None,
        variant: None,
        config_hash: None,
    };
    s.whitespace();
    loop {
        // `{}` and a trailing comma fail here: a key must follow.
        if s.peek()? != b'"' {
            return None;
        }
        let key = s.string()?;
        s.whitespace();
        if s.peek()? != b':' {
            return None;
        }
        s.pos += 1;
        s.whitespace();
        let value = s.value()?;
        match TopField::of_bytes(key) {
            TopField::TeamId => strings.team_id = Some(value.string()?),
            TopField::Formation => {
                let name = value.string()?;
                // An unknown formation is an error the full path words.
                if !std::str::from_utf8(name).is_ok_and(is_formation) {
                    return None;
                }
                strings.formation = Some(name);
            }
            TopField::MemberCount => r.member_count = value.count32()?,
            TopField::Success => r.success = value.boolean()?,
            TopField::Duration => r.duration_seconds = value.seconds()?,
            TopField::TotalToolCalls => r.total_tool_calls = value.count()?,
            TopField::ConsensusRounds => r.consensus_rounds = value.optional(Value::count32)?,
            TopField::ConsensusAchieved => {
                value.optional(Value::boolean)?;
            }
            TopField::Error => strings.error = value.optional(Value::string)?,
            TopField::Variant => r.variant = value.optional(Value::variant)?,
            TopField::ConfigHash => strings.config_hash = value.optional(Value::string)?,
            // Only null: an object of members goes to the full path.
            TopField::MemberMetrics | TopField::StringList(_) => value.null()?,
            TopField::ToolBudget | TopField::RecursionDepth => {
                value.optional(Value::count)?;
            }
            TopField::TimeoutSeconds => {
                value.optional(Value::seconds)?;
            }
            TopField::OptionalString(_) => {
                value.optional(Value::string)?;
            }
            TopField::Timestamp(_) => {
                if let Some(text) = value.optional(Value::string)?
                    && !std::str::from_utf8(text).is_ok_and(is_timestamp)
                {
                    return None;
                }
            }
            TopField::Unknown => {}
        }
        s.whitespace();
        match s.peek()? {
            b',' => {
                s.pos += 1;
                s.whitespace();
            }
            b'}' => {
                s.pos += 1;
                break;
            }
            _ => return None,
        }
    }
    let record_team = strings.team_id?;
    let kept = if team_id.is_none_or(|t| t.as_bytes() == record_team) {
        let text = |b: &'a [u8]| std::str::from_utf8(b).ok();
        r.team_id = text(record_team)?;
        r.formation = strings
            .formation
            .map(text)
            .map_or(Some(None), |f| f.map(Some))?;
        r.error = strings
            .error
            .map(text)
            .map_or(Some(None), |f| f.map(Some))?;
        r.config_hash = strings
            .config_hash
            .map(text)
            .map_or(Some(None), |f| f.map(Some))?;
        Some(r)
    } else {
        None
    };
    Some(Scanned {
        kept,
        end: s.pos,
        newlines: s.newlines,
    })
}

/// A scalar JSON value as serde_json would hand it to a visitor.
#[derive(Debug, Clone, Copy)]
enum Value<'a> {
    /// A string's bytes, checked to be UTF-8.
    Str(&'a [u8]),
    U64(u64),
    F64(f64),
    Bool(bool),
    Null,
}

impl<'a> Value<'a> {
    fn string(self) -> Option<&'a [u8]> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    fn boolean(self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    fn null(self) -> Option<()> {
        matches!(self, Value::Null).then_some(())
    }

    fn optional<T>(self, read: impl FnOnce(Self) -> Option<T>) -> Option<Option<T>> {
        match self {
            Value::Null => Some(None),
            other => read(other).map(Some),
        }
    }

    /// Runs the full path's own visitor on this value, so both paths accept the same numbers.
    fn number<T>(
        self,
        from_u64: impl FnOnce(U64Deserializer<ValueError>) -> Result<T, ValueError>,
        from_f64: impl FnOnce(F64Deserializer<ValueError>) -> Result<T, ValueError>,
    ) -> Option<T> {
        match self {
            Value::U64(v) => from_u64(U64Deserializer::new(v)).ok(),
            Value::F64(v) => from_f64(F64Deserializer::new(v)).ok(),
            _ => None,
        }
    }

    fn seconds(self) -> Option<f64> {
        self.number(Seconds::deserialize, Seconds::deserialize)
            .map(|s| s.0)
    }

    fn count(self) -> Option<u64> {
        self.number(Count::deserialize, Count::deserialize)
            .map(|c| c.0)
    }

    fn count32(self) -> Option<u32> {
        self.number(Count32::deserialize, Count32::deserialize)
            .map(|c| c.0)
    }

    fn variant(self) -> Option<Variant> {
        let s = std::str::from_utf8(self.string()?).ok()?;
        Variant::deserialize(BorrowedStrDeserializer::<ValueError>::new(s)).ok()
    }
}

/// Exact powers of ten: a significand below 2^53 divided by one of these is correctly
/// rounded, which is what serde_json computes too (with or without `float_roundtrip`).
const POW10: [f64; 16] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
];

/// At most this many digits in a number, so that its significand is below 2^53.
const MAX_DIGITS: u32 = 15;

struct Scanner<'a> {
    bytes: &'a [u8],
    pos: usize,
    newlines: u64,
}

impl<'a> Scanner<'a> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn whitespace(&mut self) {
        while let Some(&b) = self.bytes.get(self.pos) {
            match b {
                b'\n' => self.newlines += 1,
                b' ' | b'\t' | b'\r' => {}
                _ => return,
            }
            self.pos += 1;
        }
    }

    /// A string without escapes or control characters; `pos` is at its opening quote.
    fn string(&mut self) -> Option<&'a [u8]> {
        let start = self.pos + 1;
        let mut i = start;
        let mut high = 0u8;
        loop {
            match *self.bytes.get(i)? {
                b'"' => break,
                b'\\' | 0..=0x1f => return None,
                b => high |= b,
            }
            i += 1;
        }
        self.pos = i + 1;
        let raw = &self.bytes[start..i];
        // Only non-ASCII text needs checking; invalid UTF-8 is an error the full path words.
        if high >= 0x80 && std::str::from_utf8(raw).is_err() {
            return None;
        }
        Some(raw)
    }

    fn value(&mut self) -> Option<Value<'a>> {
        match self.peek()? {
            b'"' => self.string().map(Value::Str),
            b't' => self.literal(b"true", Value::Bool(true)),
            b'f' => self.literal(b"false", Value::Bool(false)),
            b'n' => self.literal(b"null", Value::Null),
            b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    fn literal(&mut self, text: &[u8], value: Value<'a>) -> Option<Value<'a>> {
        if self.bytes.get(self.pos..self.pos + text.len())? == text {
            self.pos += text.len();
            Some(value)
        } else {
            None
        }
    }

    /// A non-negative number without exponent and with at most [`MAX_DIGITS`] digits, as
    /// serde_json reads it: an integer as `u64`, a decimal as significand / 10^decimals.
    fn number(&mut self) -> Option<Value<'a>> {
        let mut significand: u64 = 0;
        let mut digits = 0u32;
        let first = self.peek()?;
        self.digits(&mut significand, &mut digits);
        if first == b'0' && digits > 1 {
            // A leading zero: the full path reports it.
            return None;
        }
        let value = if self.peek() == Some(b'.') {
            self.pos += 1;
            let before = digits;
            self.digits(&mut significand, &mut digits);
            let decimals = digits - before;
            if decimals == 0 || digits > MAX_DIGITS {
                return None;
            }
            let power = POW10.get(decimals as usize)?;
            Value::F64(significand as f64 / power)
        } else {
            Value::U64(significand)
        };
        if digits > MAX_DIGITS || matches!(self.peek(), Some(b'e' | b'E')) {
            return None;
        }
        Some(value)
    }

    /// Reads decimal digits into `significand` (it stops adding past [`MAX_DIGITS`], the
    /// caller then gives up).
    fn digits(&mut self, significand: &mut u64, digits: &mut u32) {
        while let Some(&b @ b'0'..=b'9') = self.bytes.get(self.pos) {
            if *digits < MAX_DIGITS {
                *significand = *significand * 10 + u64::from(b - b'0');
            }
            *digits += 1;
            self.pos += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(text: &str) -> Option<Scanned<'_>> {
        scan_record(text.as_bytes(), 0, None)
    }

    #[test]
    fn reads_a_flat_record() {
        let text = "{\"team_id\": \"t\", \"formation\": \"parallel\",\n \"member_count\": 5, \"success\": false, \"duration_seconds\": 41.1, \"total_tool_calls\": 11, \"start_time\": \"2025-01-15T10:00:00Z\", \"x\": null, \"é\": \"ü\"} tail";
        let scanned = scan(text).unwrap();
        assert_eq!(scanned.newlines, 1);
        assert_eq!(&text[scanned.end..], " tail");
        let r = scanned.kept.unwrap();
        assert_eq!(r.team_id, "t");
        assert_eq!(r.formation, Some("parallel"));
        assert_eq!(
            (r.member_count, r.success, r.total_tool_calls),
            (5, false, 11)
        );
        assert_eq!(r.duration_seconds, 41.1);
        let other = scan_record(text.as_bytes(), 0, Some("u")).unwrap();
        assert_eq!((other.kept, other.end), (None, scanned.end));
    }

    #[test]
    fn leaves_everything_else_to_the_full_path() {
        for text in [
            r#"{}"#,
            r#"{"team_id": "a",}"#,
            r#"{"team_id": "a\n"}"#,
            r#"{"team_id": "a", "duration_seconds": -1}"#,
            r#"{"team_id": "a", "duration_seconds": 1e3}"#,
            r#"{"team_id": "a", "duration_seconds": 01}"#,
            r#"{"team_id": "a", "duration_seconds": 1.}"#,
            r#"{"team_id": "a", "duration_seconds": 1234567890123456}"#,
            r#"{"team_id": "a", "member_count": 1.5}"#,
            r#"{"team_id": "a", "success": "false"}"#,
            r#"{"team_id": "a", "member_metrics": {}}"#,
            r#"{"team_id": "a", "x": [1]}"#,
            r#"{"team_id": "a", "variant": "other"}"#,
            r#"{"team_id": "a" "x": 1}"#,
            r#"{"team_id": "a", "x": truex}"#,
            r#"{"team_id": "a""#,
            r#"{"team_id": null}"#,
        ] {
            assert!(scan(text).is_none(), "{text}");
        }
        assert!(scan_record(b"{\"team_id\": \"a\", \"x\": \"\xff\"}", 0, None).is_none());
    }
}
