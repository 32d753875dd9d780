//! A line- and indentation-aware view of YAML text, just enough to find a node's keys and
//! sequence items with their byte spans and to edit them as text. It understands block
//! mappings and sequences, one-line or multi-line flow mappings (`{id: a, role: b}`), quoted
//! scalars, comments and block scalars (`|`, `>`), whose bodies it never looks into. Anything
//! it misreads is caught by the re-parse check in `edit`, never written silently.

/// What a line holds, for deciding where blocks end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Blank,
    Comment,
    /// Starts a node or key at its indentation.
    Content,
    /// Inside a block scalar, a multi-line quoted scalar or a multi-line flow collection.
    Inner,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Line {
    /// Byte offset of the first character.
    pub start: usize,
    /// Byte offset of the end of the text, before `\r\n` or `\n`.
    pub end: usize,
    /// Byte offset of the next line (after the line break), or `end` on a last line without one.
    pub next: usize,
    pub indent: usize,
    pub kind: Kind,
    /// Byte offset where a trailing comment starts.
    pub comment: Option<usize>,
}

pub(super) struct Doc<'a> {
    pub src: &'a str,
    pub lines: Vec<Line>,
    pub eol: &'static str,
}

/// A key of a block mapping.
#[derive(Debug, Clone)]
pub(super) struct Entry {
    pub key: String,
    pub line: usize,
    /// Byte span of a value written on the key's line (without comment), if any.
    pub value: Option<(usize, usize)>,
    /// Last line (inclusive) that belongs to the entry, not counting trailing comments.
    pub last: usize,
}

/// An item of a block sequence.
#[derive(Debug, Clone, Copy)]
pub(super) struct Item {
    pub line: usize,
    pub dash_col: usize,
    /// Last line (inclusive), not counting trailing comments.
    pub last: usize,
}

/// A flow mapping `{k: v, ...}`.
#[derive(Debug, Clone)]
pub(super) struct FlowMap {
    pub entries: Vec<FlowEntry>,
}

#[derive(Debug, Clone)]
pub(super) struct FlowEntry {
    pub key: String,
    /// Span of the whole `key: value` text.
    pub start: usize,
    pub end: usize,
    /// Span of the value text, if the entry has one.
    pub value: Option<(usize, usize)>,
}

/// A mapping as written: block keys at one column, or a flow mapping.
pub(super) enum MapView {
    Block {
        entries: Vec<Entry>,
        col: usize,
        dash_line: Option<usize>,
    },
    Flow(FlowMap),
}

#[derive(Default)]
struct ScanState {
    quote: Option<u8>,
    depth: usize,
    /// Inside a block scalar whose parent node sits at this column.
    block_scalar: Option<usize>,
}

impl<'a> Doc<'a> {
    pub fn new(src: &'a str) -> Doc<'a> {
        let eol = if src.contains("\r\n") { "\r\n" } else { "\n" };
        let mut lines = Vec::new();
        let mut state = ScanState::default();
        let mut pos = 0;
        while pos < src.len() {
            let (end, next) = match src[pos..].find('\n') {
                Some(i) => {
                    let nl = pos + i;
                    let end = if nl > pos && src.as_bytes()[nl - 1] == b'\r' {
                        nl - 1
                    } else {
                        nl
                    };
                    (end, nl + 1)
                }
                None => (src.len(), src.len()),
            };
            lines.push(scan_line(src, pos, end, next, &mut state));
            pos = next;
        }
        Doc { src, lines, eol }
    }

    pub fn text(&self, l: usize) -> &'a str {
        &self.src[self.lines[l].start..self.lines[l].end]
    }

    /// The last line (inclusive) of the node starting on line `l` whose parent indentation is
    /// `col`: every following line indented deeper, plus lines at `col` starting with `-`
    /// when `compact_seq` (a sequence written at its key's indentation). Trailing comments
    /// and blank lines are not included.
    pub fn node_last(&self, l: usize, col: usize, compact_seq: bool, limit: usize) -> usize {
        let mut last = l;
        for i in l + 1..=limit.min(self.lines.len().saturating_sub(1)) {
            let line = &self.lines[i];
            match line.kind {
                Kind::Blank | Kind::Comment => continue,
                Kind::Inner => last = i,
                Kind::Content => {
                    let t = &self.text(i)[line.indent..];
                    if line.indent > col || (compact_seq && line.indent == col && is_dash(t)) {
                        last = i;
                    } else {
                        break;
                    }
                }
            }
        }
        last
    }

