//! The openai member against a loopback server that speaks the chat-completions protocol:
//! tool calls, retries on 429/5xx, errors and malformed replies, budgets; and against hostile
//! endpoints: odd `Retry-After` values, a server that never answers, a closed port, a server
//! that echoes the request (the API key) in its error replies.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use teamtune_engine::{Engine, Event, EventSink, RunOptions};
use teamtune_model::{StopCause, WorkflowRunRecord, load_str};

/// One scripted reply: status, extra headers, body.
type Reply = (u16, Vec<(&'static str, String)>, String);

struct Server {
    url: String,
    /// Each request's Authorization header, JSON body and request line.
    requests: Arc<Mutex<Vec<(String, Value, String)>>>,
    /// When each request arrived.
    arrivals: Arc<Mutex<Vec<Instant>>>,
}

/// Serves the replies in order, one per connection, and records each request's
/// Authorization header and JSON body.
fn serve(replies: Vec<Reply>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    let requests = Arc::new(Mutex::new(Vec::new()));
    let seen = requests.clone();
    let arrivals = Arc::new(Mutex::new(Vec::new()));
    let arrived = arrivals.clone();
    thread::spawn(move || {
        for (status, headers, body) in replies {
            let Ok((stream, _)) = listener.accept() else {
                return;
            };
            arrived.lock().unwrap().push(Instant::now());
            let mut reader = BufReader::new(stream);
            let mut auth = String::new();
            let mut len = 0usize;
            let mut request_line = String::new();
            let _ = reader.read_line(&mut request_line);
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                let lower = line.to_ascii_lowercase();
                if let Some(v) = lower.strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap_or(0);
                }
                if lower.starts_with("authorization:") {
                    auth = line["authorization:".len()..].trim().to_string();
                }
            }
            let mut buf = vec![0u8; len];
            reader.read_exact(&mut buf).unwrap();
            seen.lock().unwrap().push((
                auth,
                serde_json::from_slice(&buf).unwrap_or(Value::Null),
                request_line.trim().to_string(),
            ));
            let mut resp = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n",
                body.len()
            );
            for (k, v) in headers {
                resp.push_str(&format!("{k}: {v}\r\n"));
            }
            resp.push_str("\r\n");
            resp.push_str(&body);
            let mut stream = reader.into_inner();
            let _ = stream.write_all(resp.as_bytes());
        }
    });
    Server {
        url,
        requests,
        arrivals,
    }
}

fn ok(body: Value) -> Reply {
    (200, vec![], body.to_string())
}

fn answer(text: &str) -> Reply {
    ok(json!({"choices": [{"message": {"role": "assistant", "content": text}}]}))
}

fn tool_call(id: &str, name: &str, args: Value) -> Value {
    json!({"id": id, "type": "function", "function": {"name": name, "arguments": args.to_string()}})
}

fn asks_tools(calls: Vec<Value>) -> Reply {
    ok(
        json!({"choices": [{"message": {"role": "assistant", "content": null, "tool_calls": calls}}]}),
    )
}

fn run(url: &str, budget: u32) -> WorkflowRunRecord {
    run_with(url, budget, ", max_retries: 2", None)
}

/// A run whose provider has `extra` keys (`, key: value` pairs) and whose events go to
/// `events`.
fn run_with(url: &str, budget: u32, extra: &str, events: Option<EventSink>) -> WorkflowRunRecord {
    let yaml = format!(
        r#"providers:
  llm: {{kind: openai, base_url: "{url}", model: test-model, api_key_env: HOME{extra}}}
tools:
  echo_word:
    command: ["echo", "{{{{ word }}}}"]
    description: "Echo a word"
    parameters: {{type: object, properties: {{word: {{type: string}}}}}}
workflows:
  w:
    nodes:
      - id: crew
        type: team
        team_formation: sequential
        members:
          - id: writer
            role: writer
            goal: "Write about {{{{ topic }}}}"
            provider: llm
            tools: [echo_word]
            tool_budget: {budget}
"#
    );
    let file = load_str(std::path::Path::new("openai.yaml"), &yaml).unwrap();
    let engine = Engine::new(&file, None).unwrap();
    let rt = teamtune_engine::real_runtime().unwrap();
    let mut opts = RunOptions {
        events,
        ..RunOptions::default()
    };
    opts.inputs.insert("topic".into(), json!("rust"));
    rt.block_on(engine.run(&opts))
}

/// An event sink that keeps the retry notices.
fn retry_log() -> (EventSink, Arc<Mutex<Vec<Event>>>) {
    let log = Arc::new(Mutex::new(Vec::new()));
    let kept = log.clone();
    let sink: EventSink = Arc::new(move |e: &Event| {
        if matches!(e, Event::MemberRetrying { .. }) {
            kept.lock().unwrap().push(e.clone());
        }
    });
    (sink, log)
}

fn member_error(r: &WorkflowRunRecord) -> String {
    r.team_runs[0].member_metrics["writer"]
        .error_message
        .clone()
        .unwrap_or_default()
}

