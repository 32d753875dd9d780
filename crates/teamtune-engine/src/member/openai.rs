//! OpenAI-compatible members: the chat-completions protocol with tool calling. The member
//! loops until the model gives a final answer; every tool call runs the named workflow tool
//! (a command, no shell) and counts against the member's and the team's budgets. 429, 5xx
//! and connection errors are retried with exponential backoff (honouring `Retry-After`).
//! The API key comes from the environment variable the provider names and is never logged
//! or put in an error.

use std::time::Duration;

use serde_json::{Value as Json, json};
use teamtune_model::{OpenAiProvider, ToolDef};

use teamtune_model::StopCause;

use super::{TurnInput, TurnOutcome, process};
use crate::expr;

const DEFAULT_RETRIES: u32 = 3;
const DEFAULT_REQUEST_TIMEOUT_S: f64 = 120.0;
const DEFAULT_TOOL_TIMEOUT_S: f64 = 60.0;
/// Rounds of tool calls allowed when no budget bounds the loop.
const MAX_ROUNDS_UNBUDGETED: u32 = 50;
const TOOL_OUTPUT_LIMIT: usize = 16 * 1024;

pub(crate) async fn turn(cfg: &OpenAiProvider, input: &TurnInput<'_>) -> TurnOutcome {
    match converse(cfg, input).await {
        Ok(o) => o,
        Err((reason, calls)) => TurnOutcome::failed(StopCause::Error, reason, calls),
    }
}

async fn converse(
    cfg: &OpenAiProvider,
    input: &TurnInput<'_>,
) -> Result<TurnOutcome, (String, u64)> {
    let m = input.member;
    let api_key = match &cfg.api_key_env {
        Some(var) => Some(std::env::var(var).map_err(|_| {
            (
                format!("environment variable {var} (the API key) is not set"),
                0,
            )
        })?),
        None => None,
    };
    let mut tools = Vec::new();
    let mut defs: Vec<(&str, &ToolDef)> = Vec::new();
    for name in &m.tools {
        let Some(def) = input.workflow.tools.get(name) else {
            return Err((
                format!("tool `{name}` is not defined in the workflow's `tools:`"),
                0,
            ));
        };
        defs.push((name.as_str(), def));
        tools.push(json!({
            "type": "function",
            "function": {
                "name": name,
                "description": def.description.clone().unwrap_or_default(),
                "parameters": def.parameters.clone().unwrap_or_else(|| json!({"type": "object", "properties": {}})),
            }
        }));
    }
    let mut system = format!("You are a {} on a team. Your goal: {}", m.role, input.goal);
    if let Some(b) = &m.backstory {
        system.push_str("\nBackground: ");
        system.push_str(b);
    }
    let mut user = input.goal.clone();
    if !input.previous_output.is_null() {
        user.push_str("\n\nPrevious output:\n");
        user.push_str(&input.previous_output.to_string());
    }
    let mut messages = vec![
        json!({"role": "system", "content": system}),
        json!({"role": "user", "content": user}),
    ];
    let url = format!("{}/chat/completions", cfg.base_url.trim_end_matches('/'));
    let mut calls: u64 = 0;
    let mut used: Vec<String> = Vec::new();
    let mut latencies: Vec<f64> = Vec::new();
    let (mut tokens_in, mut tokens_out) = (None::<u64>, None::<u64>);
    let mut rounds = 0;
    loop {
        rounds += 1;
        if input.member_left.is_none()
            && input.pool.left().is_none()
            && rounds > MAX_ROUNDS_UNBUDGETED
        {
            return Err((
                format!("no final answer after {MAX_ROUNDS_UNBUDGETED} rounds of tool calls"),
                calls,
            ));
        }
        let mut body = json!({"model": cfg.model, "messages": messages});
        if !tools.is_empty() {
            body["tools"] = Json::Array(tools.clone());
        }
        if let Some(t) = cfg.temperature {
            body["temperature"] = json!(t);
        }
        if let Some(mt) = cfg.max_tokens {
            body["max_tokens"] = json!(mt);
        }
        let reply = post(input.http.get(), &url, api_key.as_deref(), &body, cfg)
            .await
            .map_err(|e| (e, calls))?;
        let usage = |key: &str| {
            reply
                .pointer(&format!("/usage/{key}"))
                .and_then(Json::as_u64)
        };
        if let Some(n) = usage("prompt_tokens") {
            tokens_in = Some(tokens_in.unwrap_or(0).saturating_add(n));
        }
        if let Some(n) = usage("completion_tokens") {
            tokens_out = Some(tokens_out.unwrap_or(0).saturating_add(n));
        }
        let message = reply
            .pointer("/choices/0/message")
            .cloned()
            .ok_or_else(|| {
                (
                    format!(
                        "malformed reply from {}: no choices[0].message",
                        cfg.base_url
                    ),
                    calls,
                )
            })?;
        let tool_calls = message
            .get("tool_calls")
            .and_then(Json::as_array)
            .cloned()
            .unwrap_or_default();
        if tool_calls.is_empty() {
            let content = message.get("content").cloned().unwrap_or(Json::Null);
            let output = match content {
                Json::String(s) => Json::String(s),
                Json::Null => {
                    return Err((
                        "malformed reply: a message with neither content nor tool_calls"
                            .to_string(),
                        calls,
                    ));
                }
                other => other,
            };
            used.sort();
            used.dedup();
            return Ok(TurnOutcome {
                tool_call_seconds: latencies,
                tokens_in,
                tokens_out,
                ..TurnOutcome::done(output, calls, used)
            });
        }
        messages.push(message.clone());
        for call in tool_calls {
            let id = call
                .get("id")
                .and_then(Json::as_str)
                .unwrap_or("")
                .to_string();
            let name = call
                .pointer("/function/name")
                .and_then(Json::as_str)
                .ok_or_else(|| {
                    (
                        "malformed reply: a tool call without function.name".to_string(),
                        calls,
                    )
                })?;
            let args_text = call
                .pointer("/function/arguments")
                .and_then(Json::as_str)
                .unwrap_or("{}");
            if input.member_left.is_some_and(|left| calls >= left) || input.pool.take(1) == 0 {
                return Ok(TurnOutcome {
                    tool_call_seconds: latencies,
                    tokens_in,
                    tokens_out,
                    ..TurnOutcome::stopped(StopCause::BudgetExhausted, calls)
                });
            }
            calls += 1;
            used.push(name.to_string());
            let started = tokio::time::Instant::now();
            let result = match defs.iter().find(|(n, _)| *n == name) {
                None => format!("error: unknown tool `{name}`"),
                Some((_, def)) => run_tool(def, args_text).await,
            };
            latencies.push(started.elapsed().as_secs_f64());
            messages.push(json!({"role": "tool", "tool_call_id": id, "content": result}));
        }
    }
}

