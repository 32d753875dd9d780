//! Suggestion files: the report `teamtune suggest --output` writes (or a bare list of
//! suggestions, or one), read back by `apply --suggestion`. The report records the team and
//! the configuration (and its hash) the suggestions were made for, so `apply` can tell a
//! suggestion for another team, or for an older version of the file, from one that fits.
//! Every error names the file and the record or field at fault.

use std::path::{Path, PathBuf};

use serde_json::Value;
use teamtune_analysis::Suggestion;
use teamtune_model::TeamConfig;

use crate::error::Error;

/// A suggestion file as read.
#[derive(Debug, Clone, PartialEq)]
pub struct SuggestionFile {
    pub path: PathBuf,
    /// The team the suggestions were made for (`None` for a bare list).
    pub team_id: Option<String>,
    /// The team's configuration hash when they were made (`None` for a bare list, or a
    /// report from a teamtune that did not record it).
    pub config_hash: Option<String>,
    /// The team's configuration when they were made.
    pub current_config: Option<TeamConfig>,
    pub suggestions: Vec<Suggestion>,
}

impl SuggestionFile {
    /// Reads and parses the file at `path`.
    pub fn read(path: &Path) -> Result<SuggestionFile, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::Input {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        SuggestionFile::parse(path, &text)
    }

    /// Parses `text`; `path` names the file in errors.
    pub fn parse(path: &Path, text: &str) -> Result<SuggestionFile, Error> {
        let v: Value = serde_json::from_str(text).map_err(|e| Error::Located {
            path: path.to_path_buf(),
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })?;
        let bad = |field: &str, message: String| Error::SuggestionFile {
            path: path.to_path_buf(),
            field: field.to_string(),
            message,
        };
        let mut file = SuggestionFile {
            path: path.to_path_buf(),
            team_id: None,
            config_hash: None,
            current_config: None,
            suggestions: Vec::new(),
        };
        let list = match v {
            Value::Object(mut report) if report.contains_key("suggestions") => {
                file.team_id =
                    optional_string(&mut report, "team_id").map_err(|m| bad("team_id", m))?;
                file.config_hash = optional_string(&mut report, "config_hash")
                    .map_err(|m| bad("config_hash", m))?;
                file.current_config = match report.remove("current_config") {
                    None | Some(Value::Null) => None,
                    Some(c) => Some(
                        serde_json::from_value(c)
                            .map_err(|e| bad("current_config", e.to_string()))?,
                    ),
                };
                match report.remove("suggestions") {
                    Some(Value::Array(items)) => items,
                    _ => {
                        return Err(bad("suggestions", "must be a list of suggestions".into()));
                    }
                }
            }
            Value::Array(items) => items,
            one @ Value::Object(_) => vec![one],
            _ => {
                return Err(bad(
                    "(top level)",
                    "not a suggestion report from `teamtune suggest --output`: expected an object or a list".into(),
                ));
            }
        };
        for (i, item) in list.into_iter().enumerate() {
            let s: Suggestion = serde_json::from_value(item)
                .map_err(|e| bad(&format!("suggestions[{i}]"), e.to_string()))?;
            file.suggestions.push(s);
        }
        Ok(file)
    }

    /// Only the suggestion with this id.
    pub fn pick(mut self, id: &str) -> Result<SuggestionFile, Error> {
        if !self.suggestions.iter().any(|s| s.id == id) {
            let ids: Vec<&str> = self.suggestions.iter().map(|s| s.id.as_str()).collect();
            return Err(Error::SuggestionFile {
                path: self.path.clone(),
                field: "suggestions".into(),
                message: format!("no suggestion `{id}` (ids: {})", ids.join(", ")),
            });
        }
        self.suggestions.retain(|s| s.id == id);
        Ok(self)
    }
}

fn optional_string(
    report: &mut serde_json::Map<String, Value>,
    key: &str,
) -> Result<Option<String>, String> {
    match report.remove(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(format!("must be a string, not {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_file_and_the_record() {
        let p = Path::new("s.json");
        let err = SuggestionFile::parse(p, r#"{"suggestions": [{"id": 1}]}"#).unwrap_err();
        assert!(
            err.to_string().starts_with("s.json: suggestions[0]: "),
            "{err}"
        );
        let err = SuggestionFile::parse(p, r#"{"team_id": 3, "suggestions": []}"#).unwrap_err();
        assert!(err.to_string().starts_with("s.json: team_id: "), "{err}");
        let err = SuggestionFile::parse(p, "[1,").unwrap_err();
        assert!(err.to_string().starts_with("s.json:1:"), "{err}");
        let err = SuggestionFile::parse(p, "7").unwrap_err();
        assert!(err.to_string().starts_with("s.json: "), "{err}");
        let empty = SuggestionFile::parse(p, "[]").unwrap();
        assert!(empty.suggestions.is_empty() && empty.team_id.is_none());
    }
}