    /// First content line in `from..=to`.
    pub fn first_content(&self, from: usize, to: usize) -> Option<usize> {
        (from..=to.min(self.lines.len().saturating_sub(1)))
            .find(|&i| self.lines[i].kind == Kind::Content)
    }

    /// The block mapping whose first key starts at byte column `col` of line `first`, its
    /// other keys on content lines at indentation `col` up to line `limit`.
    pub fn block_map(&self, first: usize, col: usize, limit: usize) -> Result<Vec<Entry>, String> {
        let mut starts = vec![first];
        for i in first + 1..=limit.min(self.lines.len().saturating_sub(1)) {
            let line = &self.lines[i];
            if line.kind != Kind::Content {
                continue;
            }
            if line.indent < col {
                break;
            }
            if line.indent == col && !is_dash(&self.text(i)[col..]) {
                starts.push(i);
            }
        }
        let mut entries = Vec::with_capacity(starts.len());
        for (k, &l) in starts.iter().enumerate() {
            let (key, value) = self
                .parse_key(l, col)
                .ok_or_else(|| format!("line {} is not a `key: value` entry", l + 1))?;
            let until = starts.get(k + 1).map_or(limit, |&n| n - 1);
            let compact = value.is_none();
            let last = self.node_last(l, col, compact, until);
            entries.push(Entry {
                key,
                line: l,
                value,
                last,
            });
        }
        Ok(entries)
    }

    /// The items of the block sequence on lines `from..=to` (its dashes at one column).
    pub fn seq_items(&self, from: usize, to: usize) -> Vec<Item> {
        let Some(first) = self.first_content(from, to) else {
            return Vec::new();
        };
        let col = self.lines[first].indent;
        let mut starts = Vec::new();
        for i in first..=to.min(self.lines.len().saturating_sub(1)) {
            let line = &self.lines[i];
            if line.kind != Kind::Content {
                continue;
            }
            if line.indent < col {
                break;
            }
            if line.indent == col {
                if !is_dash(&self.text(i)[col..]) {
                    break;
                }
                starts.push(i);
            }
        }
        starts
            .iter()
            .enumerate()
            .map(|(k, &l)| {
                let until = starts.get(k + 1).map_or(to, |&n| n - 1);
                Item {
                    line: l,
                    dash_col: col,
                    last: self.node_last(l, col, false, until),
                }
            })
            .collect()
    }

    /// What a sequence item holds, when it is a mapping.
    pub fn item_map(&self, item: &Item) -> Result<MapView, String> {
        let text = self.text(item.line);
        let after = item.dash_col + 1;
        let rest_col = after + text[after..].len() - text[after..].trim_start().len();
        let line = &self.lines[item.line];
        let rest_empty =
            rest_col >= text.len() || line.comment.is_some_and(|c| c - line.start <= rest_col);
        if rest_empty {
            let first = self
                .first_content(item.line + 1, item.last)
                .ok_or_else(|| format!("item on line {} is empty", item.line + 1))?;
            let col = self.lines[first].indent;
            let entries = self.block_map(first, col, item.last)?;
            return Ok(MapView::Block {
                entries,
                col,
                dash_line: None,
            });
        }
        if text[rest_col..].starts_with('{') {
            return flow_map(self.src, line.start + rest_col).map(MapView::Flow);
        }
        let entries = self.block_map(item.line, rest_col, item.last)?;
        Ok(MapView::Block {
            entries,
            col: rest_col,
            dash_line: Some(item.line),
        })
    }

    /// `key: value` at byte column `col` of line `l`: the unquoted key and the value's span.
    fn parse_key(&self, l: usize, col: usize) -> Option<(String, Option<(usize, usize)>)> {
        let line = &self.lines[l];
        let text_end = line.comment.unwrap_or(line.end);
        let start = line.start + col;
        if start >= text_end {
            return None;
        }
        let text = &self.src[start..text_end];
        let (key, after) = split_key(text, false)?;
        let vstart = start + after;
        let vtext = &self.src[vstart..text_end];
        let lead = vtext.len() - vtext.trim_start().len();
        let trimmed = vtext.trim();
        let value = (!trimmed.is_empty()).then(|| (vstart + lead, vstart + lead + trimmed.len()));
        Some((key, value))
    }
}

