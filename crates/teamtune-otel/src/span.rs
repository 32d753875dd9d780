//! Checked spans: an OTLP file's text becomes [`Span`]s with hex ids, nanosecond times, the
//! GenAI attributes read once, and the file and line they came from. Every way a span can be
//! malformed is an [`OtelError::Span`] naming the file, the line and the span id.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use serde_json::Value;

use crate::error::OtelError;
use crate::otlp::{AttrValue, KeyValue, RawSpan, TraceRequest};

/// What a span is, by `gen_ai.operation.name`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// `invoke_agent` (and `create_agent`, which some frameworks wrap a run in).
    Agent,
    /// `execute_tool`.
    Tool,
    /// `chat`, `text_completion`, `generate_content`: a model call.
    Model,
    /// Any other span (a framework's own, or a plain span named with `--team-span`).
    Other,
}

/// One span, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    pub trace_id: String,
    pub span_id: String,
    pub parent_span_id: Option<String>,
    pub name: String,
    pub start_ns: u64,
    pub end_ns: u64,
    pub operation: Operation,
    /// `gen_ai.agent.id`, else `gen_ai.agent.name`.
    pub agent_id: Option<String>,
    pub agent_name: Option<String>,
    pub tool_name: Option<String>,
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
    /// `error.type`, or the status message of a span whose status is an error.
    pub error: Option<String>,
    /// `service.name` of the span's resource.
    pub service: Option<String>,
    /// The file the span was read from.
    pub file: Arc<Path>,
    /// The line of the file the span's request starts on (1-based).
    pub line: usize,
}

impl Span {
    pub fn seconds(&self) -> f64 {
        (self.end_ns - self.start_ns) as f64 / 1e9
    }
}

/// Every span of an OTLP JSON text: JSON lines of `ExportTraceServiceRequest`s (the file
/// exporter's format) or one JSON document, pretty-printed or not. `path` is for messages.
pub fn parse_text(path: &Path, text: &str) -> Result<Vec<Span>, OtelError> {
    let mut spans = Vec::new();
    let file: Arc<Path> = Arc::from(path);
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    loop {
        let start = stream.byte_offset();
        let value = match stream.next() {
            None => break,
            Some(Ok(v)) => v,
            Some(Err(e)) => {
                return Err(OtelError::Json {
                    path: path.to_path_buf(),
                    line: e.line(),
                    column: e.column(),
                    message: e.to_string(),
                });
            }
        };
        let line = line_of(text, start);
        let request: TraceRequest = serde_json::from_value(value).map_err(|e| OtelError::Json {
            path: path.to_path_buf(),
            line,
            column: 1,
            message: e.to_string(),
        })?;
        for resource in request.resource_spans {
            let service = resource.resource.as_ref().and_then(|r| {
                r.attributes
                    .iter()
                    .find(|kv| kv.key == "service.name")
                    .and_then(|kv| match AttrValue::from_any_value(&kv.value) {
                        Some(AttrValue::Text(s)) => Some(s),
                        _ => None,
                    })
            });
            for scope in resource.scope_spans {
                for raw in scope.spans {
                    spans.push(check(&file, line, raw, service.clone())?);
                }
            }
        }
    }
    Ok(spans)
}

/// The 1-based line of byte `offset`, skipping the whitespace before the value there.
fn line_of(text: &str, offset: usize) -> usize {
    let head = text.get(..offset).unwrap_or(text);
    let rest = text.get(offset..).unwrap_or("");
    let leading = &rest[..rest.len() - rest.trim_start().len()];
    1 + head.matches('\n').count() + leading.matches('\n').count()
}

fn check(
    file: &Arc<Path>,
    line: usize,
    raw: RawSpan,
    service: Option<String>,
) -> Result<Span, OtelError> {
    let shown_id = match &raw.span_id {
        Value::String(s) if !s.is_empty() => s.clone(),
        Value::Null => "(no spanId)".to_string(),
        other => other.to_string(),
    };
    let bad = |problem: String| OtelError::Span {
        path: file.to_path_buf(),
        line,
        span_id: shown_id.clone(),
        problem,
    };
    let trace_id = hex_id(&raw.trace_id, 32).map_err(|p| bad(format!("traceId {p}")))?;
    let span_id = hex_id(&raw.span_id, 16).map_err(|p| bad(format!("spanId {p}")))?;
    let parent_span_id = match &raw.parent_span_id {
        Value::Null => None,
        Value::String(s) if s.is_empty() => None,
        v => Some(hex_id(v, 16).map_err(|p| bad(format!("parentSpanId {p}")))?),
    };
    let name = match &raw.name {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        _ => return Err(bad("name is not a string".into())),
    };
    let start_ns =
        nanos(&raw.start_time_unix_nano).map_err(|p| bad(format!("startTimeUnixNano {p}")))?;
    let end_ns = nanos(&raw.end_time_unix_nano).map_err(|p| bad(format!("endTimeUnixNano {p}")))?;
    if end_ns < start_ns {
        return Err(bad(format!(
            "ends ({end_ns}) before it starts ({start_ns})"
        )));
    }
    let attrs = attributes(&raw.attributes).map_err(&bad)?;
    let text = |key: &str| -> Result<Option<String>, OtelError> {
        match attrs.get(key) {
            None => Ok(None),
            Some(AttrValue::Text(s)) => Ok(Some(s.clone())),
            Some(_) => Err(bad(format!("attribute {key} is not a string"))),
        }
    };
    let count = |key: &str| -> Result<Option<u64>, OtelError> {
        match attrs.get(key) {
            None => Ok(None),
            Some(AttrValue::Int(i)) if *i >= 0 => Ok(Some(*i as u64)),
            Some(AttrValue::Double(d)) if *d >= 0.0 && d.fract() == 0.0 && *d < 9e15 => {
                Ok(Some(*d as u64))
            }
            Some(_) => Err(bad(format!(
                "attribute {key} is not a whole number of at least 0"
            ))),
        }
    };
    let operation = match text("gen_ai.operation.name")?.as_deref() {
        Some("invoke_agent" | "create_agent") => Operation::Agent,
        Some("execute_tool") => Operation::Tool,
        Some("chat" | "text_completion" | "generate_content") => Operation::Model,
        _ => Operation::Other,
    };
    let status_error = match raw.status.as_ref().map(|s| &s.code) {
        None | Some(Value::Null) => false,
        Some(Value::Number(n)) => n.as_u64() == Some(2),
        Some(Value::String(s)) => s == "STATUS_CODE_ERROR",
        Some(other) => return Err(bad(format!("status code {other} is not a status code"))),
    };
    let error = match text("error.type")? {
        Some(e) => Some(e),
        None if status_error => Some(
            raw.status
                .and_then(|s| s.message)
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| "error".to_string()),
        ),
        None => None,
    };
    let agent_name = text("gen_ai.agent.name")?;
    Ok(Span {
        trace_id,
        span_id,
        parent_span_id,
        name,
        start_ns,
        end_ns,
        operation,
        agent_id: text("gen_ai.agent.id")?.or_else(|| agent_name.clone()),
        agent_name,
        tool_name: text("gen_ai.tool.name")?,
        input_tokens: count("gen_ai.usage.input_tokens")?.or(count("gen_ai.usage.prompt_tokens")?),
        output_tokens: count("gen_ai.usage.output_tokens")?
            .or(count("gen_ai.usage.completion_tokens")?),
        error,
        service,
        file: Arc::clone(file),
        line,
    })
}

