//! OpenAI-compatible members: the chat-completions protocol with tool calling. The member
//! loops until the model gives a final answer; every tool call runs the named workflow tool
//! (a command, no shell) and counts against the member's and the team's budgets.
//!
//! An endpoint is not trusted. Each attempt is bounded by a connect timeout and a request
//! timeout; 429, 5xx and connection failures are retried with exponential backoff, honouring
//! a `Retry-After` that is delta-seconds or an HTTP-date (anything else is ignored) up to
//! [`MAX_RETRY_WAIT`], and a request with its retries ends within the request timeout plus
//! [`RETRY_WINDOW`]. A reply that does not come within the request timeout is not retried:
//! sending the request again would double the wait (and maybe the bill). Each retry is
//! announced as an [`Event::MemberRetrying`]; a failure names its cause (connection refused,
//! timed out connecting, timed out waiting for the reply, DNS, TLS, the HTTP status).
//!
//! The API key comes from the environment variable the provider names. Everything the member
//! hands out (its error, its output, its retry notices) goes through the endpoint's
//! [`Secrets`], so neither the key nor the credentials in `base_url` are ever shown, even
//! when the endpoint echoes them.

use std::time::Duration;

use reqwest::Url;
use serde_json::{Value as Json, json};
use teamtune_model::{OpenAiProvider, StopCause, ToolDef};
use tokio::time::Instant;

use super::redact::Secrets;
use super::{TurnInput, TurnOutcome, process};
use crate::event::Event;
use crate::expr;

const DEFAULT_RETRIES: u32 = 3;
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(120);
const DEFAULT_TOOL_TIMEOUT: Duration = Duration::from_secs(60);
/// A configured timeout above this (a day) is taken as this: it means "never" either way, and
/// deadlines computed from it stay far from the clock's limits.
const MAX_CONFIGURED_TIMEOUT: Duration = Duration::from_secs(86_400);
/// The first wait between attempts; it doubles with each retry.
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
/// The longest wait between two attempts; a longer `Retry-After` is cut to it.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(30);
/// How long retries may go on beyond one request timeout: a request with its retries ends
/// within `request_timeout_s` + this.
const RETRY_WINDOW: Duration = Duration::from_secs(60);
/// No retry is made with less time than this left for it.
const MIN_ATTEMPT_TIME: Duration = Duration::from_secs(1);
/// Characters of an error reply quoted in the member's error.
const ERROR_EXCERPT_CHARS: usize = 200;
/// A reply body larger than this is refused rather than held in memory.
const MAX_REPLY_BYTES: usize = 16 << 20;
/// Rounds of tool calls allowed when no budget bounds the loop.
const MAX_ROUNDS_UNBUDGETED: u32 = 50;
const TOOL_OUTPUT_LIMIT: usize = 16 * 1024;

pub(crate) async fn turn(cfg: &OpenAiProvider, input: &TurnInput<'_>) -> TurnOutcome {
    let endpoint = match Endpoint::new(cfg) {
        Ok(e) => e,
        Err(reason) => return TurnOutcome::failed(StopCause::Error, reason, 0),
    };
    let mut outcome = match converse(cfg, &endpoint, input).await {
        Ok(o) => o,
        Err((failure, calls)) => TurnOutcome::failed(failure.cause, failure.message, calls),
    };
    // The one way out of the member: whatever the endpoint echoed, no secret passes.
    outcome.error = outcome.error.map(|e| endpoint.secrets.redact(&e));
    outcome.output = endpoint
        .secrets
        .redact_json(std::mem::take(&mut outcome.output));
    outcome
}

/// Why a request or a turn failed.
#[derive(Debug)]
struct Failure {
    cause: StopCause,
    message: String,
}

impl From<String> for Failure {
    fn from(message: String) -> Self {
        Failure {
            cause: StopCause::Error,
            message,
        }
    }
}

/// Where a member's requests go, how they are retried, and what must not be shown.
struct Endpoint {
    /// `base_url` with `/chat/completions` appended to its path.
    url: Url,
    /// `url` fit for a message.
    shown: String,
    /// `host:port`, for messages about the connection.
    host: String,
    api_key: Option<String>,
    secrets: Secrets,
    policy: RetryPolicy,
}