fn is_dash(t: &str) -> bool {
    t == "-" || t.starts_with("- ") || t.starts_with("-\t")
}

/// Splits `key: rest` (block or flow); returns the unquoted key and the offset just after
/// the `:`.
fn split_key(text: &str, flow: bool) -> Option<(String, usize)> {
    let b = text.as_bytes();
    let first = *b.first()?;
    let is_sep = |i: usize| {
        i >= b.len()
            || b[i] == b' '
            || b[i] == b'\t'
            || (flow && matches!(b[i], b',' | b'}' | b']'))
    };
    if first == b'"' || first == b'\'' {
        let mut i = 1;
        while i < b.len() {
            if first == b'"' && b[i] == b'\\' {
                i += 2;
                continue;
            }
            if b[i] == first {
                if first == b'\'' && b.get(i + 1) == Some(&b'\'') {
                    i += 2;
                    continue;
                }
                break;
            }
            i += 1;
        }
        if i >= b.len() {
            return None;
        }
        let raw = &text[..=i];
        let key = if first == b'"' {
            serde_json::from_str::<String>(raw).ok()?
        } else {
            raw[1..raw.len() - 1].replace("''", "'")
        };
        let rest = &text[i + 1..];
        let j = i + 1 + (rest.len() - rest.trim_start().len());
        return (b.get(j) == Some(&b':')).then_some((key, j + 1));
    }
    if matches!(
        first,
        b'-' | b'[' | b'{' | b'#' | b'?' | b'&' | b'*' | b'!' | b'|' | b'>'
    ) {
        return None;
    }
    let i = (0..b.len()).find(|&i| b[i] == b':' && is_sep(i + 1))?;
    Some((text[..i].trim_end().to_string(), i + 1))
}

fn scan_line(src: &str, start: usize, end: usize, next: usize, st: &mut ScanState) -> Line {
    let text = &src[start..end];
    let indent = text.len() - text.trim_start_matches(' ').len();
    let mut line = Line {
        start,
        end,
        next,
        indent,
        kind: Kind::Content,
        comment: None,
    };
    if let Some(parent) = st.block_scalar {
        if text.trim().is_empty() || indent > parent {
            line.kind = Kind::Inner;
            return line;
        }
        st.block_scalar = None;
    }
    let inner = st.quote.is_some() || st.depth > 0;
    if !inner {
        let t = text.trim();
        if t.is_empty() || t == "---" || t == "..." || (indent == 0 && t.starts_with("--- ")) {
            line.kind = Kind::Blank;
            return line;
        }
        if t.starts_with('#') || t.starts_with('%') {
            line.kind = Kind::Comment;
            return line;
        }
    } else {
        line.kind = Kind::Inner;
    }
    let b = text.as_bytes();
    let mut i = 0;
    let mut at_start = !inner || st.depth > 0;
    let mut parent = indent;
    let mut token = indent;
    while i < b.len() {
        if let Some(q) = st.quote {
            if q == b'"' && b[i] == b'\\' {
                i += 2;
                continue;
            }
            if b[i] == q {
                if q == b'\'' && b.get(i + 1) == Some(&b'\'') {
                    i += 2;
                    continue;
                }
                st.quote = None;
                at_start = false;
            }
            i += 1;
            continue;
        }
        let c = b[i];
        if c == b' ' || c == b'\t' {
            i += 1;
            continue;
        }
        if c == b'#' && (i == 0 || b[i - 1] == b' ' || b[i - 1] == b'\t') {
            line.comment = Some(start + i);
            break;
        }
        let sep_next = i + 1 >= b.len() || b[i + 1] == b' ' || b[i + 1] == b'\t';
        if at_start {
            match c {
                b'"' | b'\'' => {
                    st.quote = Some(c);
                    token = i;
                    i += 1;
                    continue;
                }
                b'[' | b'{' => {
                    st.depth += 1;
                    i += 1;
                    continue;
                }
                b'-' | b'?' if st.depth == 0 && sep_next => {
                    parent = i;
                    i += 1;
                    continue;
                }
                b'|' | b'>' if st.depth == 0 => {
                    st.block_scalar = Some(parent);
                    // Modifiers and a comment may follow; nothing else.
                    if let Some(h) = text[i..].find(" #") {
                        line.comment = Some(start + i + h + 1);
                    }
                    return line;
                }
                b'&' | b'!' => {
                    while i < b.len() && b[i] != b' ' && b[i] != b'\t' {
                        i += 1;
                    }
                    continue;
                }
                _ => {
                    token = i;
                    at_start = false;
                }
            }
        }
        if st.depth > 0 {
            match c {
                b']' | b'}' => {
                    st.depth -= 1;
                    at_start = false;
                    i += 1;
                    continue;
                }
                b',' => {
                    at_start = true;
                    i += 1;
                    continue;
                }
                _ => {}
            }
        }
        let flow_sep = st.depth > 0 && matches!(b.get(i + 1), Some(b',' | b']' | b'}'));
        if c == b':' && (sep_next || flow_sep) {
            if st.depth == 0 {
                parent = token;
            }
            at_start = true;
        }
        i += 1;
    }
    line
}

