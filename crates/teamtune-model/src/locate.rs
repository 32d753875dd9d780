//! Finds the line of a node or key in the source text, so semantic errors (found after
//! deserialization, when spans are gone) still point at `path:line`.

/// 1-based column of `key` used as a key in `line` (followed by `:`, at a token start).
fn key_column(line: &str, key: &str) -> Option<usize> {
    let bytes = line.as_bytes();
    let mut from = 0;
    while let Some(off) = line[from..].find(key) {
        let at = from + off;
        let before_ok =
            at == 0 || matches!(bytes[at - 1], b' ' | b'{' | b',' | b'-' | b'"' | b'\'');
        let after = line[at + key.len()..]
            .trim_start_matches(['"', '\''])
            .trim_start();
        if before_ok && after.starts_with(':') {
            return Some(at + 1);
        }
        from = at + key.len();
    }
    None
}

pub(crate) struct LineIndex<'a> {
    lines: Vec<&'a str>,
}

impl<'a> LineIndex<'a> {
    pub fn new(source: &'a str) -> Self {
        LineIndex {
            lines: source.lines().collect(),
        }
    }

    /// 1-based line of the first `id: <id>` at or after `from` (1-based).
    pub fn id_line(&self, id: &str, from: usize) -> Option<usize> {
        let start = from.saturating_sub(1);
        self.lines
            .iter()
            .enumerate()
            .skip(start)
            .find_map(|(i, l)| {
                let t = l.trim_start().trim_start_matches("- ").trim_start();
                let rest = t.strip_prefix("id:")?.trim();
                let rest = rest.split(" #").next().unwrap_or(rest).trim();
                let unquoted = rest.trim_matches(|c| c == '"' || c == '\'');
                (unquoted == id).then_some(i + 1)
            })
    }

    /// 1-based line and column of `key:` in the lines `from..until`, in block or flow style
    /// (`{a: 1, key: 2}`).
    pub fn key_position(
        &self,
        key: &str,
        from: usize,
        until: Option<usize>,
    ) -> Option<(usize, usize)> {
        let end = until.unwrap_or(self.lines.len() + 1).saturating_sub(1);
        let start = from.saturating_sub(1);
        (start..end.min(self.lines.len()))
            .find_map(|i| key_column(self.lines[i], key).map(|c| (i + 1, c)))
    }

    /// 1-based line of the member whose `id:` (or `name:`) is `id`, in block or flow style,
    /// in the lines `from..until`.
    pub fn member_line(&self, id: &str, from: usize, until: Option<usize>) -> Option<usize> {
        let end = until.unwrap_or(self.lines.len() + 1).saturating_sub(1);
        let start = from.saturating_sub(1);
        ["id", "name"].iter().find_map(|key| {
            (start..end.min(self.lines.len())).find_map(|i| {
                let line = self.lines[i];
                let col = key_column(line, key)?;
                let rest = line[col - 1 + key.len()..].trim_start().strip_prefix(':')?;
                let value = rest
                    .trim_start()
                    .split([',', '}', '#'])
                    .next()?
                    .trim()
                    .trim_matches(|c| c == '"' || c == '\'');
                (value == id).then_some(i + 1)
            })
        })
    }

    /// 1-based line of `key:` in the block starting at `from`, before `until` (exclusive).
    pub fn key_line(&self, key: &str, from: usize, until: Option<usize>) -> Option<usize> {
        let end = until.unwrap_or(self.lines.len() + 1).saturating_sub(1);
        let start = from.saturating_sub(1);
        (start..end.min(self.lines.len())).find_map(|i| {
            let t = self.lines[i]
                .trim_start()
                .trim_start_matches("- ")
                .trim_start();
            t.strip_prefix(key)
                .is_some_and(|r| r.trim_start().starts_with(':'))
                .then_some(i + 1)
        })
    }
}