impl Endpoint {
    fn new(cfg: &OpenAiProvider) -> Result<Endpoint, String> {
        let api_key = match &cfg.api_key_env {
            Some(var) => Some(
                std::env::var(var)
                    .map_err(|_| format!("environment variable {var} (the API key) is not set"))?,
            ),
            None => None,
        };
        // The parse error never quotes the URL, which may hold credentials.
        let base = Url::parse(cfg.base_url.trim())
            .map_err(|e| format!("the provider's base_url is not a URL: {e}"))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(format!(
                "the provider's base_url must be http or https, not `{}`",
                base.scheme()
            ));
        }
        let mut url = base.clone();
        url.path_segments_mut()
            .map_err(|()| "the provider's base_url cannot take a path".to_string())?
            .pop_if_empty()
            .extend(["chat", "completions"]);
        let secrets = Secrets::for_endpoint(&base, api_key.as_deref());
        let host = format!(
            "{}:{}",
            url.host_str().unwrap_or(""),
            url.port_or_known_default().unwrap_or(0)
        );
        Ok(Endpoint {
            shown: Secrets::url(&url),
            host,
            url,
            api_key,
            secrets,
            policy: RetryPolicy::new(cfg)?,
        })
    }
}

/// How one request is bounded and retried.
#[derive(Debug, Clone, PartialEq)]
struct RetryPolicy {
    retries: u32,
    connect_timeout: Duration,
    request_timeout: Duration,
    max_wait: Duration,
    window: Duration,
}

impl RetryPolicy {
    fn new(cfg: &OpenAiProvider) -> Result<RetryPolicy, String> {
        Ok(RetryPolicy {
            retries: cfg.max_retries.unwrap_or(DEFAULT_RETRIES),
            connect_timeout: configured_seconds(
                cfg.connect_timeout_s,
                "connect_timeout_s",
                DEFAULT_CONNECT_TIMEOUT,
            )?,
            request_timeout: configured_seconds(
                cfg.request_timeout_s,
                "request_timeout_s",
                DEFAULT_REQUEST_TIMEOUT,
            )?,
            max_wait: MAX_RETRY_WAIT,
            window: RETRY_WINDOW,
        })
    }

    /// The wait before retry number `retry` (from 1): what the server asked for when it
    /// asked in a form we read, else the backoff; never more than `max_wait`.
    fn wait(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        let backoff = FIRST_BACKOFF.saturating_mul(1 << retry.saturating_sub(1).min(16));
        retry_after.unwrap_or(backoff).min(self.max_wait)
    }
}

/// A timeout from the workflow file. The loader checks durations; this is the engine's own
/// guard, so that no value (negative, NaN, 1e300) can panic a conversion.
fn configured_seconds(
    value: Option<f64>,
    key: &str,
    default: Duration,
) -> Result<Duration, String> {
    match value {
        None => Ok(default),
        Some(s) => Duration::try_from_secs_f64(s)
            .map(|d| d.min(MAX_CONFIGURED_TIMEOUT))
            .map_err(|_| format!("`{key}` must be a number of seconds, 0 or more (got {s})")),
    }
}

/// The wait a `Retry-After` value asks for: delta-seconds (digits only) or an HTTP-date (a
/// date in the past asks for none). Anything else (negative, fractional, NaN, words) is
/// `None`, and the backoff applies. The caller caps the wait.
fn retry_after(value: &str, now: jiff::Timestamp) -> Option<Duration> {
    let v = value.trim();
    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
        // More digits than a u64 holds is a very long wait, capped like any other.
        return Some(Duration::from_secs(v.parse::<u64>().unwrap_or(u64::MAX)));
    }
    let at = jiff::fmt::rfc2822::DateTimeParser::new()
        .parse_timestamp(v)
        .ok()?;
    Some(Duration::try_from(at.duration_since(now)).unwrap_or(Duration::ZERO))
}

/// Seconds as a message shows them: `0.5s`, `120s`.
fn secs(d: Duration) -> String {
    format!("{}s", d.as_secs_f64())
}