/// Parses the flow mapping whose `{` is at byte `open` of `src`.
pub(super) fn flow_map(src: &str, open: usize) -> Result<FlowMap, String> {
    let b = src.as_bytes();
    let mut entries = Vec::new();
    let mut i = open + 1;
    let mut depth = 0usize;
    let mut quote: Option<u8> = None;
    let mut at_start = true;
    let mut seg = i;
    loop {
        if i >= b.len() {
            return Err("unclosed flow mapping `{`".to_string());
        }
        let c = b[i];
        if let Some(q) = quote {
            if q == b'"' && c == b'\\' {
                i += 2;
                continue;
            }
            if c == q {
                if q == b'\'' && b.get(i + 1) == Some(&b'\'') {
                    i += 2;
                    continue;
                }
                quote = None;
                at_start = false;
            }
            i += 1;
            continue;
        }
        match c {
            b' ' | b'\t' | b'\r' | b'\n' => {}
            b'#' if matches!(b[i - 1], b' ' | b'\t' | b'\n') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'"' | b'\'' if at_start => quote = Some(c),
            b'{' | b'[' if at_start => depth += 1,
            b'}' | b']' if depth > 0 => {
                depth -= 1;
                at_start = false;
            }
            b'}' if depth == 0 => {
                push_flow_entry(src, seg, i, &mut entries)?;
                return Ok(FlowMap { entries });
            }
            b',' => {
                if depth == 0 {
                    push_flow_entry(src, seg, i, &mut entries)?;
                    seg = i + 1;
                }
                at_start = true;
            }
            b':' if matches!(
                b.get(i + 1),
                None | Some(b' ' | b'\t' | b'\r' | b'\n' | b',' | b'}' | b']')
            ) =>
            {
                at_start = true;
            }
            _ => at_start = false,
        }
        i += 1;
    }
}

fn push_flow_entry(
    src: &str,
    from: usize,
    to: usize,
    entries: &mut Vec<FlowEntry>,
) -> Result<(), String> {
    let raw = &src[from..to];
    let lead = raw.len() - raw.trim_start().len();
    let text = raw.trim();
    if text.is_empty() {
        return Ok(());
    }
    let start = from + lead;
    let end = start + text.len();
    match split_key(text, true) {
        Some((key, after)) => {
            let v = &text[after..];
            let vlead = v.len() - v.trim_start().len();
            let vt = v.trim();
            let value =
                (!vt.is_empty()).then(|| (start + after + vlead, start + after + vlead + vt.len()));
            entries.push(FlowEntry {
                key,
                start,
                end,
                value,
            });
            Ok(())
        }
        None => Err(format!("flow mapping entry `{text}` is not `key: value`")),
    }
}

/// A text edit against the original source: replace `start..end` with `text`.
#[derive(Debug, Clone)]
pub(super) struct Edit {
    pub start: usize,
    pub end: usize,
    pub text: String,
}

