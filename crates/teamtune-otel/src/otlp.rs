//! The OTLP JSON shape of traces, as the OpenTelemetry Collector's file exporter writes it:
//! an `ExportTraceServiceRequest` of `resourceSpans` > `scopeSpans` > `spans`, ids in hex,
//! 64-bit integers as strings or numbers. Fields whose form varies are read as JSON values
//! here and checked in `span.rs`, so a malformed one is reported with its span id.

use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TraceRequest {
    pub resource_spans: Vec<ResourceSpans>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ResourceSpans {
    #[serde(default)]
    pub resource: Option<Resource>,
    /// `instrumentationLibrarySpans` is the name before OTLP 0.15.
    #[serde(default, alias = "instrumentationLibrarySpans")]
    pub scope_spans: Vec<ScopeSpans>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Resource {
    #[serde(default)]
    pub attributes: Vec<KeyValue>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ScopeSpans {
    #[serde(default)]
    pub spans: Vec<RawSpan>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawSpan {
    #[serde(default)]
    pub trace_id: Value,
    #[serde(default)]
    pub span_id: Value,
    #[serde(default)]
    pub parent_span_id: Value,
    #[serde(default)]
    pub name: Value,
    #[serde(default)]
    pub start_time_unix_nano: Value,
    #[serde(default)]
    pub end_time_unix_nano: Value,
    #[serde(default)]
    pub attributes: Vec<KeyValue>,
    #[serde(default)]
    pub status: Option<Status>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct KeyValue {
    pub key: String,
    #[serde(default)]
    pub value: Value,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Status {
    /// 2 (or `STATUS_CODE_ERROR`) is an error.
    #[serde(default)]
    pub code: Value,
    #[serde(default)]
    pub message: Option<String>,
}

/// An attribute's value (`AnyValue`), as far as GenAI attributes need one.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum AttrValue {
    Text(String),
    Int(i64),
    Double(f64),
    Bool(bool),
    /// Arrays, key-value lists and bytes: kept, never read.
    Other,
}

impl AttrValue {
    /// Reads an `AnyValue` object; `None` when it is not one.
    pub fn from_any_value(v: &Value) -> Option<AttrValue> {
        let obj = v.as_object()?;
        if obj.is_empty() {
            return Some(AttrValue::Other);
        }
        if let Some(s) = obj.get("stringValue") {
            return s.as_str().map(|s| AttrValue::Text(s.to_string()));
        }
        if let Some(i) = obj.get("intValue") {
            return match i {
                Value::String(s) => s.parse().ok().map(AttrValue::Int),
                Value::Number(n) => n.as_i64().map(AttrValue::Int),
                _ => None,
            };
        }
        if let Some(d) = obj.get("doubleValue") {
            return match d {
                Value::String(s) => s.parse().ok().map(AttrValue::Double),
                Value::Number(n) => n.as_f64().map(AttrValue::Double),
                _ => None,
            };
        }
        if let Some(b) = obj.get("boolValue") {
            return b.as_bool().map(AttrValue::Bool);
        }
        if obj.contains_key("arrayValue")
            || obj.contains_key("kvlistValue")
            || obj.contains_key("bytesValue")
        {
            return Some(AttrValue::Other);
        }
        None
    }
}
