//! Secrets out of text that teamtune shows: a [`Redactor`] knows the secret values of one
//! place (an LLM endpoint's API key and URL credentials, a database URL's password) and
//! replaces each of them, wherever it appears, with [`REDACTED`]. Every text that may quote a
//! secret (an error a server sent back, a driver's message) goes through it before it is
//! shown, stored or put in an error.
//!
//! A very short secret makes redaction replace ordinary text too (a key `k` takes the `k`
//! out of every word); that is the price of never showing it.
//!
//! Matching is by value, case-sensitive, longest secret first, so a secret that contains
//! another is never left half shown.

use serde_json::Value as Json;

/// What a secret is replaced with.
pub const REDACTED: &str = "[redacted]";

/// The secret values of one place, and the redaction of text that may quote them.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    /// Longest first; no empty string.
    values: Vec<String>,
}

impl Redactor {
    /// A redactor of `values` (empty strings are ignored).
    pub fn new(values: impl IntoIterator<Item = String>) -> Redactor {
        let mut values: Vec<String> = values.into_iter().filter(|v| !v.is_empty()).collect();
        values.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        values.dedup();
        Redactor { values }
    }

    /// Whether there is nothing to redact.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// `text` with every secret replaced by [`REDACTED`].
    pub fn redact(&self, text: &str) -> String {
        if self.values.is_empty() {
            return text.to_string();
        }
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(c) = rest.chars().next() {
            match self.values.iter().find(|v| rest.starts_with(v.as_str())) {
                Some(v) => {
                    out.push_str(REDACTED);
                    rest = &rest[v.len()..];
                }
                None => {
                    out.push(c);
                    rest = &rest[c.len_utf8()..];
                }
            }
        }
        out
    }

    /// At most `max_chars` characters of `text`, redacted before it is cut (a cut secret
    /// would no longer match).
    pub fn excerpt(&self, text: &str, max_chars: usize) -> String {
        self.redact(text).chars().take(max_chars).collect()
    }

    /// `value` with every string in it (object keys too) redacted.
    pub fn redact_json(&self, value: Json) -> Json {
        if self.values.is_empty() {
            return value;
        }
        match value {
            Json::String(s) => Json::String(self.redact(&s)),
            Json::Array(items) => {
                Json::Array(items.into_iter().map(|v| self.redact_json(v)).collect())
            }
            Json::Object(map) => Json::Object(
                map.into_iter()
                    .map(|(k, v)| (self.redact(&k), self.redact_json(v)))
                    .collect(),
            ),
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_occurrence_is_redacted() {
        let r = Redactor::new(["sk-canary".to_string()]);
        assert_eq!(
            r.redact("authorization: Bearer sk-canary\nagain:sk-canarysk-canary"),
            "authorization: Bearer [redacted]\nagain:[redacted][redacted]"
        );
        assert_eq!(r.redact("no secret here"), "no secret here");
    }

    #[test]
    fn the_longest_secret_wins_so_none_is_left_half_shown() {
        let r = Redactor::new(["abc".into(), "abcdef".into(), String::new()]);
        assert_eq!(r.redact("xabcdefx abcx"), "x[redacted]x [redacted]x");
    }

    #[test]
    fn an_excerpt_is_redacted_before_it_is_cut() {
        let r = Redactor::new(["0123456789".to_string()]);
        // Cutting first would leave "01234" at the end.
        assert_eq!(r.excerpt("abcde0123456789", 10), "abcde[reda");
    }

    #[test]
    fn json_strings_and_keys_are_redacted() {
        let r = Redactor::new(["sk".to_string()]);
        let v = serde_json::json!({"a sk": ["x sk", 1, {"k": "sk"}], "n": null});
        assert_eq!(
            r.redact_json(v),
            serde_json::json!({"a [redacted]": ["x [redacted]", 1, {"k": "[redacted]"}], "n": null})
        );
    }

    #[test]
    fn no_secrets_leave_text_alone() {
        let r = Redactor::new(Vec::new());
        assert!(r.is_empty());
        assert_eq!(r.redact("a ü text"), "a ü text");
        assert_eq!(
            r.redact_json(serde_json::json!("x")),
            serde_json::json!("x")
        );
    }
}