async fn converse(
    cfg: &OpenAiProvider,
    endpoint: &Endpoint,
    input: &TurnInput<'_>,
) -> Result<TurnOutcome, (Failure, u64)> {
    let m = input.member;
    let client = input
        .http
        .get(endpoint.policy.connect_timeout)
        .map_err(|e| (Failure::from(e), 0))?;
    let notify = |r: RetryNotice<'_>| {
        if let Some(sink) = input.events {
            sink(&Event::MemberRetrying {
                team_id: input.team_id.to_string(),
                member_id: m.id.clone(),
                reason: endpoint.secrets.redact(r.reason),
                retry: r.retry,
                max_retries: endpoint.policy.retries,
                wait_seconds: r.wait.as_secs_f64(),
            });
        }
    };
    let mut tools = Vec::new();
    let mut defs: Vec<(&str, &ToolDef)> = Vec::new();
    for name in &m.tools {
        let Some(def) = input.workflow.tools.get(name) else {
            return Err((
                format!("tool `{name}` is not defined in the workflow's `tools:`").into(),
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
                format!("no final answer after {MAX_ROUNDS_UNBUDGETED} rounds of tool calls")
                    .into(),
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
        let reply = post(&client, endpoint, &body, &notify)
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
                        endpoint.shown
                    )
                    .into(),
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
                            .to_string()
                            .into(),
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
                        "malformed reply: a tool call without function.name"
                            .to_string()
                            .into(),
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
            let started = Instant::now();
            let result = match defs.iter().find(|(n, _)| *n == name) {
                None => format!("error: unknown tool `{name}`"),
                Some((_, def)) => run_tool(def, args_text).await,
            };
            latencies.push(started.elapsed().as_secs_f64());
            messages.push(json!({"role": "tool", "tool_call_id": id, "content": result}));
        }
    }
}

/// A retry about to happen, for the member's notice.
struct RetryNotice<'a> {
    /// What failed, short: `HTTP 429`, `connection refused`.
    reason: &'a str,
    /// From 1.
    retry: u32,
    wait: Duration,
}

/// One failed attempt.
struct AttemptFailure {
    failure: Failure,
    /// What failed, short, for the retry notice.
    short: String,
    retryable: bool,
    /// What the server's `Retry-After` asked for, when it asked in a form we read.
    retry_after: Option<Duration>,
}

impl AttemptFailure {
    fn fatal(cause: StopCause, message: String) -> Self {
        AttemptFailure {
            failure: Failure { cause, message },
            short: String::new(),
            retryable: false,
            retry_after: None,
        }
    }

    fn retryable(cause: StopCause, short: &str, message: String) -> Self {
        AttemptFailure {
            failure: Failure { cause, message },
            short: short.to_string(),
            retryable: true,
            retry_after: None,
        }
    }
}

