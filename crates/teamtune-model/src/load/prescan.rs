//! A linear pass over the source before the YAML parser sees it. The parser has no nesting
//! limit of its own until after it has built every event, and deep nesting makes it slow
//! (80,000 levels of `[` took 16 s), so nesting deeper than [`MAX_NESTING`] is refused here,
//! in time proportional to the file. The same pass notes the first line indented with a
//! tab, so a parse error there can say why.
//!
//! The depth counted is block indentation levels (plus compact `- ` items) and flow
//! brackets; quoted scalars, comments and block scalars (`|`, `>`) are skipped. It is an
//! estimate that never undercounts well-formed nesting.

use crate::error::Problem;
use crate::limits::MAX_NESTING;

/// What the pass found, short of an error.
#[derive(Debug, Default)]
pub(crate) struct Scan {
    /// 1-based line and column of the first tab in a line's indentation.
    pub first_tab_indent: Option<(usize, usize)>,
}

/// Refuses `source` (a workflow or inputs file, YAML or JSON) when its maps and lists nest
/// deeper than [`MAX_NESTING`], before any parser builds it.
pub fn check_nesting(source: &str) -> Result<(), Problem> {
    scan(source).map(|_| ())
}

/// Scans `source`; an error when maps and lists nest deeper than [`MAX_NESTING`].
pub(crate) fn scan(source: &str) -> Result<Scan, Problem> {
    let mut out = Scan::default();
    let mut indents: Vec<usize> = Vec::new();
    let mut flow = 0usize;
    let mut quote: Option<u8> = None;
    // The indentation of the line that opened a block scalar: more indented lines are text.
    let mut block_scalar: Option<usize> = None;
    for (i, line) in source.lines().enumerate() {
        let lineno = i + 1;
        let bytes = line.as_bytes();
        let indent = bytes.iter().take_while(|&&b| b == b' ').count();
        let blank = line.trim().is_empty();
        if let Some(parent) = block_scalar {
            if blank || indent > parent {
                continue;
            }
            block_scalar = None;
        }
        if blank {
            continue;
        }
        let lead = bytes
            .iter()
            .take_while(|&&b| b == b' ' || b == b'\t')
            .count();
        if out.first_tab_indent.is_none()
            && quote.is_none()
            && flow == 0
            && let Some(t) = bytes[..lead].iter().position(|&b| b == b'\t')
        {
            out.first_tab_indent = Some((lineno, t + 1));
        }
        let mut col = lead;
        if quote.is_none() && flow == 0 {
            if bytes[lead] == b'#' {
                continue;
            }
            while indents.last().is_some_and(|&top| top > indent) {
                indents.pop();
            }
            if indents.last() != Some(&indent) {
                indents.push(indent);
            }
            // Compact nested items on one line: `- - - x`, `- key: value`.
            let mut extra = 0;
            while bytes.get(col) == Some(&b'-') && matches!(bytes.get(col + 1), Some(b' ') | None) {
                extra += 1;
                col += 2;
            }
            if indents.len() + extra > MAX_NESTING {
                return Err(too_deep(lineno, col.min(bytes.len()) + 1));
            }
        }
        let block_depth = indents.len();
        let mut last_significant = None;
        let mut j = col;
        while j < bytes.len() {
            let b = bytes[j];
            match quote {
                Some(b'"') => match b {
                    b'\\' => j += 1,
                    b'"' => quote = None,
                    _ => {}
                },
                Some(_) => {
                    if b == b'\'' {
                        if bytes.get(j + 1) == Some(&b'\'') {
                            j += 1;
                        } else {
                            quote = None;
                        }
                    }
                }
                None => {
                    let starts_token =
                        j == 0 || matches!(bytes[j - 1], b' ' | b'\t' | b'[' | b'{' | b',' | b':');
                    match b {
                        b'#' if j == 0 || matches!(bytes[j - 1], b' ' | b'\t') => break,
                        b'"' | b'\'' if starts_token => quote = Some(b),
                        b'[' | b'{' => {
                            flow += 1;
                            if block_depth + flow > MAX_NESTING {
                                return Err(too_deep(lineno, j + 1));
                            }
                        }
                        b']' | b'}' => flow = flow.saturating_sub(1),
                        _ => {}
                    }
                    if !matches!(b, b' ' | b'\t') {
                        last_significant = Some(j);
                    }
                }
            }
            j += 1;
        }
        if quote.is_none()
            && flow == 0
            && let Some(end) = last_significant
            && opens_block_scalar(&line[..=end])
        {
            block_scalar = Some(indent);
        }
    }
    Ok(out)
}

/// A line ending in a block scalar header: `key: |`, `- >-`, `key: |2+`.
fn opens_block_scalar(line: &str) -> bool {
    let t = line.trim_end();
    let header_start = t.rfind(['|', '>']);
    let Some(h) = header_start else {
        return false;
    };
    let indicators = &t[h + 1..];
    let before = t[..h].trim_end();
    indicators.len() <= 2
        && indicators
            .bytes()
            .all(|b| b == b'+' || b == b'-' || b.is_ascii_digit())
        && (before.is_empty() || before.ends_with(':') || before.ends_with('-'))
}

fn too_deep(line: usize, column: usize) -> Problem {
    Problem::at_column(
        Some(line),
        Some(column),
        format!("maps and lists nest more than {MAX_NESTING} levels deep here (the limit)"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_flow_and_block_nesting_are_refused_with_a_location() {
        let deep = format!("a: {}{}", "[".repeat(80_000), "]".repeat(80_000));
        let started = std::time::Instant::now();
        let e = scan(&deep).unwrap_err();
        assert!(started.elapsed().as_millis() < 500);
        assert_eq!((e.line, e.column), (Some(1), Some(131)));
        let mut block = String::new();
        for i in 0..200 {
            block.push_str(&format!("{}k{i}:\n", " ".repeat(i)));
        }
        let e = scan(&block).unwrap_err();
        assert_eq!(e.line, Some(129));
        let dashes = format!("{}x\n", "- ".repeat(200));
        assert!(scan(&dashes).is_err());
    }

    #[test]
    fn ordinary_files_pass_and_text_is_not_counted() {
        let ok = "a:\n  b: [1, {c: \"[[[[\"}]  # [[[[\n  t: |\n    [[[[[[[[\n          deep text\n  d: 'it''s ['\n";
        let s = scan(ok).unwrap();
        assert_eq!(s.first_tab_indent, None);
        assert_eq!(scan("a:\n\tb: 1\n").unwrap().first_tab_indent, Some((2, 1)));
        assert_eq!(
            scan("a:\n  \tb: 1\n").unwrap().first_tab_indent,
            Some((2, 3))
        );
    }
}