#[test]
fn tool_calls_run_workflow_tools_and_count_against_the_budget() {
    let server = serve(vec![
        asks_tools(vec![tool_call("c1", "echo_word", json!({"word": "hello"}))]),
        answer("all done"),
    ]);
    let r = run(&server.url, 5);
    let t = &r.team_runs[0];
    assert!(r.success, "{:?}", r.error);
    let m = &t.member_metrics["writer"];
    assert_eq!(
        (m.tool_calls_used, m.tools_used.clone()),
        (1, vec!["echo_word".to_string()])
    );
    let reqs = server.requests.lock().unwrap();
    assert_eq!(reqs.len(), 2);
    let home = std::env::var("HOME").unwrap();
    assert_eq!(
        reqs[0].0,
        format!("Bearer {home}"),
        "the key comes from the named env var"
    );
    assert_eq!(reqs[0].1["model"], "test-model");
    assert_eq!(reqs[0].1["tools"][0]["function"]["name"], "echo_word");
    assert!(
        reqs[0].1["messages"][1]["content"]
            .as_str()
            .unwrap()
            .contains("Write about rust")
    );
    let tool_msg = &reqs[1].1["messages"][3];
    assert_eq!(tool_msg["role"], "tool");
    assert_eq!(tool_msg["tool_call_id"], "c1");
    assert_eq!(
        tool_msg["content"], "hello\n",
        "the tool ran as a command with rendered arguments"
    );
}

#[test]
fn a_member_that_wants_more_calls_than_its_budget_fails() {
    let server = serve(vec![asks_tools(vec![
        tool_call("c1", "echo_word", json!({"word": "a"})),
        tool_call("c2", "echo_word", json!({"word": "b"})),
    ])]);
    let r = run(&server.url, 1);
    let m = &r.team_runs[0].member_metrics["writer"];
    assert!(!r.success);
    assert_eq!(m.error_message.as_deref(), Some("tool budget exhausted"));
    assert_eq!(m.tool_calls_used, 1);
}

#[test]
fn rate_limits_and_server_errors_are_retried_and_each_retry_is_announced() {
    let server = serve(vec![
        (
            429,
            vec![("retry-after", "0".to_string())],
            "{}".to_string(),
        ),
        (503, vec![], "busy".to_string()),
        answer("finally"),
    ]);
    let (sink, log) = retry_log();
    let r = run_with(&server.url, 5, ", max_retries: 2", Some(sink));
    assert!(r.success, "{:?}", r.error);
    assert_eq!(server.requests.lock().unwrap().len(), 3);
    let retries: Vec<(String, String, u32, u32, f64)> = log
        .lock()
        .unwrap()
        .iter()
        .map(|e| match e {
            Event::MemberRetrying {
                team_id,
                member_id,
                reason,
                retry,
                max_retries,
                wait_seconds,
            } => (
                format!("{team_id}/{member_id}"),
                reason.clone(),
                *retry,
                *max_retries,
                *wait_seconds,
            ),
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(
        retries,
        vec![
            ("crew/writer".to_string(), "HTTP 429".to_string(), 1, 2, 0.0),
            ("crew/writer".to_string(), "HTTP 503".to_string(), 2, 2, 1.0),
        ],
        "Retry-After: 0 is honoured, then the backoff doubles from 0.5 s"
    );
}

/// A 429 with `Retry-After: value`, then an answer: the run must succeed after a normal
/// backoff. Returns the run and the seconds between the two requests.
fn after_429_with_retry_after(value: &str) -> (WorkflowRunRecord, f64) {
    let server = serve(vec![
        (429, vec![("retry-after", value.to_string())], "{}".into()),
        answer("done"),
    ]);
    let r = run(&server.url, 5);
    let arrivals = server.arrivals.lock().unwrap();
    assert_eq!(arrivals.len(), 2, "Retry-After: {value}: {:?}", r.error);
    (r, (arrivals[1] - arrivals[0]).as_secs_f64())
}

#[test]
fn a_negative_retry_after_is_ignored_and_does_not_crash() {
    let (r, gap) = after_429_with_retry_after("-1");
    assert!(r.success, "{:?}", r.error);
    assert!(gap < 5.0, "the normal backoff (0.5 s), not {gap} s");
}

#[test]
fn a_retry_after_that_is_not_a_number_falls_back_to_the_backoff() {
    for value in ["NaN", "inf", "1.5", "soon"] {
        let (r, gap) = after_429_with_retry_after(value);
        assert!(r.success, "{value}: {:?}", r.error);
        assert!(
            gap < 5.0,
            "Retry-After: {value} waited {gap} s instead of the backoff"
        );
    }
}

#[test]
fn a_retry_after_http_date_is_honoured() {
    let at = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(3);
    let date = jiff::fmt::rfc2822::DateTimePrinter::new()
        .timestamp_to_rfc9110_string(&at)
        .unwrap();
    let (r, gap) = after_429_with_retry_after(&date);
    assert!(r.success, "{:?}", r.error);
    // The date has whole seconds: the wait is between 2 and 3 s.
    assert!(
        (1.5..6.0).contains(&gap),
        "Retry-After: {date} waited {gap} s"
    );
}

#[test]
fn a_server_that_never_answers_times_out_with_a_timeout_cause() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    thread::spawn(move || {
        // Accept and hold every connection open, never answering.
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept() {
            held.push(stream);
        }
    });
    let started = Instant::now();
    let r = run_with(&url, 5, ", request_timeout_s: 0.5", None);
    let took = started.elapsed();
    let m = &r.team_runs[0].member_metrics["writer"];
    let err = member_error(&r);
    assert!(!r.success);
    assert!(
        err.contains("timed out waiting for the reply") && err.contains("0.5s"),
        "{err}"
    );
    assert_eq!(m.stop_cause, Some(StopCause::Timeout), "{err}");
    let team_err = r.team_runs[0].error.clone().unwrap_or_default();
    assert!(
        team_err.starts_with("timeout (member writer: timed out waiting for the reply"),
        "the team's error says which request timed out: {team_err}"
    );
    assert!(
        took < Duration::from_secs(3),
        "a reply timeout is not retried: the member was held {took:?}"
    );
}

#[test]
fn a_closed_port_says_connection_refused() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let (sink, log) = retry_log();
    let r = run_with(
        &format!("http://127.0.0.1:{port}/v1"),
        5,
        ", max_retries: 1",
        Some(sink),
    );
    let err = member_error(&r);
    assert!(
        err.contains("connection refused") && err.contains(&format!("127.0.0.1:{port}")),
        "{err}"
    );
    assert!(err.contains("after 2 attempts"), "{err}");
    let log = log.lock().unwrap();
    assert!(
        matches!(&log[..], [Event::MemberRetrying { reason, .. }] if reason == "connection refused"),
        "{log:?}"
    );
}

