//! The openai member against a loopback server that speaks the chat-completions protocol:
//! tool calls, retries on 429/5xx, errors and malformed replies, budgets.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::thread;

use serde_json::{Value, json};
use teamtune_engine::{Engine, RunOptions};
use teamtune_model::{WorkflowRunRecord, load_str};

/// One scripted reply: status, extra headers, body.
type Reply = (u16, Vec<(&'static str, String)>, String);

struct Server {
    url: String,
    requests: Arc<Mutex<Vec<(String, Value)>>>,
}

/// Serves the replies in order, one per connection, and records each request's
/// Authorization header and JSON body.
fn serve(replies: Vec<Reply>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    let requests = Arc::new(Mutex::new(Vec::new()));
    let seen = requests.clone();
    thread::spawn(move || {
        for (status, headers, body) in replies {
            let Ok((stream, _)) = listener.accept() else {
                return;
            };
            let mut reader = BufReader::new(stream);
            let mut auth = String::new();
            let mut len = 0usize;
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
            seen.lock()
                .unwrap()
                .push((auth, serde_json::from_slice(&buf).unwrap_or(Value::Null)));
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
    Server { url, requests }
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
    let yaml = format!(
        r#"providers:
  llm: {{kind: openai, base_url: "{url}", model: test-model, api_key_env: HOME, max_retries: 2}}
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
    let mut opts = RunOptions::default();
    opts.inputs.insert("topic".into(), json!("rust"));
    rt.block_on(engine.run(&opts))
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
fn rate_limits_and_server_errors_are_retried() {
    let server = serve(vec![
        (
            429,
            vec![("retry-after", "0".to_string())],
            "{}".to_string(),
        ),
        (503, vec![], "busy".to_string()),
        answer("finally"),
    ]);
    let r = run(&server.url, 5);
    assert!(r.success, "{:?}", r.error);
    assert_eq!(server.requests.lock().unwrap().len(), 3);
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