async fn post(
    client: &reqwest::Client,
    url: &str,
    api_key: Option<&str>,
    body: &Json,
    cfg: &OpenAiProvider,
) -> Result<Json, String> {
    let retries = cfg.max_retries.unwrap_or(DEFAULT_RETRIES);
    let timeout =
        Duration::from_secs_f64(cfg.request_timeout_s.unwrap_or(DEFAULT_REQUEST_TIMEOUT_S));
    let mut attempt = 0;
    loop {
        let mut req = client.post(url).json(body).timeout(timeout);
        if let Some(k) = api_key {
            req = req.bearer_auth(k);
        }
        let (retry_after, reason) = match req.send().await {
            Ok(resp) => {
                let status = resp.status();
                if status.is_success() {
                    let text = resp
                        .text()
                        .await
                        .map_err(|e| format!("reading reply from {url}: {e}"))?;
                    return serde_json::from_str(&text)
                        .map_err(|e| format!("malformed reply from {url}: not JSON ({e})"));
                }
                let retry_after = resp
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<f64>().ok());
                let text = resp.text().await.unwrap_or_default();
                let excerpt: String = text.chars().take(200).collect();
                let reason = format!("{url} answered HTTP {}: {excerpt}", status.as_u16());
                if !(status.as_u16() == 429 || status.is_server_error()) {
                    return Err(reason);
                }
                (retry_after, reason)
            }
            Err(e) => (
                None,
                format!("request to {url} failed: {}", without_url_secrets(&e)),
            ),
        };
        if attempt >= retries {
            return Err(format!("{reason} (after {} attempts)", attempt + 1));
        }
        let backoff = retry_after
            .unwrap_or(0.5 * f64::from(1u32 << attempt.min(10)))
            .min(60.0);
        tokio::time::sleep(Duration::from_secs_f64(backoff)).await;
        attempt += 1;
    }
}

fn without_url_secrets(e: &reqwest::Error) -> String {
    let mut s = e.to_string();
    if let Some(u) = e.url() {
        s = s.replace(
            u.as_str(),
            &format!("{}://{}", u.scheme(), u.host_str().unwrap_or("")),
        );
    }
    s
}

/// Runs a workflow tool: argv templates rendered with the call's arguments, the arguments
/// also on stdin as JSON. The result (or the error) goes back to the model as text.
async fn run_tool(def: &ToolDef, args_text: &str) -> String {
    let args: Json = match serde_json::from_str(args_text) {
        Ok(a) => a,
        Err(e) => return format!("error: the arguments are not JSON: {e}"),
    };
    let argv: Result<Vec<String>, String> = def
        .command
        .iter()
        .map(|a| expr::render_with(a, &args))
        .collect();
    let argv = match argv {
        Ok(a) => a,
        Err(e) => return format!("error: {e}"),
    };
    let limit = Duration::from_secs_f64(def.timeout_seconds.unwrap_or(DEFAULT_TOOL_TIMEOUT_S));
    match tokio::time::timeout(limit, process::run(&argv, args.to_string().as_bytes())).await {
        Err(_) => "error: the tool timed out".to_string(),
        Ok(Err(e)) => format!("error: {e}"),
        Ok(Ok(out)) if !out.success => format!(
            "error (exit code {:?}): {}",
            out.code,
            process::tail(&out.stderr)
        ),
        Ok(Ok(out)) => {
            let mut s = String::from_utf8_lossy(&out.stdout).into_owned();
            if s.len() > TOOL_OUTPUT_LIMIT {
                let mut cut = TOOL_OUTPUT_LIMIT;
                while !s.is_char_boundary(cut) {
                    cut -= 1;
                }
                s.truncate(cut);
                s.push_str("\n[output truncated]");
            }
            s
        }
    }
}