#[test]
fn tls_to_a_plain_http_server_is_named_as_a_tls_failure() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("https://{}/v1", listener.local_addr().unwrap());
    thread::spawn(move || {
        // Plain HTTP where the client expects a TLS server hello.
        while let Ok((mut stream, _)) = listener.accept() {
            let _ = stream.write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n");
        }
    });
    let err = member_error(&run_with(&url, 5, ", max_retries: 0", None));
    assert!(err.contains("TLS"), "{err}");
}

#[test]
fn an_error_reply_that_echoes_the_key_and_url_secrets_has_them_redacted() {
    let key = std::env::var("HOME").unwrap();
    let echo = format!("invalid key: Authorization: Bearer {key}; url ?key=s3cr3t-query");
    let server = serve(vec![(401, vec![], echo)]);
    let url = server
        .url
        .replace("http://", "http://user:s3cr3t-pass@")
        .replace("/v1", "/v1?key=s3cr3t-query&api-version=2024");
    let err = member_error(&run(&url, 5));
    assert!(
        err.contains("HTTP 401") && err.contains("invalid key"),
        "{err}"
    );
    for secret in [key.as_str(), "s3cr3t"] {
        assert!(!err.contains(secret), "`{secret}` leaked: {err}");
    }
    assert!(err.contains("[redacted]"), "{err}");
    let reqs = server.requests.lock().unwrap();
    assert_eq!(reqs.len(), 1, "a 401 is not retried");
}

#[test]
fn the_base_url_query_stays_after_the_path() {
    let server = serve(vec![answer("ok")]);
    let url = format!("{}?api-version=2024", server.url);
    let r = run(&url, 5);
    assert!(r.success, "{:?}", r.error);
    assert_eq!(
        server.requests.lock().unwrap()[0].2,
        "POST /v1/chat/completions?api-version=2024 HTTP/1.1"
    );
}

#[test]
fn persistent_errors_and_malformed_replies_fail_with_a_reason() {
    let server = serve(vec![
        (500, vec![], "down".into()),
        (500, vec![], "down".into()),
        (500, vec![], "down".into()),
    ]);
    let r = run(&server.url, 5);
    let err = r.team_runs[0].member_metrics["writer"]
        .error_message
        .clone()
        .unwrap();
    assert!(
        err.contains("HTTP 500") && err.contains("after 3 attempts"),
        "{err}"
    );
    let home = std::env::var("HOME").unwrap();
    assert!(!err.contains(&home), "the API key never appears in errors");

    let server = serve(vec![(400, vec![], r#"{"error": "bad model"}"#.into())]);
    let err = run(&server.url, 5).team_runs[0].member_metrics["writer"]
        .error_message
        .clone()
        .unwrap();
    assert!(
        err.contains("HTTP 400") && err.contains("bad model"),
        "4xx is not retried: {err}"
    );

    let server = serve(vec![ok(json!({"id": "x"}))]);
    let err = run(&server.url, 5).team_runs[0].member_metrics["writer"]
        .error_message
        .clone()
        .unwrap();
    assert!(err.contains("malformed reply"), "{err}");

    let server = serve(vec![(200, vec![], "not json".into())]);
    let err = run(&server.url, 5).team_runs[0].member_metrics["writer"]
        .error_message
        .clone()
        .unwrap();
    assert!(err.contains("not JSON"), "{err}");
}