fn attributes(list: &[KeyValue]) -> Result<HashMap<&str, AttrValue>, String> {
    let mut out = HashMap::with_capacity(list.len());
    for kv in list {
        let value = AttrValue::from_any_value(&kv.value)
            .ok_or_else(|| format!("attribute {} has no readable value", kv.key))?;
        out.insert(kv.key.as_str(), value);
    }
    Ok(out)
}

/// A lowercase hex id of `len` digits (OTLP JSON writes ids in hex, not base64).
fn hex_id(v: &Value, len: usize) -> Result<String, String> {
    let Value::String(s) = v else {
        return Err(if v.is_null() {
            "is missing".into()
        } else {
            format!("{v} is not a string")
        });
    };
    if s.len() != len || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!("`{s}` is not {len} hex digits"));
    }
    if s.bytes().all(|b| b == b'0') {
        return Err(format!("`{s}` is all zeros (an invalid id)"));
    }
    Ok(s.to_ascii_lowercase())
}

/// Nanoseconds since the epoch, written as a string or a number.
fn nanos(v: &Value) -> Result<u64, String> {
    match v {
        Value::String(s) => s
            .parse()
            .map_err(|_| format!("`{s}` is not a whole number of nanoseconds")),
        Value::Number(n) => n
            .as_u64()
            .ok_or_else(|| format!("{n} is not a whole number of nanoseconds")),
        Value::Null => Err("is missing".into()),
        other => Err(format!("{other} is not a number")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE: &str = r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc"}}]},"scopeSpans":[{"spans":[
      {"traceId":"0123456789abcdef0123456789abcdef","spanId":"0123456789abcdef","name":"invoke_agent a",
       "startTimeUnixNano":"1000000000","endTimeUnixNano":3000000000,
       "attributes":[{"key":"gen_ai.operation.name","value":{"stringValue":"invoke_agent"}},
                     {"key":"gen_ai.agent.name","value":{"stringValue":"a"}},
                     {"key":"gen_ai.usage.input_tokens","value":{"intValue":"12"}}],
       "status":{"code":2,"message":"boom"}}]}]}]}"#;

    #[test]
    fn reads_a_span_with_its_genai_attributes() {
        let spans = parse_text(Path::new("t.json"), ONE).unwrap();
        let s = &spans[0];
        assert_eq!(s.operation, Operation::Agent);
        assert_eq!(s.agent_id.as_deref(), Some("a"));
        assert_eq!(s.input_tokens, Some(12));
        assert_eq!(s.error.as_deref(), Some("boom"));
        assert_eq!(s.service.as_deref(), Some("svc"));
        assert!((s.seconds() - 2.0).abs() < 1e-12);
    }

    #[test]
    fn a_malformed_span_names_file_line_and_span_id() {
        let text = format!(
            "{}\n{}",
            ONE.replace('\n', ""),
            ONE.replace('\n', "").replace("\"12\"", "\"-3\"")
        );
        let err = parse_text(Path::new("t.json"), &text)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("t.json:2: span 0123456789abcdef: attribute gen_ai.usage.input_tokens"),
            "{err}"
        );
    }

    #[test]
    fn an_end_before_the_start_is_an_error() {
        let text = ONE.replace("3000000000", "10");
        let err = parse_text(Path::new("t.json"), &text)
            .unwrap_err()
            .to_string();
        assert!(err.contains("ends (10) before it starts"), "{err}");
    }

    #[test]
    fn lines_count_from_one_and_skip_leading_blank_lines() {
        assert_eq!(line_of("a\n\n  {", 1), 3);
        assert_eq!(line_of("{}", 0), 1);
    }
}
