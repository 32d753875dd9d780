//! Run inputs: `--input key=value` (the value is the string as typed: `1.10` stays "1.10"),
//! `--input-json key=JSON` (a typed value: number, boolean, list, map), and `--inputs-file`
//! (a JSON or YAML map whose values keep their JSON/YAML types).

use std::path::Path;

use indexmap::IndexMap;
use serde_json::Value as Json;
use teamtune_model::{check_nesting, shorten_quoted};

use crate::error::Error;

/// `--input KEY=VALUE`: VALUE is a string, exactly as typed.
pub fn parse_input_pair(pair: &str) -> Result<(String, Json), Error> {
    let (k, v) = split_pair("--input", pair, "expected KEY=VALUE")?;
    Ok((k, Json::String(v.to_string())))
}

/// `--input-json KEY=JSON`: VALUE is parsed as JSON (`3`, `true`, `[1, 2]`, `"text"`).
pub fn parse_input_json(pair: &str) -> Result<(String, Json), Error> {
    let (k, v) = split_pair("--input-json", pair, "expected KEY=JSON")?;
    let bad = |problem: String| Error::InputPair {
        flag: "--input-json",
        pair: shorten(pair),
        problem,
    };
    check_nesting(v).map_err(|p| bad(p.message))?;
    let value = serde_json::from_str(v)
        .map_err(|e| bad(format!("the value is not JSON ({e}); use --input for text")))?;
    Ok((k, value))
}

fn split_pair<'a>(
    flag: &'static str,
    pair: &'a str,
    expected: &str,
) -> Result<(String, &'a str), Error> {
    let bad = |problem: &str| Error::InputPair {
        flag,
        pair: shorten(pair),
        problem: problem.to_string(),
    };
    let (k, v) = pair.split_once('=').ok_or_else(|| bad(expected))?;
    let k = k.trim();
    if k.is_empty() {
        return Err(bad("the key is empty"));
    }
    Ok((k.to_string(), v))
}

/// `pair` for an error message: a long one is cut to a prefix and its size.
fn shorten(pair: &str) -> String {
    let quoted = shorten_quoted(&format!("`{pair}`"));
    quoted[1..quoted.len() - 1].to_string()
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
            message: shorten_quoted(&format!(
                "expected a map of input names to values: {message}"
            )),
        }
    };
    // Deep nesting is refused before a parser spends quadratic time on it.
    if let Err(p) = check_nesting(&text) {
        return Err(located(
            p.line.unwrap_or(1),
            p.column.unwrap_or(1),
            p.message,
        ));
    }
    if path.extension().is_some_and(|e| e == "json") {
        serde_json::from_str(&text).map_err(|e| located(e.line(), e.column(), e.to_string()))
    } else {
        yaml_serde::from_str(&text).map_err(|e| match e.location() {
            Some(l) => located(l.line(), l.column(), e.to_string()),
            None => Error::Input {
                path: path.to_path_buf(),
                message: shorten_quoted(&format!("expected a map of input names to values: {e}")),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_values_are_strings_as_typed_and_input_json_is_typed() {
        assert_eq!(
            parse_input_pair("version=1.10").unwrap(),
            ("version".to_string(), Json::String("1.10".into()))
        );
        assert_eq!(
            parse_input_pair("flag=true").unwrap().1,
            Json::String("true".into())
        );
        assert_eq!(
            parse_input_json("n=1.10").unwrap().1,
            serde_json::json!(1.1)
        );
        assert_eq!(
            parse_input_json("xs=[1, \"a\"]").unwrap().1,
            serde_json::json!([1, "a"])
        );
        let e = parse_input_json("v=1.10.2").unwrap_err().to_string();
        assert!(
            e.starts_with("--input-json `v=1.10.2`: the value is not JSON"),
            "{e}"
        );
        let long = format!("k={}", "x".repeat(100_000));
        assert!(parse_input_pair("novalue").is_err());
        let e = parse_input_json(&long).unwrap_err().to_string();
        assert!(e.len() < 300 && e.contains("(100002 bytes)"), "{e}");
    }
}