/// Applies non-overlapping edits to `src`.
pub(super) fn apply(src: &str, mut edits: Vec<Edit>) -> Result<String, String> {
    // Stable sort: insertions at one point keep the order they were planned in, and an
    // insertion sorts before a deletion that starts at the same point.
    edits.sort_by_key(|e| (e.start, e.end));
    if let Some(w) = edits.windows(2).find(|w| w[0].end > w[1].start) {
        return Err(format!(
            "overlapping edits at bytes {}..{} and {}..{}",
            w[0].start, w[0].end, w[1].start, w[1].end
        ));
    }
    let mut out = String::with_capacity(src.len() + 256);
    let mut pos = 0;
    for e in &edits {
        out.push_str(&src[pos..e.start]);
        out.push_str(&e.text);
        pos = e.end.max(pos);
    }
    out.push_str(&src[pos..]);
    Ok(out)
}

impl Doc<'_> {
    /// An edit inserting whole lines after line `l`.
    pub fn insert_after(&self, l: usize, new_lines: &[String]) -> Edit {
        let line = &self.lines[l];
        let mut text = String::new();
        let has_break = line.next > line.end;
        if !has_break {
            text.push_str(self.eol);
        }
        for (k, nl) in new_lines.iter().enumerate() {
            text.push_str(nl);
            if has_break || k + 1 < new_lines.len() {
                text.push_str(self.eol);
            }
        }
        Edit {
            start: line.next,
            end: line.next,
            text,
        }
    }

    /// An edit deleting lines `from..=to` whole.
    pub fn delete_lines(&self, from: usize, to: usize) -> Edit {
        let mut start = self.lines[from].start;
        let end = self.lines[to].next;
        // Deleting the file's last line, which has no line break: take the previous break.
        if end == self.lines[to].end && from > 0 {
            start = self.lines[from - 1].end;
        }
        Edit {
            start,
            end,
            text: String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_scalars_and_comments_are_not_keys() {
        let src = "a: |\n  b: 1\n  # x\nc: 2 # note\n";
        let d = Doc::new(src);
        let kinds: Vec<Kind> = d.lines.iter().map(|l| l.kind).collect();
        assert_eq!(
            kinds,
            [Kind::Content, Kind::Inner, Kind::Inner, Kind::Content]
        );
        let e = d.block_map(0, 0, 3).unwrap();
        assert_eq!(
            e.iter().map(|e| e.key.as_str()).collect::<Vec<_>>(),
            ["a", "c"]
        );
        assert_eq!(e[0].last, 2);
        let (s, t) = e[1].value.unwrap();
        assert_eq!(&src[s..t], "2");
    }

    #[test]
    fn apostrophes_in_plain_scalars_do_not_open_quotes() {
        let src = "a: don't stop\nb: 'it''s' # c\nc: 3\n";
        let d = Doc::new(src);
        assert!(d.lines.iter().all(|l| l.kind == Kind::Content));
        let e = d.block_map(0, 0, 2).unwrap();
        assert_eq!(e.len(), 3);
        let (s, t) = e[1].value.unwrap();
        assert_eq!(&src[s..t], "'it''s'");
    }

    #[test]
    fn flow_map_entries() {
        let src = "- {id: x, role: \"a, b\", tools: [r, w], sim: {k: 1}}\n";
        let m = flow_map(src, 2).unwrap();
        let keys: Vec<&str> = m.entries.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, ["id", "role", "tools", "sim"]);
        let (s, t) = m.entries[1].value.unwrap();
        assert_eq!(&src[s..t], "\"a, b\"");
        let (s, t) = m.entries[3].value.unwrap();
        assert_eq!(&src[s..t], "{k: 1}");
    }

    #[test]
    fn sequence_items_and_compact_sequences() {
        let src = "m:\n- id: a\n  x: 1\n# between\n- id: b\nn: 2\n";
        let d = Doc::new(src);
        let e = d.block_map(0, 0, 5).unwrap();
        assert_eq!(e[0].key, "m");
        assert_eq!(e[0].last, 4);
        let items = d.seq_items(1, e[0].last);
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].last, 2);
        assert_eq!(items[1].line, 4);
    }

    #[test]
    fn insert_after_a_last_line_without_break() {
        let d = Doc::new("a: 1");
        let e = d.insert_after(0, &["b: 2".to_string()]);
        assert_eq!(apply("a: 1", vec![e]).unwrap(), "a: 1\nb: 2");
    }
}