/// Sends one chat request, retrying as the endpoint's policy says.
async fn post(
    client: &reqwest::Client,
    endpoint: &Endpoint,
    body: &Json,
    notify: &dyn Fn(RetryNotice<'_>),
) -> Result<Json, Failure> {
    let policy = &endpoint.policy;
    let deadline = Instant::now() + policy.request_timeout + policy.window;
    let mut attempts: u32 = 0;
    loop {
        let timeout = policy
            .request_timeout
            .min(deadline.saturating_duration_since(Instant::now()));
        attempts += 1;
        let failed = match attempt(client, endpoint, body, timeout).await {
            Ok(reply) => return Ok(reply),
            Err(f) => f,
        };
        let mut failure = failed.failure;
        let wait = policy.wait(attempts, failed.retry_after);
        let may_retry = failed.retryable && attempts <= policy.retries;
        let out_of_time = Instant::now() + wait + MIN_ATTEMPT_TIME > deadline;
        if !may_retry || out_of_time {
            let why = if may_retry {
                format!(
                    "; a retry would end past the {} a request may take with its retries",
                    secs(policy.request_timeout + policy.window)
                )
            } else {
                String::new()
            };
            if attempts > 1 || !why.is_empty() {
                let noun = if attempts == 1 { "attempt" } else { "attempts" };
                failure
                    .message
                    .push_str(&format!(" (after {attempts} {noun}{why})"));
            }
            return Err(failure);
        }
        notify(RetryNotice {
            reason: &failed.short,
            retry: attempts,
            wait,
        });
        tokio::time::sleep(wait).await;
    }
}

/// One attempt: the request, the status, the reply (at most [`MAX_REPLY_BYTES`]).
async fn attempt(
    client: &reqwest::Client,
    endpoint: &Endpoint,
    body: &Json,
    timeout: Duration,
) -> Result<Json, AttemptFailure> {
    let mut req = client
        .post(endpoint.url.clone())
        .json(body)
        .timeout(timeout);
    if let Some(k) = &endpoint.api_key {
        req = req.bearer_auth(k);
    }
    let transport = |e: reqwest::Error| transport_failure(endpoint, &e, timeout);
    let mut resp = req.send().await.map_err(transport)?;
    let status = resp.status();
    let asked_wait = resp
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| retry_after(v, jiff::Timestamp::now()));
    let mut bytes = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(transport)? {
        if bytes.len() + chunk.len() > MAX_REPLY_BYTES {
            return Err(AttemptFailure::fatal(
                StopCause::Error,
                format!(
                    "the reply from {} is larger than {} MiB",
                    endpoint.shown,
                    MAX_REPLY_BYTES >> 20
                ),
            ));
        }
        bytes.extend_from_slice(&chunk);
    }
    let text = String::from_utf8_lossy(&bytes);
    if status.is_success() {
        return serde_json::from_str(&text).map_err(|e| {
            AttemptFailure::fatal(
                StopCause::Error,
                format!("malformed reply from {}: not JSON ({e})", endpoint.shown),
            )
        });
    }
    let code = status.as_u16();
    let message = format!(
        "{} answered HTTP {code}: {}",
        endpoint.shown,
        endpoint.secrets.excerpt(&text, ERROR_EXCERPT_CHARS)
    );
    if code == 429 || status.is_server_error() {
        Err(AttemptFailure {
            retry_after: asked_wait,
            ..AttemptFailure::retryable(StopCause::Error, &format!("HTTP {code}"), message)
        })
    } else {
        Err(AttemptFailure::fatal(StopCause::Error, message))
    }
}

/// A failure before a status arrived (or while the reply was read), named by its cause.
fn transport_failure(endpoint: &Endpoint, e: &reqwest::Error, timeout: Duration) -> AttemptFailure {
    let host = &endpoint.host;
    let detail = root_cause(e);
    if e.is_timeout() && e.is_connect() {
        AttemptFailure::retryable(
            StopCause::Timeout,
            "timed out connecting",
            format!(
                "timed out connecting to {host} after {} (connect_timeout_s)",
                secs(endpoint.policy.connect_timeout)
            ),
        )
    } else if e.is_timeout() {
        AttemptFailure::fatal(
            StopCause::Timeout,
            format!(
                "timed out waiting for the reply from {} after {}",
                endpoint.shown,
                secs(timeout)
            ),
        )
    } else if has_io_error(e, std::io::ErrorKind::ConnectionRefused) {
        AttemptFailure::retryable(
            StopCause::Error,
            "connection refused",
            format!("connection refused by {host}"),
        )
    } else if e.is_dns() {
        AttemptFailure::fatal(
            StopCause::Error,
            format!(
                "DNS lookup of {} failed: {detail}",
                endpoint.url.host_str().unwrap_or("")
            ),
        )
    } else if e.is_connect() && endpoint.url.scheme() == "https" {
        // Past TCP and DNS, an https connection fails in the TLS handshake.
        AttemptFailure::fatal(
            StopCause::Error,
            format!("TLS handshake with {host} failed: {detail}"),
        )
    } else if e.is_connect() {
        AttemptFailure::retryable(
            StopCause::Error,
            "connection failed",
            format!("cannot connect to {host}: {detail}"),
        )
    } else {
        AttemptFailure::retryable(
            StopCause::Error,
            "connection failed",
            format!("the connection to {host} failed: {detail}"),
        )
    }
}

