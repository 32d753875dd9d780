//! Finds the line of a node or key in the source text, so semantic errors (found after
//! deserialization, when spans are gone) still point at `path:line`.

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
