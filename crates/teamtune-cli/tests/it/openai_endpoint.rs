//! OpenAI members against a hostile loopback endpoint: one that echoes the request (its
//! headers carry the API key and the URL's credentials) in 401 and 500 replies and in its
//! answers. No secret may reach anything teamtune writes, and each retry is announced on
//! stderr.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};
use std::thread;

use crate::{stderr, stdout, write};

const CANARY_KEY: &str = "canary-sk-5f1e0b7d";

/// Answers every request with its own request line and headers: of each four requests, the
/// first in an HTTP 401, the next two in a 500, the last as the model's answer. Returns the base URL (with `user:canarypass@`
/// and `?key=canary`) and the request heads it saw.
fn echo_server() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let heads = Arc::new(Mutex::new(Vec::new()));
    let seen = heads.clone();
    thread::spawn(move || {
        let mut n = 0;
        while let Ok((stream, _)) = listener.accept() {
            let mut reader = BufReader::new(stream);
            let mut head = String::new();
            let mut len = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap_or(0);
                }
                head.push_str(&line);
            }
            let mut body = vec![0u8; len];
            let _ = reader.read_exact(&mut body);
            let (status, body) = match n % 4 {
                0 => ("401 Unauthorized", head.clone()),
                1 | 2 => ("500 Internal Server Error", head.clone()),
                _ => (
                    "200 OK",
                    serde_json::json!({"choices": [{"message": {"content": head}}]}).to_string(),
                ),
            };
            n += 1;
            let reply = format!(
                "HTTP/1.1 {status}\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            seen.lock().unwrap().push(head);
            let _ = reader.into_inner().write_all(reply.as_bytes());
        }
    });
    (
        format!("http://user:canarypass@{addr}/v1?key=canary"),
        heads,
    )
}

fn teamtune_with_key(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_teamtune"))
        .args(args)
        .current_dir(dir)
        .env_remove("TEAMTUNE_STORE")
        .env("NO_COLOR", "1")
        .env("TT_TEST_API_KEY", CANARY_KEY)
        .output()
        .expect("the teamtune binary runs")
}

fn workflow(dir: &Path, base_url: &str) -> std::path::PathBuf {
    write(
        dir,
        "review.yaml",
        &format!(
            r#"providers:
  llm: {{kind: openai, base_url: "{base_url}", model: m, api_key_env: TT_TEST_API_KEY, max_retries: 1}}
workflows:
  w:
    nodes:
      - id: crew
        type: team
        team_formation: sequential
        members:
          - id: reviewer
            role: reviewer
            goal: "Review the change"
            provider: llm
"#
        ),
    )
}

#[test]
fn no_secret_of_the_endpoint_reaches_output_store_or_exports() {
    let dir = tempfile::tempdir().unwrap();
    let (base_url, heads) = echo_server();
    let f = workflow(dir.path(), &base_url);
    let f = f.to_str().unwrap();
    let mut texts: Vec<(String, Vec<u8>)> = Vec::new();

    let plain = teamtune_with_key(dir.path(), &["run", f, "--runs", "3", "--store", "db"]);
    assert_eq!(plain.status.code(), Some(1), "{}", stderr(&plain));
    assert!(
        stdout(&plain).contains("HTTP 401") && stdout(&plain).contains("[redacted]"),
        "the error still says what happened: {}",
        stdout(&plain)
    );
    texts.push(("run stdout".into(), plain.stdout));
    texts.push(("run stderr".into(), plain.stderr));

    let json = teamtune_with_key(
        dir.path(),
        &[
            "run",
            f,
            "--runs",
            "3",
            "--store",
            "db",
            "--json",
            "--verbose",
        ],
    );
    assert_eq!(json.status.code(), Some(1), "{}", stderr(&json));
    assert!(stdout(&json).contains("HTTP 500"), "{}", stdout(&json));
    let answered = &crate::json_lines(&json)[2];
    assert_eq!(answered["success"], true);
    assert!(
        answered["outputs"]
            .to_string()
            .contains("authorization: Bearer [redacted]"),
        "the echoed answer is recorded, redacted: {answered}"
    );
    texts.push(("run --json stdout".into(), json.stdout));
    texts.push(("run --json stderr".into(), json.stderr));

    for format in ["json", "jsonl", "csv"] {
        let out = teamtune_with_key(
            dir.path(),
            &[
                "metrics",
                "export",
                "--team-id",
                "crew",
                "--store",
                "db",
                "--format",
                format,
            ],
        );
        assert!(out.status.success(), "{format}: {}", stderr(&out));
        assert!(
            stdout(&out).contains("HTTP 401"),
            "{format}: {}",
            stdout(&out)
        );
        texts.push((format!("metrics export --format {format}"), out.stdout));
        texts.push((
            format!("metrics export --format {format} stderr"),
            out.stderr,
        ));
    }
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("db") {
            texts.push((format!("store file {name}"), std::fs::read(&path).unwrap()));
        }
    }
    assert!(texts.iter().any(|(what, _)| what == "store file db"));

    // The endpoint did see the secrets, so an echo could have leaked them: the key as a
    // Bearer token, the userinfo as a Basic token, `key=canary` in the request line.
    let heads = heads.lock().unwrap();
    assert_eq!(
        heads.len(),
        8,
        "per command: a run with a 401, one with a 500 retried, one answered"
    );
    let mut secrets = vec!["canary".to_string()];
    for head in heads.iter() {
        assert!(head.contains(&format!("Bearer {CANARY_KEY}")), "{head}");
        assert!(head.contains("?key=canary"), "{head}");
        for line in head.lines() {
            if let Some(v) = line
                .to_ascii_lowercase()
                .strip_prefix("authorization: basic ")
            {
                secrets.push(line[line.len() - v.len()..].trim().to_string());
            }
        }
    }
    assert!(secrets.len() > 1, "reqwest sends the userinfo as Basic");
    for (what, bytes) in &texts {
        let text = String::from_utf8_lossy(bytes);
        for secret in &secrets {
            assert!(
                !text.contains(secret.as_str()),
                "{what} shows `{secret}`:\n{text}"
            );
        }
    }
}

#[test]
fn each_retry_is_announced_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let (base_url, _) = echo_server();
    let f = workflow(dir.path(), &base_url);
    // The first request gets 401 (not retried); the second run gets 500 and one retry.
    let out = teamtune_with_key(
        dir.path(),
        &["run", f.to_str().unwrap(), "--runs", "2", "--no-store"],
    );
    let err = stderr(&out);
    assert_eq!(
        err.matches("openai member crew/reviewer: HTTP 500, retry 1/1 in 0.5s")
            .count(),
        1,
        "{err}"
    );
    assert!(!err.contains("retry 2/"), "{err}");
}