/// The innermost error's text: the cause itself, without reqwest's wrapper (which quotes the
/// URL).
fn root_cause(e: &reqwest::Error) -> String {
    let mut inner: &dyn std::error::Error = e;
    while let Some(source) = inner.source() {
        inner = source;
    }
    inner.to_string()
}

fn has_io_error(e: &reqwest::Error, kind: std::io::ErrorKind) -> bool {
    let mut source = std::error::Error::source(e);
    while let Some(err) = source {
        if err
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == kind)
        {
            return true;
        }
        source = err.source();
    }
    false
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
    let limit =
        match configured_seconds(def.timeout_seconds, "timeout_seconds", DEFAULT_TOOL_TIMEOUT) {
            Ok(l) => l,
            Err(e) => return format!("error: the tool's {e}"),
        };
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

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> jiff::Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn retry_after_reads_delta_seconds_and_http_dates_and_nothing_else() {
        let now = at("1994-11-06T08:49:30Z");
        let read = |v: &str| retry_after(v, now);
        assert_eq!(read("7"), Some(Duration::from_secs(7)));
        assert_eq!(read(" 0 "), Some(Duration::ZERO));
        assert_eq!(
            read("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            read("Sun, 06 Nov 1994 08:00:00 GMT"),
            Some(Duration::ZERO),
            "a date in the past asks for no wait"
        );
        for bad in [
            "-1", "NaN", "nan", "inf", "1.5", "1e3", "+3", "", "soon", "7 s",
        ] {
            assert_eq!(read(bad), None, "`{bad}` is ignored");
        }
        assert_eq!(
            read("99999999999999999999999"),
            Some(Duration::from_secs(u64::MAX)),
            "too many digits is a very long wait, not an error"
        );
    }

    #[test]
    fn waits_back_off_from_half_a_second_and_never_pass_the_cap() {
        let policy = RetryPolicy::new(&provider()).unwrap();
        let waits: Vec<f64> = (1..=8)
            .map(|r| policy.wait(r, None).as_secs_f64())
            .collect();
        assert_eq!(waits, [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]);
        assert_eq!(policy.wait(u32::MAX, None), MAX_RETRY_WAIT);
        let huge = retry_after("99999999999999999999999", jiff::Timestamp::now());
        assert_eq!(policy.wait(1, huge), MAX_RETRY_WAIT, "a huge Retry-After");
        assert_eq!(
            policy.wait(3, Some(Duration::from_secs(2))),
            Duration::from_secs(2),
            "a Retry-After replaces the backoff"
        );
    }

    fn provider() -> OpenAiProvider {
        OpenAiProvider {
            base_url: "http://127.0.0.1:1/v1".into(),
            model: "m".into(),
            api_key_env: None,
            temperature: None,
            max_tokens: None,
            connect_timeout_s: None,
            request_timeout_s: None,
            max_retries: None,
        }
    }

    #[test]
    fn the_defaults_are_stated_and_bad_timeouts_are_errors_not_panics() {
        assert_eq!(
            RetryPolicy::new(&provider()).unwrap(),
            RetryPolicy {
                retries: 3,
                connect_timeout: Duration::from_secs(5),
                request_timeout: Duration::from_secs(120),
                max_wait: Duration::from_secs(30),
                window: Duration::from_secs(60),
            }
        );
        for bad in [-1.0, f64::NAN, f64::INFINITY, 1e300] {
            let cfg = OpenAiProvider {
                request_timeout_s: Some(bad),
                ..provider()
            };
            let err = RetryPolicy::new(&cfg).unwrap_err();
            assert!(err.contains("`request_timeout_s` must be"), "{bad}: {err}");
            let cfg = OpenAiProvider {
                connect_timeout_s: Some(bad),
                ..provider()
            };
            assert!(RetryPolicy::new(&cfg).is_err(), "{bad}");
        }
        let cfg = OpenAiProvider {
            request_timeout_s: Some(1e12),
            ..provider()
        };
        assert_eq!(
            RetryPolicy::new(&cfg).unwrap().request_timeout,
            MAX_CONFIGURED_TIMEOUT
        );
    }

    #[test]
    fn the_endpoint_url_keeps_its_query_and_shows_no_credentials() {
        let cfg = OpenAiProvider {
            base_url: "https://u:pw@h.example/openai/?api-version=1&key=k3y".into(),
            ..provider()
        };
        let e = Endpoint::new(&cfg).unwrap();
        assert_eq!(
            e.url.as_str(),
            "https://u:pw@h.example/openai/chat/completions?api-version=1&key=k3y"
        );
        assert_eq!(
            e.shown,
            "https://h.example/openai/chat/completions?api-version=[redacted]&key=[redacted]"
        );
        assert_eq!(e.host, "h.example:443");
        for (bad, why) in [
            ("not a url", "is not a URL"),
            ("ftp://h/v1", "must be http or https"),
        ] {
            let cfg = OpenAiProvider {
                base_url: bad.into(),
                ..provider()
            };
            let err = Endpoint::new(&cfg).err().unwrap();
            assert!(err.contains(why) && !err.contains(bad), "{err}");
        }
    }

    /// A loopback endpoint: HTTP 429 with `Retry-After: retry_after` to the first request,
    /// then (when `then_answer`) a final answer to every other, else 429s again.
    fn endpoint_429(retry_after: &'static str, then_answer: bool) -> Endpoint {
        use std::io::{BufRead, BufReader, Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let cfg = OpenAiProvider {
            base_url: format!("http://{}/v1", listener.local_addr().unwrap()),
            ..provider()
        };
        std::thread::spawn(move || {
            for n in 0.. {
                let Ok((stream, _)) = listener.accept() else {
                    return;
                };
                let mut reader = BufReader::new(stream);
                let mut len = 0;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        len = v.trim().parse().unwrap_or(0);
                    }
                }
                let _ = reader.read_exact(&mut vec![0; len]);
                let reply = if n > 0 && then_answer {
                    let body = r#"{"choices": [{"message": {"content": "ok"}}]}"#;
                    format!(
                        "HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n{body}",
                        body.len()
                    )
                } else {
                    format!(
                        "HTTP/1.1 429 X\r\nretry-after: {retry_after}\r\ncontent-length: 0\r\n\r\n"
                    )
                };
                let _ = reader.into_inner().write_all(reply.as_bytes());
            }
        });
        Endpoint::new(&cfg).unwrap()
    }

    /// Posts once to `endpoint`; returns the result, the retry notices and the time taken.
    fn post_to(endpoint: &Endpoint) -> (Result<Json, Failure>, Vec<(u32, Duration)>, Duration) {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let notices = std::sync::Mutex::new(Vec::new());
        let started = std::time::Instant::now();
        let result = rt.block_on(async {
            let client = reqwest::Client::new();
            post(&client, endpoint, &json!({}), &|r: RetryNotice<'_>| {
                notices.lock().unwrap().push((r.retry, r.wait));
            })
            .await
        });
        (result, notices.into_inner().unwrap(), started.elapsed())
    }

    #[test]
    fn a_huge_retry_after_waits_the_cap_and_no_more() {
        let mut endpoint = endpoint_429("99999999999999999999999", true);
        endpoint.policy.max_wait = Duration::from_millis(200);
        let (result, notices, took) = post_to(&endpoint);
        assert!(result.is_ok(), "{result:?}");
        assert_eq!(notices, [(1, Duration::from_millis(200))]);
        assert!(took < Duration::from_secs(3), "{took:?}");
    }

    #[test]
    fn no_retry_is_made_that_would_end_past_the_retry_window() {
        let mut endpoint = endpoint_429("1", false);
        endpoint.policy.request_timeout = Duration::from_millis(2500);
        endpoint.policy.window = Duration::ZERO;
        endpoint.policy.retries = 100;
        let (result, notices, took) = post_to(&endpoint);
        let err = result.unwrap_err();
        // The first retry starts after 1 s with 1.5 s left; a second would start at 2 s
        // with under the least time an attempt is given.
        assert_eq!(notices, [(1, Duration::from_secs(1))]);
        assert!(
            err.message.contains("HTTP 429")
                && err
                    .message
                    .contains("(after 2 attempts; a retry would end past the 2.5s"),
            "{}",
            err.message
        );
        assert!(took < Duration::from_secs(2), "{took:?}");
    }
}
