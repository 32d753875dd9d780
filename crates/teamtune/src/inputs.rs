//! Run inputs: `--input key=value` pairs (the value is JSON when it parses as JSON, else a
//! string) and `--inputs-file` (a JSON or YAML map).

use std::path::Path;

use indexmap::IndexMap;
use serde_json::Value as Json;

use crate::error::Error;

pub fn parse_input_pair(pair: &str) -> Result<(String, Json), Error> {
    let (k, v) = pair.split_once('=').ok_or_else(|| Error::InputPair {
        pair: pair.to_string(),
        problem: "expected KEY=VALUE",
    })?;
    let k = k.trim();
    if k.is_empty() {
        return Err(Error::InputPair {
            pair: pair.to_string(),
            problem: "the key is empty",
        });
    }
    let value = serde_json::from_str(v).unwrap_or_else(|_| Json::String(v.to_string()));
    Ok((k.to_string(), value))
}

pub fn read_inputs_file(path: &Path) -> Result<IndexMap<String, Json>, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::Input {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    // Errors read `path:line:col: message`; the parsers' own " at line N column M" suffix
    // is dropped so the location is said once.
    let located = |line: usize, column: usize, text: String| {
        let message = match text.rfind(" at line ") {
            Some(i) => text[..i].to_string(),
            None => text,
        };
        Error::Located {
            path: path.to_path_buf(),
            line,
            column,
            message: format!("expected a map of input names to values: {message}"),
        }
    };
    if path.extension().is_some_and(|e| e == "json") {
        serde_json::from_str(&text).map_err(|e| located(e.line(), e.column(), e.to_string()))
    } else {
        yaml_serde::from_str(&text).map_err(|e| match e.location() {
            Some(l) => located(l.line(), l.column(), e.to_string()),
            None => Error::Input {
                path: path.to_path_buf(),
                message: format!("expected a map of input names to values: {e}"),
            },
        })
    }
}
