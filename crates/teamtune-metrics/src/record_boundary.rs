//! Byte-level helpers that need no JSON parser: where a record object ends, where a record
//! probably starts (to split a segment between threads), and how many lines a stretch of input
//! has (for error positions).

/// Bytes JSON allows between tokens.
pub(crate) fn is_json_whitespace(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// The index of the first non-whitespace byte at or after `from`, or `bytes.len()`; adds the
/// `\n` bytes skipped to `newlines`.
pub(crate) fn skip_whitespace(bytes: &[u8], from: usize, newlines: &mut u64) -> usize {
    for (i, &b) in bytes[from..].iter().enumerate() {
        match b {
            b'\n' => *newlines += 1,
            b' ' | b'\t' | b'\r' => {}
            _ => return from + i,
        }
    }
    bytes.len()
}

/// Delimits the object that starts at `bytes[start]` (a `{`) by counting brackets outside
/// strings. Returns the index just past its closing bracket and the `\n` bytes in the object,
/// or `None` when the input ends first. It does not validate: serde_json parses the
/// delimited slice and reports what is wrong in it (such as a raw newline in a string, which
/// is therefore not counted).
pub(crate) fn object_end(bytes: &[u8], start: usize) -> Option<(usize, u64)> {
    let mut i = start;
    let mut newlines = 0;
    let mut depth: u32 = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                // Jump over the string: to the next quote that is not escaped. (A raw newline
                // cannot be in a valid string; serde_json reports it.)
                i += 1;
                loop {
                    let skip = memchr::memchr2(b'"', b'\\', &bytes[i..])?;
                    i += skip;
                    if bytes[i] == b'\\' {
                        i += 2;
                        if i > bytes.len() {
                            return None;
                        }
                    } else {
                        break;
                    }
                }
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Some((i + 1, newlines));
                }
            }
            b'\n' => newlines += 1,
            _ => {}
        }
        i += 1;
    }
    None
}

/// How far past a split point to look for a record start before giving up on that split.
const SEARCH_WINDOW: usize = 1 << 20;

/// Picks up to `parts - 1` offsets that split `bytes[from..]` into roughly equal parts, each
/// at what looks like the start of a top-level record: a `{` whose previous non-whitespace
/// byte is `,` (inside an array) or `}` (JSON lines).
///
/// This is a guess: the same bytes can occur inside a string or a nested array of objects.
/// The parser of the part before a split point confirms it by arriving there exactly
/// between two records; otherwise that part's result is discarded (see `segment`).
pub(crate) fn split_points(bytes: &[u8], from: usize, parts: usize, in_array: bool) -> Vec<usize> {
    let separator = if in_array { b',' } else { b'}' };
    let len = bytes.len() - from;
    let mut points: Vec<usize> = Vec::with_capacity(parts.saturating_sub(1));
    for part in 1..parts {
        let target = from + len / parts * part;
        let after = points.last().map_or(from + 1, |&p| p + 1).max(target);
        if let Some(point) = record_start_from(bytes, after, separator) {
            points.push(point);
        }
    }
    points
}

fn record_start_from(bytes: &[u8], from: usize, separator: u8) -> Option<usize> {
    let end = bytes.len().min(from.saturating_add(SEARCH_WINDOW));
    let mut i = from;
    while i < end {
        let at = i + memchr::memchr(b'{', &bytes[i..end])?;
        let previous = bytes[..at].iter().rposition(|&b| !is_json_whitespace(b));
        if previous.is_some_and(|p| bytes[p] == separator) {
            return Some(at);
        }
        i = at + 1;
    }
    None
}

/// Counts `\n` bytes (for the position of an error; the parsers count as they go).
pub(crate) fn count_newlines(bytes: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', bytes).count() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimits_objects_with_strings_and_escapes() {
        let text = br#"{"a": "}\"{", "b": [1, {"c": "\\"}]} tail"#;
        assert_eq!(object_end(text, 0), Some((text.len() - 5, 0)));
        assert_eq!(object_end(b"{\n\"a\": [\n1]\n}", 0), Some((13, 3)));
        assert_eq!(object_end(br#"{"a": "x"#, 0), None);
        assert_eq!(object_end(br#"{"a": "x\"#, 0), None);
        assert_eq!(object_end(b"{", 0), None);
    }

    #[test]
    fn finds_record_starts() {
        let text = br#"[{"a": 1}, {"a": [{"x": 1}]},{"a": 2}]"#;
        let points = split_points(text, 1, 2, true);
        assert_eq!(points.len(), 1);
        assert_eq!(text[points[0]], b'{');
        assert_eq!(split_points(b"{}\n{}\n{}", 0, 3, false), vec![3, 6]);
        assert!(split_points(b"{}", 0, 4, false).is_empty());
    }

    #[test]
    fn skips_and_counts_whitespace() {
        let mut newlines = 0;
        assert_eq!(skip_whitespace(b" \n\r\n\tx", 0, &mut newlines), 5);
        assert_eq!(newlines, 2);
        assert_eq!(skip_whitespace(b"  ", 1, &mut newlines), 2);
    }
}
